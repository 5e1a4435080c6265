"""Usage exactly as the provider reported it: cache reads and writes, reasoning, missing usage."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentcore import Agent
from agentcore.llm.events import TurnComplete, UsageReport
from agentcore.llm.service import LLMRequest
from agentcore.messages import InternalMessage
from agentcore.messages import Usage as OurUsage
from tests.fakes import FakeAnthropic, FakeOpenAI, TextReply, Usage
from tests.llm._family import agent_for, bedrock_config


async def reported(agent: Agent, stream: bool) -> OurUsage:
    """The usage of one request, as the provider module parsed it (streamed: also its UsageReport)."""
    request = LLMRequest((InternalMessage.user("hi"),), None, (), stream=stream)
    events = [e async for e in agent.service.client.request(request)]
    turn = events[-1]
    assert isinstance(turn, TurnComplete)
    if stream:
        (report,) = [e for e in events if isinstance(e, UsageReport)]
        assert report.usage == turn.usage
    return turn.usage


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (Usage(100, 20), OurUsage(100, 20, provider_total=120)),
        (Usage(100, 20, cached=60), OurUsage(100, 20, 60, provider_total=120)),
        (Usage(100, 20, reasoning=12), OurUsage(100, 20, 0, 12, provider_total=120)),
        # Gemini's OpenAI-compatible endpoint: thinking tokens in total_tokens only
        (Usage(100, 20, total=170), OurUsage(100, 20, provider_total=170)),
        (Usage(omit=True), OurUsage(reported=False)),
    ],
    ids=["plain", "cached", "reasoning", "reasoning-outside", "missing"],
)
async def test_openai_usage_variants(
    fake_openai: FakeOpenAI, tmp_path: Path, stream: bool, usage: Usage, expected: OurUsage
) -> None:
    fake_openai.push(TextReply("ok", usage))
    async with agent_for(fake_openai, tmp_path) as agent:
        got = await reported(agent, stream)
    assert got == expected
    if not expected.reported:
        assert got.as_dict()["usage_reported"] is False


@pytest.mark.parametrize("provider", ["anthropic", "bedrock"])
@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (Usage(100, 20), OurUsage(100, 20)),
        # input_tokens is the uncached part: prompt_tokens = 100 + 300 read + 0 written
        (Usage(100, 20, cached=300), OurUsage(400, 20, 300)),
        (Usage(100, 20, cache_creation=500), OurUsage(600, 20, 0, 0, 500)),
        (
            Usage(100, 20, cached=300, cache_creation=500, cache_creation_1h=200),
            OurUsage(900, 20, 300, 0, 500, 200),
        ),
    ],
    ids=["plain", "cache-read", "cache-write-5m", "cache-write-1h"],
)
async def test_anthropic_usage_variants(
    fake_anthropic: FakeAnthropic,
    tmp_path: Path,
    provider: str,
    stream: bool,
    usage: Usage,
    expected: OurUsage,
) -> None:
    fake_anthropic.push(TextReply("ok", usage))
    if provider == "bedrock":
        agent = Agent(bedrock_config(fake_anthropic.url, tmp_path))
    else:
        agent = agent_for(fake_anthropic, tmp_path)
    async with agent:
        got = await reported(agent, stream)
    assert got == expected
    assert got.total_tokens == expected.prompt_tokens + expected.completion_tokens
