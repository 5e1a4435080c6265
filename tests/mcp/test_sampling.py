"""Sampling requests answered by the agent's model honour the server's ``maxTokens`` (capped by
``sampling.maxTokens``), its model hints (mapped onto the config's profiles) and its system prompt."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentcore.agent import Agent
from agentcore.config.loader import load_config_from_dict
from agentcore.llm.client import complete
from agentcore.llm.request import LLMRequest
from agentcore.messages import InternalMessage, ToolCall
from tests.fakes import FakeAnthropic, FakeOpenAI
from tests.llm._family import config_for
from tests.mcp.test_client_features import features

GUARD = 60
KEY = "sk-test-0123456789abcdef"


def config(url: str, entry: dict[str, Any], sampling: dict[str, Any], base: Path) -> Any:
    target = {"provider": "openai", "apiKey": KEY, "baseURL": url + "/v1"}
    return load_config_from_dict(
        {
            "llm": {**target, "model": "gpt-4o-mini"},
            "profiles": {
                "fast": {"targets": [{**target, "model": "gpt-4o-nano"}]},
                "deep": {"targets": [{**target, "model": "o3-pro"}]},
            },
            "defaultProfile": None,
            "localTools": [],
            "storage": {"url": "memory://"},
            "mcpServers": {"features": {**entry, "sampling": {"enabled": True, **sampling}}},
        },
        base_dir=base,
    )


async def summarize(agent: Agent, **arguments: Any) -> str:
    call = ToolCall("c1", "summarize", json.dumps({"text": "a long story", **arguments}))
    result = await asyncio.wait_for(agent.tools.execute(call), GUARD)
    assert not result.is_error, result.text
    return result.text


@pytest.fixture
def entry() -> Iterator[dict[str, Any]]:
    with features("stdio") as found:
        yield found


async def test_max_tokens_is_sent_and_capped_by_the_servers_setting(
    fake_openai: FakeOpenAI, entry: dict[str, Any], tmp_path: Path
) -> None:
    async with Agent(config(fake_openai.url, entry, {"maxTokens": 30}, tmp_path)) as agent:
        fake_openai.reply_text("short")
        assert await summarize(agent, max_tokens=20) == "summary: short (gpt-4o-mini, endTurn)"
        fake_openai.reply_text("capped")
        assert await summarize(agent, max_tokens=500) == "summary: capped (gpt-4o-mini, endTurn)"
    sent = [r.json for r in fake_openai.requests]
    assert [s["max_tokens"] for s in sent] == [20, 30]
    assert sent[0]["messages"][0] == {"role": "system", "content": "Summarise in five words."}
    assert "tools" not in sent[0]


async def test_model_hints_choose_a_configured_profile_else_the_default(
    fake_openai: FakeOpenAI, entry: dict[str, Any], tmp_path: Path
) -> None:
    cases: list[tuple[list[str], str]] = [
        (["nano"], "gpt-4o-nano"),  # a substring of a profile's model
        (["deep"], "o3-pro"),  # a profile's name
        (["claude-3-haiku", "mini"], "gpt-4o-mini"),  # first hint unknown, second the default model
        (["gpt-5-ultra"], "gpt-4o-mini"),  # nothing the config names: the default
        ([], "gpt-4o-mini"),
    ]
    async with Agent(config(fake_openai.url, entry, {}, tmp_path)) as agent:
        for hints, model in cases:
            fake_openai.reply_text("ok")
            assert await summarize(agent, hints=hints) == f"summary: ok ({model}, endTurn)"
    assert [r.json["model"] for r in fake_openai.requests] == [m for _, m in cases]
    assert all(r.json["max_tokens"] == 50 for r in fake_openai.requests)


async def test_the_servers_profile_answers_when_no_hint_matches(
    fake_openai: FakeOpenAI, entry: dict[str, Any], tmp_path: Path
) -> None:
    async with Agent(config(fake_openai.url, entry, {"profile": "fast"}, tmp_path)) as agent:
        fake_openai.reply_text("a")
        await summarize(agent, hints=["unknown"])
        fake_openai.reply_text("b")
        await summarize(agent, hints=["o3"])
    assert [r.json["model"] for r in fake_openai.requests] == ["gpt-4o-nano", "o3-pro"]


@pytest.mark.parametrize("family", ["openai", "anthropic"])
@pytest.mark.parametrize(("configured", "asked", "sent"), [(None, 40, 40), (25, 40, 25), (25, None, 25)])
async def test_every_family_sends_the_requests_limit_capped_by_llm_max_tokens(
    family: str,
    configured: int | None,
    asked: int | None,
    sent: int,
    fake_openai: FakeOpenAI,
    fake_anthropic: FakeAnthropic,
    tmp_path: Path,
) -> None:
    fake = fake_openai if family == "openai" else fake_anthropic
    extra = {"maxTokens": configured} if configured is not None else {}
    async with Agent(config_for(fake, tmp_path, **extra)) as agent:
        request = LLMRequest((InternalMessage.user("hi"),), "Be brief.", (), stream=False, max_tokens=asked)
        await asyncio.wait_for(complete(agent.service.client, request), GUARD)
    assert fake.requests[0].json["max_tokens"] == sent
