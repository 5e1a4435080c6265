"""Streamed events, in order, on both provider families (real SDKs over real HTTP)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentcore.llm.events import (
    FinalAnswer,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallStarted,
    ToolResult,
    UsageReport,
)
from tests.fakes import FakeAnthropic, FakeOpenAI
from tests.llm._family import agent_for

FAMILIES = ["openai", "anthropic"]


@pytest.fixture(params=FAMILIES)
def fake(request: pytest.FixtureRequest) -> FakeOpenAI | FakeAnthropic:
    name: str = request.param
    return request.getfixturevalue(f"fake_{name}")


def kinds(events: list[StreamEvent]) -> list[str]:
    """Event type names with runs of the same delta type collapsed."""
    out: list[str] = []
    for e in events:
        name = type(e).__name__
        if not (out and out[-1] == name and name in ("TextDelta", "ToolCallDelta")):
            out.append(name)
    return out


async def test_text_arrives_in_pieces_then_usage_then_answer(
    fake: FakeOpenAI | FakeAnthropic, tmp_path: Path
) -> None:
    fake.chunk_chars = 4
    fake.reply_text("Streaming works fine.", usage=(17, 6))
    async with agent_for(fake, tmp_path) as agent:
        events = [e async for e in agent.stream("hi")]
    assert kinds(events) == ["TextDelta", "UsageReport", "FinalAnswer"]
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 3 and "".join(deltas) == "Streaming works fine."
    (report,) = [e for e in events if isinstance(e, UsageReport)]
    assert (report.usage.prompt_tokens, report.usage.completion_tokens) == (17, 6)
    final = events[-1]
    assert isinstance(final, FinalAnswer)
    assert final.text == "Streaming works fine." and final.usage.total_tokens == 23
    body = fake.requests[0].json
    assert body["stream"] is True
    if isinstance(fake, FakeOpenAI):
        assert body["stream_options"] == {"include_usage": True}


async def test_parallel_tool_calls_stream_in_order(fake: FakeOpenAI | FakeAnthropic, tmp_path: Path) -> None:
    fake.chunk_chars = 5
    fake.reply_tool_calls(
        [("get_weather", {"city": "Paris"}), ("add", {"a": 40, "b": 2})], text="Let me check.", usage=(30, 12)
    )
    fake.reply_text("Sunny; 42.", usage=(50, 4))
    async with agent_for(fake, tmp_path) as agent:
        events = [e async for e in agent.stream("weather and sum")]

    # text, then each call's start followed by its argument fragments, usage, results, then the answer
    assert kinds(events) == [
        "TextDelta",
        "ToolCallStarted",
        "ToolCallDelta",
        "ToolCallStarted",
        "ToolCallDelta",
        "UsageReport",
        "ToolResult",
        "ToolResult",
        "TextDelta",
        "UsageReport",
        "FinalAnswer",
    ]
    started = [e for e in events if isinstance(e, ToolCallStarted)]
    assert [(s.name, s.index) for s in started] == [("get_weather", 0), ("add", 1)]
    assert started[0].id != started[1].id
    for s, expected in zip(started, [{"city": "Paris"}, {"a": 40, "b": 2}], strict=True):
        fragments = [d for d in events if isinstance(d, ToolCallDelta) and d.id == s.id]
        assert len(fragments) > 1 and all(d.index == s.index for d in fragments)
        assert json.loads("".join(d.arguments_delta for d in fragments)) == expected
    results = [e for e in events if isinstance(e, ToolResult)]
    assert [r.call.id for r in results] == [s.id for s in started]
    assert [r.message.text for r in results] == ["sunny in Paris", "42"]
    final = events[-1]
    assert isinstance(final, FinalAnswer) and final.text == "Sunny; 42." and final.iterations == 2
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (80, 16)


async def test_generate_stream_true_yields_events(fake: FakeOpenAI | FakeAnthropic, tmp_path: Path) -> None:
    fake.reply_text("hello from generate")
    async with agent_for(fake, tmp_path) as agent:
        events = [e async for e in agent.service.generate("hi", stream=True)]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "hello from generate"
    assert isinstance(events[-1], FinalAnswer)
