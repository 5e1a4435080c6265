"""Every way a response can fail part-way is a classified provider error, on every provider.

Stream error events (HTTP 200), streams and bodies that end cleanly but cut, and time limits:
retried while nothing was shown, one line for the user, never a final answer, never a tool run.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from agentcore import Agent
from agentcore.errors import IncompleteResponseError, ProviderError
from agentcore.llm.events import FinalAnswer, StreamEvent, TextDelta, ToolResult
from agentcore.llm.retry import DeadlineExceeded, IncompleteResponse, partial_usage
from agentcore.llm.service import LLMRequest
from agentcore.messages import InternalMessage
from tests.fakes import FakeAnthropic, FakeOpenAI, TextReply, TrickleReply
from tests.llm._family import add, bedrock_config, config_for, get_weather

PROVIDERS = ["openai", "anthropic", "bedrock"]


@pytest.fixture(params=PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def fake(provider: str, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic) -> FakeOpenAI | FakeAnthropic:
    return fake_openai if provider == "openai" else fake_anthropic


def make_agent(provider: str, fake: FakeOpenAI | FakeAnthropic, tmp_path: Path, **llm: Any) -> Agent:
    if provider == "bedrock":
        config = bedrock_config(fake.url, tmp_path, **llm)
    else:
        config = config_for(fake, tmp_path, **llm)
    agent = Agent(config, tools=[get_weather, add])
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    agent.service.retry_policy = dataclasses.replace(agent.service.retry_policy, sleep=sleep)
    return agent


async def collect(agent: Agent, text: str = "hi") -> list[StreamEvent]:
    return [e async for e in agent.stream(text)]


async def test_stream_error_event_before_any_text_is_retried(
    provider: str, fake: FakeOpenAI | FakeAnthropic, tmp_path: Path
) -> None:
    error = "overloaded_error" if provider == "anthropic" else "serviceUnavailableException"
    error = "server_error" if provider == "openai" else error
    fake.reply_stream_error("never shown", after_chunks=1, error_type=error, message="busy, try again")
    fake.reply_text("second time lucky")
    async with make_agent(provider, fake, tmp_path) as agent:
        with capture_logs() as logs:
            events = await collect(agent)
    assert isinstance(events[-1], FinalAnswer) and events[-1].text == "second time lucky"
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "second time lucky"
    (retry,) = [e for e in logs if e["event"] == "llm.retry"]
    assert "busy, try again" in retry["reason"] and retry["status"] >= 500
    assert len(fake.requests) == 2


async def test_stream_error_event_after_text_is_one_final_error(
    provider: str, fake: FakeOpenAI | FakeAnthropic, tmp_path: Path
) -> None:
    chunks = 3 if provider == "openai" else 4  # past the first text delta
    error = "modelStreamErrorException" if provider == "bedrock" else "api_error"
    fake.reply_stream_error(
        "Hello, this is the beginning", after_chunks=chunks, message="boom", error_type=error
    )
    async with make_agent(provider, fake, tmp_path) as agent:
        with pytest.raises(ProviderError) as info:
            await collect(agent)
    message = str(info.value)
    assert "boom" in message and "cut off after it had begun" in message and "\n" not in message
    assert len(fake.requests) == 1


@pytest.mark.parametrize("stream", [False, True])
async def test_clean_truncation_is_retried_and_never_the_answer(
    provider: str, fake: FakeOpenAI | FakeAnthropic, tmp_path: Path, stream: bool
) -> None:
    fake.reply_cut("CUT TEXT that stops", after_chunks=1)  # nothing shown before the end
    fake.reply_text("the whole answer")
    async with make_agent(provider, fake, tmp_path) as agent:
        if stream:
            events = await collect(agent)
            text = "".join(e.text for e in events if isinstance(e, TextDelta))
            assert isinstance(events[-1], FinalAnswer)
            answer = events[-1].text
        else:
            result = await agent.run("hi")
            text = answer = result.text
    assert answer == text == "the whole answer"
    assert len(fake.requests) == 2


@pytest.mark.parametrize("stream", [False, True])
async def test_clean_truncation_on_every_attempt_is_an_incomplete_response_error(
    provider: str, fake: FakeOpenAI | FakeAnthropic, tmp_path: Path, stream: bool
) -> None:
    fake.set_default(lambda _rec: _cut())
    async with make_agent(provider, fake, tmp_path, maxRetries=2) as agent:
        with pytest.raises(IncompleteResponseError) as info:
            if stream:
                await collect(agent)
            else:
                await agent.run("hi")
        history = await agent.context.request_messages([])
    assert len(fake.requests) == 3 and info.value.attempts == 3
    assert "ended before" in str(info.value) or "cut off" in str(info.value)
    assert all(m.role == "user" for m in history)  # no cut text stored as an answer


def _cut() -> Any:
    from tests.fakes import TruncatedReply

    return TruncatedReply(TextReply("CUT TEXT that stops early"), 1, clean=True)


async def test_a_stream_cut_inside_a_tool_call_never_runs_the_tool(
    provider: str, fake: FakeOpenAI | FakeAnthropic, tmp_path: Path
) -> None:
    fake.chunk_chars = 4
    fake.reply_cut("", after_chunks=4 if provider == "openai" else 5, tool_calls=[("add", {"a": 40, "b": 2})])
    async with make_agent(provider, fake, tmp_path) as agent:
        with pytest.raises(ProviderError):
            events: list[StreamEvent] = []
            async for event in agent.stream("sum"):
                events.append(event)
        history = await agent.context.request_messages([])
    assert not [e for e in events if isinstance(e, ToolResult)]
    assert [m.role for m in history] == ["user"]


# ---- time limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
async def test_a_trickling_server_hits_the_total_deadline(
    provider: str, fake: FakeOpenAI | FakeAnthropic, tmp_path: Path, stream: bool
) -> None:
    # Each gap (0.05 s) is far below llm.timeout; the whole response would take ~20 s.
    fake.chunk_chars = 1
    fake.push(TrickleReply(TextReply("x" * 400), interval_s=0.05, chunk_bytes=2))
    async with make_agent(provider, fake, tmp_path, timeout=1, maxRetries=0) as agent:
        started = time.monotonic()
        with pytest.raises(ProviderError) as info:
            if stream:
                await collect(agent)
            else:
                await agent.run("hi")
        elapsed = time.monotonic() - started
    assert elapsed < 5
    assert "1s" in str(info.value) and "llm.timeout" in str(info.value)


async def test_first_byte_timeout_bounds_the_wait_for_a_stream(
    provider: str, fake: FakeOpenAI | FakeAnthropic, tmp_path: Path
) -> None:
    fake.push(TextReply("late", delay_s=3), TextReply("on time"))
    async with make_agent(provider, fake, tmp_path, timeout=30, firstByteTimeout=0.5) as agent:
        with capture_logs() as logs:
            started = time.monotonic()
            events = await collect(agent)
            elapsed = time.monotonic() - started
    assert isinstance(events[-1], FinalAnswer) and events[-1].text == "on time"
    (retry,) = [e for e in logs if e["event"] == "llm.retry"]
    assert "llm.firstByteTimeout" in retry["reason"]
    assert elapsed < 3


async def test_deadline_and_incomplete_are_classified_retryable_timeouts(
    provider: str, fake: FakeOpenAI | FakeAnthropic, tmp_path: Path
) -> None:
    async with make_agent(provider, fake, tmp_path) as agent:
        service = agent.service
        deadline = service.client.primary.classify(DeadlineExceeded("too slow", 1.0))  # pyright: ignore[reportPrivateUsage]
        cut = service.client.primary.classify(IncompleteResponse("cut"))  # pyright: ignore[reportPrivateUsage]
    assert deadline is not None and deadline.kind == "timeout" and deadline.retryable
    assert cut is not None and cut.kind == "incomplete_stream" and cut.retryable


# ---- partial usage of a failed attempt ----------------------------------------------------------------


async def test_a_cut_anthropic_stream_keeps_the_input_tokens_it_reported(
    fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    from tests.fakes import Usage

    fake_anthropic.reply_cut(
        "some text", after_chunks=3, usage=Usage(4500, 80, cached=100, cache_creation=50)
    )
    async with make_agent("anthropic", fake_anthropic, tmp_path) as agent:
        request = LLMRequest((InternalMessage.user("hi"),), None, (), stream=True)
        with pytest.raises(IncompleteResponse) as info:
            async for _ in agent.service.client.primary.round_trip(request):  # pyright: ignore[reportPrivateUsage]
                pass
    usage = partial_usage(info.value)
    assert usage is not None and usage.reported
    assert (usage.prompt_tokens, usage.cached_tokens, usage.cache_write_tokens) == (4650, 100, 50)
    assert usage.completion_tokens == 1  # what message_start said
