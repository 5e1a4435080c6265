"""Auth tokens shared through Redis between two services (two ``serve`` workers)."""

from __future__ import annotations

import os
from pathlib import Path

from agentcore.config.loader import load_config_from_dict
from agentcore.llm.client import RetryingClient, complete
from agentcore.llm.providers.http.redis_tokens import RedisTokenStore
from agentcore.llm.providers.http.service import HttpService
from agentcore.llm.request import LLMRequest
from agentcore.messages import InternalMessage
from tests.helpers import require_redis
from tests.llm.http._fakes import FakeTokenApi
from tests.llm.http.conftest import agent_data, token_llm

REDIS_URL = os.environ.get("AGENTCORE_TEST_REDIS", "redis://127.0.0.1:6379/0")


async def _store(provider: str) -> RedisTokenStore:
    require_redis()
    return RedisTokenStore(REDIS_URL, provider, prefix=f"agentcore-test:{os.urandom(4).hex()}")


async def _ask(worker: HttpService) -> str:
    """One direct request through the worker, with the usual retry client around it."""
    request = LLMRequest((InternalMessage.user("hi"),), None, (), stream=False, purpose="direct")
    turn = await complete(RetryingClient(worker), request)
    return turn.message.text


async def test_two_workers_share_one_token_and_a_401_drops_it(
    token_api: FakeTokenApi, tmp_path: Path
) -> None:
    config = load_config_from_dict(agent_data(token_llm(token_api.url), tmp_path), base_dir=tmp_path)
    store = await _store("ernie")
    workers = [HttpService(config.llm), HttpService(config.llm)]
    for worker in workers:
        worker.tokens.store = store
    token_api.push("a", "b", "c")
    try:
        assert await _ask(workers[0]) == "a"
        assert await _ask(workers[1]) == "b"
        assert token_api.issued == ["tok-1"]  # the second worker found it in Redis
        token_api.revoke()
        assert await _ask(workers[1]) == "c"
        assert token_api.issued == ["tok-1", "tok-2"]
        assert await store.load("") is not None and (await store.load(""))[0] == {"access_token": "tok-2"}  # type: ignore[index]
    finally:
        for worker in workers:
            await worker.aclose()
        await store.drop("", {"access_token": "tok-2"})
        await store.close()
