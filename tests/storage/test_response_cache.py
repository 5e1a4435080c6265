"""The response cache on every backend (memory, SQLite, PostgreSQL, Redis): hits, misses, expiry,
scope isolation, bypass, and the call-log rows of hits."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentcore import Agent, tool
from agentcore.config.loader import load_config_from_dict
from agentcore.config.schema import AgentConfig
from agentcore.errors import ProviderError
from agentcore.llm.events import FinalAnswer, TextDelta, ToolCallStarted
from agentcore.tracing.context import call_context
from tests.fakes import FakeOpenAI
from tests.storage.conftest import Db, make_db

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()  # pyright: ignore[reportUnknownMemberType]
    except Exception as exc:
        if os.environ.get("CI"):  # .ci/run starts Redis: missing there is a failure, not a skip
            pytest.fail(f"Redis at {REDIS_URL} is not reachable ({exc})")
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({exc})")


class Setup:
    """A backend under test: the cache: block and the database the sessions and call log use."""

    def __init__(self, kind: str, db: Db, cache: dict[str, Any]) -> None:
        self.kind = kind
        self.db = db
        self.cache = cache

    def config(
        self, fake: FakeOpenAI, tmp_path: Path, cache: dict[str, Any] | None = None, **llm: Any
    ) -> AgentConfig:
        data: dict[str, Any] = {
            "llm": {"provider": "openai", "model": "gpt-4o-mini", "apiKey": "sk-test-0123456789abcdef",
                    "baseURL": fake.url + "/v1", "maxRetries": 0, "temperature": 0, **llm},
            "localTools": [],
            "storage": {"url": self.db.url},
            "cache": {"enabled": True, **self.cache, **(cache or {})},
        }  # fmt: skip
        return load_config_from_dict(data, base_dir=tmp_path)

    def calls(self) -> list[tuple[Any, ...]]:
        """(status, prompt_tokens, completion_tokens, cost_usd, saved_usd) of every call-log row, oldest first."""
        return self.db.query(
            "SELECT status, prompt_tokens, completion_tokens, cost_usd, saved_usd FROM llm_call_logs "
            "ORDER BY created_at"
        )


@pytest.fixture(params=["memory", "sqlite", "postgres", "redis"])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setup]:
    kind: str = request.param
    if kind == "redis":
        _redis_or_skip()
        namespace = f"test-{uuid.uuid4().hex[:10]}"
        for db in make_db("sqlite", tmp_path):
            yield Setup(kind, db, {"backend": "redis", "url": REDIS_URL, "namespace": namespace})
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"{namespace}:*"):  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            client.delete(key)  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        return
    if kind == "memory":
        for db in make_db("sqlite", tmp_path):
            yield Setup(kind, db, {"backend": "memory"})
        return
    for db in make_db(kind, tmp_path):
        yield Setup(kind, db, {})  # the default backend: the configured database


async def test_a_repeated_request_is_a_hit_that_costs_nothing(
    setup: Setup, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.reply_text("Paris is the capital.", usage=(120, 30))
    async with Agent(setup.config(fake_openai, tmp_path)) as agent:
        first = await agent.run("capital of France?", session="a")
        events = [e async for e in agent.stream("capital of France?", session="b")]
        await agent.call_log.flush()
    assert len(fake_openai.requests) == 1
    final = events[-1]
    assert isinstance(final, FinalAnswer) and final.text == first.text == "Paris is the capital."
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Paris is the capital."
    assert final.usage.prompt_tokens == 0 and first.usage.prompt_tokens == 120  # a hit spends nothing
    (live, hit) = setup.calls()
    assert live[0] == "success" and live[3] is not None and live[3] > 0
    assert hit == ("cache_hit", 120, 30, 0.0, live[3])  # the original tokens, no cost, its cost saved
    async with Agent(setup.config(fake_openai, tmp_path)) as reader:
        used = await reader.usage(session="b")
    # `usage` counts the hit as a hit with the tokens it saved, never as tokens spent.
    assert (used["requests"], used["cache_hits"], used["cache_saved_tokens"]) == (1, 1, 150)
    assert (used["prompt_tokens"], used["completion_tokens"], used["cost_usd"]) == (0, 0, 0.0)
    assert used["cache_saved_usd"] == live[3]


async def test_a_new_agent_hits_what_an_earlier_one_stored(
    setup: Setup, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    if setup.kind == "memory":
        pytest.skip("the memory backend lives and dies with its agent")
    fake_openai.reply_text("stored")
    async with Agent(setup.config(fake_openai, tmp_path)) as agent:
        await agent.run("q")
    async with Agent(setup.config(fake_openai, tmp_path)) as agent:
        assert (await agent.run("q")).text == "stored"
        stats = await agent.response_cache.stats() if agent.response_cache else None
    assert len(fake_openai.requests) == 1
    assert stats is not None and stats.entries == 1 and stats.hits == 1
    (model,) = stats.models
    assert (model.model, model.saved_prompt_tokens) == ("gpt-4o-mini", 10)


async def test_tool_calls_replay_and_the_tools_run_again(
    setup: Setup, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    ran: list[str] = []

    @tool
    def lookup(q: str) -> str:
        """Look up.

        Args:
            q: what
        """
        ran.append(q)
        return "42"

    fake_openai.reply_tool_calls([("lookup", {"q": "answer"})])
    fake_openai.reply_text("It is 42.")
    async with Agent(setup.config(fake_openai, tmp_path), tools=[lookup]) as agent:
        await agent.run("what is it?", session="a")
        events = [e async for e in agent.stream("what is it?", session="b")]
    assert len(fake_openai.requests) == 2 and ran == ["answer", "answer"]
    assert [e.name for e in events if isinstance(e, ToolCallStarted)] == ["lookup"]
    assert isinstance(events[-1], FinalAnswer) and events[-1].text == "It is 42."


async def test_only_deterministic_requests_are_cached_unless_allowed(
    setup: Setup, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.set_default("varies")
    async with Agent(setup.config(fake_openai, tmp_path, temperature=0.7)) as agent:
        await agent.run("q", session="a")
        await agent.run("q", session="b")
    assert len(fake_openai.requests) == 2
    cfg = setup.config(fake_openai, tmp_path, {"allowNonDeterministic": True}, temperature=0.7)
    async with Agent(cfg) as agent:
        await agent.run("q2", session="a")
        await agent.run("q2", session="b")
    assert len(fake_openai.requests) == 3


async def test_bypass_and_scope_isolation(setup: Setup, fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.set_default("hello")
    async with Agent(setup.config(fake_openai, tmp_path, {"scope": "user"})) as agent:
        with call_context(user_id="alice"):
            await agent.run("hi", session="a1")
            await agent.run("hi", session="a2")  # alice's own hit
            await agent.run("hi", session="a3", cache=False)  # bypass
        with call_context(user_id="bob"):
            await agent.run("hi", session="b1")  # not alice's answer
            await agent.run("hi", session="b2")
    assert len(fake_openai.requests) == 3
    async with Agent(setup.config(fake_openai, tmp_path, {"scope": "session"})) as agent:
        await agent.run("hey", session="s1")
        await agent.run("hey", session="s2")
    assert len(fake_openai.requests) == 5


async def test_entries_expire_after_the_ttl(setup: Setup, fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.set_default("fresh")
    now = [1_000_000.0]
    async with Agent(setup.config(fake_openai, tmp_path, {"ttl": 60})) as agent:
        assert agent.response_cache is not None
        agent.response_cache.clock = lambda: now[0]
        await agent.run("q", session="a")
        await agent.response_cache.flush()
        now[0] += 59
        await agent.run("q", session="b")
        assert len(fake_openai.requests) == 1
        now[0] += 2
        await agent.run("q", session="c")
        assert len(fake_openai.requests) == 2


async def test_errors_and_cut_streams_are_never_cached(
    setup: Setup, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.reply_error(400, message="bad request")
    fake_openai.reply_cut("half an ans", after_chunks=2)
    fake_openai.reply_text("whole")
    async with Agent(setup.config(fake_openai, tmp_path)) as agent:
        with pytest.raises(ProviderError):
            await agent.run("q", session="a")
        with pytest.raises(ProviderError):
            async for _ in agent.stream("q", session="b"):
                pass
        assert (await agent.run("q", session="c")).text == "whole"
        assert (await agent.run("q", session="d")).text == "whole"
    assert len(fake_openai.requests) == 3


async def test_clear_drops_entries(setup: Setup, fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.set_default("x")
    async with Agent(setup.config(fake_openai, tmp_path)) as agent:
        cache = agent.response_cache
        assert cache is not None
        await agent.run("one", session="a")
        await agent.run("two", session="b")
        assert await cache.clear(older_than=3600) == 0  # both are newer
        assert await cache.clear() == 2
        await agent.run("one", session="c")
    assert len(fake_openai.requests) == 3


async def test_concurrent_identical_requests_all_answer_and_store_one_entry(
    setup: Setup, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    import asyncio

    fake_openai.set_default("same")
    async with Agent(setup.config(fake_openai, tmp_path)) as agent:
        results = await asyncio.gather(*(agent.run("q", session=f"s{i}") for i in range(4)))
        assert agent.response_cache is not None
        stats = await agent.response_cache.stats()
        again = await agent.run("q", session="later")
    assert [r.text for r in results] == ["same"] * 4 and again.text == "same"
    assert 1 <= len(fake_openai.requests) <= 4 and stats.entries == 1


async def test_an_unreachable_backend_warns_and_the_model_answers(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    from structlog.testing import capture_logs

    fake_openai.set_default("live")
    for db in make_db("sqlite", tmp_path):
        setup = Setup("redis", db, {"backend": "redis", "url": "redis://127.0.0.1:1/0"})
        with capture_logs() as logs:
            async with Agent(setup.config(fake_openai, tmp_path)) as agent:
                assert (await agent.run("q", session="a")).text == "live"
                assert (await agent.run("q", session="b")).text == "live"
        warnings = [e for e in logs if e["event"] == "llm.cache_unavailable"]
        assert len(warnings) == 1 and warnings[0]["backend"] == "redis"
