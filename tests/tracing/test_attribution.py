"""Through the real SDKs and the fake servers: attribution, retries, unknown models, cache writes,
missing usage; ``Agent.usage()`` returns exactly the agent's own calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentcore import Agent, ProviderError
from agentcore.config.schema import AgentConfig
from agentcore.llm.factory import create_llm_service
from agentcore.llm.service import LLMRequest
from agentcore.messages import InternalMessage, Usage
from agentcore.storage.db import resolve_url
from agentcore.tracing.query import usage_by
from tests.fakes import FakeAnthropic, FakeOpenAI
from tests.fakes._base import ErrorReply, RecordedRequest
from tests.helpers import openai_config
from tests.tracing.test_calllog import db_url, rows

M = 1_000_000


def config_for(fake_url: str, tmp_path: Path, url: str, **llm: Any) -> AgentConfig:
    config = openai_config(fake_url, tmp_path, retry={"baseDelay": 0}, **llm)
    config.storage.url = url
    return config


async def test_every_row_carries_its_session_and_agent(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.set_default("ok")
    url = db_url(tmp_path)
    one = config_for(fake_openai.url, tmp_path, url)
    one.name = "planner"
    async with Agent(one) as planner, Agent(config_for(fake_openai.url, tmp_path, url)) as other:
        await planner.run("no session given")
        await planner.run("named", session="s1")
        await other.run("someone else's")
        await other.run("in the same session", session="s1")
        mine, theirs = await planner.usage(), await other.usage()
        s1 = await planner.usage(session="s1")
        default_session = planner.context.name
    got = await rows(url)
    assert [(r.session_id, r.agent) for r in got] == [
        (default_session, "planner"), ("s1", "planner"), (got[2].session_id, "agent"), ("s1", "agent"),
    ]  # fmt: skip
    assert all(r.session_id for r in got) and got[2].session_id != default_session
    assert got[0].agent_id == got[1].agent_id != got[2].agent_id == got[3].agent_id
    assert (mine["requests"], theirs["requests"], s1["requests"]) == (2, 2, 2)
    by_session = {g["session"] for g in await usage_by(resolve_url(url), "session")}
    assert "(none)" not in by_session


async def test_a_retried_request_shows_the_priced_part_and_the_unpriced_attempt(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.reply_error(503, message="overloaded")
    fake_openai.reply_text("fine", usage=(100, 20, 40, 0))
    url = db_url(tmp_path)
    async with Agent(config_for(fake_openai.url, tmp_path, url)) as agent:
        await agent.run("hello")
        used = await agent.usage()
    failed, ok = await rows(url)
    assert (failed.status, failed.usage_reported, failed.prompt_tokens, failed.cost_usd) == (
        "error",
        False,
        None,
        None,
    )
    expected = (60 * 0.15 + 40 * 0.075 + 20 * 0.60) / M
    assert (ok.status, ok.prompt_tokens, ok.cached_tokens, ok.total_tokens) == ("success", 100, 40, 120)
    assert ok.cost_usd == pytest.approx(expected)
    assert (used["requests"], used["errors"], used["cost_usd"], used["unpriced_requests"]) == (2, 1, None, 1)
    assert used["cost_usd_priced"] == pytest.approx(expected)
    assert used["prompt_tokens"] == 100 and used["unreported_requests"] == 1


async def test_an_unknown_model_is_unpriced_not_free(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_text("hi", usage=(1000, 10))
    url = db_url(tmp_path)
    async with Agent(config_for(fake_openai.url, tmp_path, url, model="gpt-5-turbo")) as agent:
        await agent.run("x")
        used = await agent.usage()
    [row] = await rows(url)
    assert (row.prompt_tokens, row.cost_usd) == (1000, None)
    assert (used["cost_usd"], used["cost_usd_priced"], used["unpriced_requests"]) == (None, 0.0, 1)


async def test_cancelled_and_cut_streams_are_not_successes(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_truncated_stream("partial answer that never ends", after_chunks=2)
    url = db_url(tmp_path)
    async with Agent(config_for(fake_openai.url, tmp_path, url, maxRetries=0)) as agent:
        with pytest.raises(ProviderError):
            async for _ in agent.stream("x"):
                pass
    got = await rows(url)
    assert got and all(r.status == "error" for r in got)
    assert all(r.cost_usd is None for r in got)


def _no_usage(_: RecordedRequest) -> ErrorReply:
    # A 200 whose body has no usage, as some OpenAI-compatible servers send.
    return ErrorReply(200, body={
        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
    })  # fmt: skip


async def _provider_usage(config: AgentConfig) -> Usage:
    service = create_llm_service(config.llm)
    try:
        turn = await service.complete(LLMRequest((InternalMessage.user("probe"),), None, (), stream=False))
        return turn.usage
    finally:
        await service.aclose()


async def test_a_response_without_usage_is_logged_as_unknown(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    url = db_url(tmp_path)
    config = config_for(fake_openai.url, tmp_path, url)
    fake_openai.reply_fn(_no_usage)
    assert not (await _provider_usage(config)).reported  # the provider flags missing usage
    fake_openai.reply_fn(_no_usage)
    async with Agent(config) as agent:
        await agent.run("x")
        used = await agent.usage()
    [row] = await rows(url)
    assert (row.status, row.usage_reported, row.prompt_tokens, row.total_tokens, row.cost_usd) == (
        "success", False, None, None, None,
    )  # fmt: skip
    assert (used["unreported_requests"], used["cost_usd"], used["unpriced_requests"]) == (1, None, 1)


async def test_anthropic_cache_writes_are_priced_at_the_write_rate(
    fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    url = db_url(tmp_path)
    config = openai_config("http://unused", tmp_path)
    config.llm.provider = "anthropic"
    config.llm.model = "claude-sonnet-4-5"
    config.llm.base_url = fake_anthropic.url
    config.llm.api_key = "sk-ant-test-0123456789abcdef"
    config.storage.url = url
    # input 1000 uncached, 2000 read, 3000 written; 50 out
    fake_anthropic.reply_text("probe", usage=(1000, 50, 2000, 0, 3000))
    assert (await _provider_usage(config)).cache_write_tokens == 3000  # the provider reports cache writes
    fake_anthropic.reply_text("hi", usage=(1000, 50, 2000, 0, 3000))
    async with Agent(config) as agent:
        await agent.run("hello")
    [row] = await rows(url)
    assert (row.prompt_tokens, row.cached_tokens, row.cache_write_tokens) == (6000, 2000, 3000)
    assert row.cost_usd == pytest.approx((1000 * 3 + 2000 * 0.30 + 3000 * 3.75 + 50 * 15) / M)
