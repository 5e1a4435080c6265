"""Our retry policy against both fakes: what is retried, the schedule, the cap, the final error."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from agentcore import Agent
from agentcore.errors import AuthenticationError, ContextLengthExceeded, ProviderError
from agentcore.llm.retry import Failure, RetryPolicy, parse_retry_after
from agentcore.llm.service import LLMRequest
from agentcore.messages import InternalMessage
from tests.fakes import FakeAnthropic, FakeOpenAI
from tests.llm._family import agent_for


@pytest.fixture(params=["openai", "anthropic"])
def fake(request: pytest.FixtureRequest) -> FakeOpenAI | FakeAnthropic:
    name: str = request.param
    return request.getfixturevalue(f"fake_{name}")


def recording(agent: Agent) -> list[float]:
    """Replace the policy's sleep with a recorder: the schedule is asserted, never waited for."""
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    service = agent.service
    service.retry_policy = dataclasses.replace(service.retry_policy, sleep=sleep)
    return delays


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "0.01"}, 0.01),
        ({"retry-after-ms": "20", "retry-after": "5"}, 0.02),
        ({"retry-after": "0"}, 0.0),
    ],
)
async def test_429_waits_as_retry_after_says(
    fake: FakeOpenAI | FakeAnthropic, tmp_path: Path, headers: dict[str, str], expected: float
) -> None:
    fake.reply_error(429, headers=headers)
    fake.reply_text("after the wait")
    async with agent_for(fake, tmp_path) as agent:
        delays = recording(agent)
        with capture_logs() as logs:
            result = await agent.run("hi")
    assert result.text == "after the wait"
    assert delays == [pytest.approx(expected)]
    assert len(fake.requests) == 2
    (entry,) = [e for e in logs if e["event"] == "llm.retry"]
    assert entry["log_level"] == "warning" and entry["status"] == 429
    assert entry["delay_s"] == pytest.approx(expected) and entry["reason"]


async def test_retry_after_beyond_the_cap_fails_at_once(
    fake: FakeOpenAI | FakeAnthropic, tmp_path: Path
) -> None:
    fake.reply_error(429, headers={"retry-after": "3600"}, message="rate limited")
    async with agent_for(fake, tmp_path) as agent:
        delays = recording(agent)
        with pytest.raises(ProviderError) as info:
            await agent.run("hi")
    assert delays == [] and len(fake.requests) == 1
    err = info.value
    assert err.status == 429 and err.retry_after == 3600
    assert "retry in 3600s" in str(err) and "retryAfterCap" in str(err)


@pytest.mark.parametrize("stream", [False, True])
async def test_server_errors_and_dropped_connections_are_retried(
    fake: FakeOpenAI | FakeAnthropic, tmp_path: Path, stream: bool
) -> None:
    fake.reply_error(500)
    fake.reply_error(529 if isinstance(fake, FakeAnthropic) else 503)
    fake.reply_drop()
    fake.reply_text("finally")
    async with agent_for(fake, tmp_path, retry={"baseDelay": 0.1, "maxDelay": 0.3}) as agent:
        delays = recording(agent)
        with capture_logs() as logs:
            events = [e async for e in agent.stream("hi")] if stream else None
            text = events[-1].text if events else (await agent.run("hi")).text  # type: ignore[union-attr]
    assert text == "finally"
    assert len(fake.requests) == 4
    # full jitter under an exponential ceiling: 0.1, 0.2, then capped at maxDelay 0.3
    assert len(delays) == 3
    assert all(0 <= d <= c for d, c in zip(delays, [0.1, 0.2, 0.3], strict=True))
    reasons = [e["reason"] for e in logs if e["event"] == "llm.retry"]
    assert len(reasons) == 3 and all(reasons)


async def test_stream_cut_before_any_output_is_retried(
    fake: FakeOpenAI | FakeAnthropic, tmp_path: Path
) -> None:
    # OpenAI: the role-only first chunk; Anthropic: message_start + ping. Nothing was shown yet.
    fake.reply_truncated_stream("never shown", after_chunks=1 if isinstance(fake, FakeOpenAI) else 2)
    fake.reply_text("second try")
    async with agent_for(fake, tmp_path) as agent:
        delays = recording(agent)
        events = [e async for e in agent.stream("hi")]
    assert events[-1].text == "second try"  # type: ignore[union-attr]
    assert len(delays) == 1 and len(fake.requests) == 2


async def test_stream_cut_after_output_is_not_retried(
    fake: FakeOpenAI | FakeAnthropic, tmp_path: Path
) -> None:
    fake.chunk_chars = 3
    fake.reply_truncated_stream("this answer is cut off half way", after_chunks=6)
    fake.reply_text("next turn works")
    async with agent_for(fake, tmp_path) as agent:
        delays = recording(agent)
        with pytest.raises(ProviderError) as info:
            async for _ in agent.stream("hi"):
                pass
        assert delays == [] and len(fake.requests) == 1
        assert "cut off" in str(info.value) and "not retried" in str(info.value)
        assert (await agent.run("again")).text == "next turn works"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_client_errors_are_never_retried(
    fake: FakeOpenAI | FakeAnthropic, tmp_path: Path, status: int
) -> None:
    fake.reply_error(status, message=f"bad things {status}")
    async with agent_for(fake, tmp_path) as agent:
        delays = recording(agent)
        with pytest.raises(ProviderError) as info:
            await agent.run("hi")
    assert len(fake.requests) == 1 and delays == []
    assert info.value.status == status and f"bad things {status}" in str(info.value)
    assert isinstance(info.value, AuthenticationError) == (status in (401, 403))


async def test_a_retried_request_is_byte_identical(fake: FakeOpenAI | FakeAnthropic, tmp_path: Path) -> None:
    fake.reply_tool_calls([("add", {"a": 1, "b": 2})])
    fake.reply_error(503)
    fake.reply_error(429, headers={"retry-after": "0"})
    fake.reply_text("3")
    async with agent_for(fake, tmp_path) as agent:
        recording(agent)
        assert (await agent.run("1+2")).text == "3"
    first_turn, *retried = fake.requests[1:]
    assert len(retried) == 2
    assert first_turn.json["tools"] and len(first_turn.json["tools"]) == 2
    assert all(r.body == first_turn.body for r in retried)


async def test_context_length_is_its_own_error(fake: FakeOpenAI | FakeAnthropic, tmp_path: Path) -> None:
    if isinstance(fake, FakeAnthropic):
        fake.reply_error(400, message="prompt is too long: 210000 tokens > 200000 maximum")
    else:
        fake.reply_error(
            400,
            code="context_length_exceeded",
            message="This model's maximum context length is 128000 tokens. However, you requested 130000.",
        )
    async with agent_for(fake, tmp_path) as agent:
        request = LLMRequest((InternalMessage.user("a very long prompt"),), None, (), stream=False)
        with pytest.raises(ContextLengthExceeded) as info:
            await agent.service.complete(request)
    assert len(fake.requests) == 1 and info.value.status == 400  # its own type, and not retried


async def test_final_error_names_provider_model_status_and_request_id(
    fake: FakeOpenAI | FakeAnthropic, tmp_path: Path
) -> None:
    for _ in range(3):
        fake.reply_error(500, message="upstream exploded")
    async with agent_for(fake, tmp_path, retry={"attempts": 3}) as agent:
        recording(agent)
        with pytest.raises(ProviderError) as info:
            await agent.run("hi")
    err = info.value
    model = agent.service.model
    assert len(fake.requests) == 3 and err.attempts == 3
    line = str(err)
    assert "\n" not in line
    assert line.startswith(f"{agent.service.provider} ({model}) HTTP 500: upstream exploded")
    assert "[request req_3]" in line and "after 3 attempts" in line


def test_policy_unit_rules() -> None:
    policy = RetryPolicy(attempts=3, base_delay=1, max_delay=2, retry_after_cap=10)
    assert policy.delay(1, Failure("status", "x", status=400)) is None
    assert policy.delay(1, Failure("status", "x", status=409)) is not None
    assert policy.delay(3, Failure("connection", "x")) is None  # attempts used up
    assert policy.delay(1, Failure("status", "x", status=429, retry_after=11)) is None
    assert policy.delay(2, Failure("timeout", "x", retry_after=4)) == 4
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None


def test_cli_prints_the_error_line_not_a_traceback(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.helpers import cli_config

    fake_openai.reply_error(401, message="Incorrect API key provided")
    agentcore = str(Path(sys.executable).parent / "agentcore")
    proc = subprocess.run(
        [agentcore, "run", "-c", str(cli_config(tmp_path, fake_openai.url)), "hi"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert "openai (gpt-4o-mini) HTTP 401: Incorrect API key provided [request req_1]" in line
    assert len(fake_openai.requests) == 1
