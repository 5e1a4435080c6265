"""Cancelling a turn (Ctrl-C) mid-stream or mid-tool-call leaves a valid history; the next turn works."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentcore import Agent, tool
from agentcore.llm.events import TextDelta
from tests.fakes import FakeAnthropic, FakeOpenAI
from tests.helpers import cli_config
from tests.llm._family import config_for


@pytest.fixture(params=["openai", "anthropic"])
def fake(request: pytest.FixtureRequest) -> FakeOpenAI | FakeAnthropic:
    name: str = request.param
    return request.getfixturevalue(f"fake_{name}")


async def test_cancel_mid_stream(fake: FakeOpenAI | FakeAnthropic, tmp_path: Path) -> None:
    fake.chunk_chars = 2
    fake.chunk_delay_s = 0.05  # a long, slow answer: it is still streaming when we cancel
    fake.reply_text("a long answer that takes a while to arrive " * 4)
    fake.reply_text("second answer")
    async with Agent(config_for(fake, tmp_path)) as agent:
        first_delta = asyncio.Event()

        async def turn() -> None:
            async for event in agent.stream("first"):
                if isinstance(event, TextDelta):
                    first_delta.set()

        task = asyncio.create_task(turn())
        await asyncio.wait_for(first_delta.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert [m.role for m in agent.context.messages] == ["user"]  # no half answer kept
        fake.chunk_delay_s = 0
        result = await asyncio.wait_for(agent.run("second"), 10)
    assert result.text == "second answer"
    sent = fake.requests[1].json["messages"]
    texts = str(sent)
    assert "first" in texts and "second" in texts
    if isinstance(fake, FakeAnthropic):  # roles must alternate: the two user turns are merged
        assert [m["role"] for m in sent] == ["user"]


async def test_cancel_mid_tool_call(fake: FakeOpenAI | FakeAnthropic, tmp_path: Path) -> None:
    started = asyncio.Event()

    @tool
    async def slow(n: int) -> str:
        """Takes forever.

        Args:
            n: a number
        """
        started.set()
        await asyncio.Event().wait()
        return "never"

    @tool
    def quick(n: int) -> str:
        """Returns at once.

        Args:
            n: a number
        """
        return f"quick {n}"

    fake.reply_tool_calls([("slow", {"n": 1}), ("quick", {"n": 2})])
    fake.reply_text("recovered")
    async with Agent(config_for(fake, tmp_path), tools=[slow, quick]) as agent:
        task = asyncio.create_task(agent.run("go"))
        await asyncio.wait_for(started.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        history = agent.context.messages
        assert [m.role for m in history] == ["user", "assistant", "tool", "tool"]
        calls = history[1].tool_calls
        assert [m.tool_call_id for m in history[2:]] == [c.id for c in calls]  # every call has a result
        assert all(m.is_error and "interrupted" in m.text for m in history[2:])
        result = await asyncio.wait_for(agent.run("try again"), 10)
    assert result.text == "recovered"
    body = fake.requests[1].json
    if isinstance(fake, FakeAnthropic):
        results = [b for b in body["messages"][2]["content"] if b["type"] == "tool_result"]
        assert [r["tool_use_id"] for r in results] == [c.id for c in calls]
        assert body["messages"][2]["content"][-1] == {"type": "text", "text": "try again"}
    else:
        tool_msgs = [m for m in body["messages"] if m["role"] == "tool"]
        assert [m["tool_call_id"] for m in tool_msgs] == [c.id for c in calls]


def _wait_for(condition: object, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.01)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_in_chat_cancels_the_turn_and_chat_goes_on(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_text("too late", delay_s=30)
    fake_openai.reply_text("second answer")
    agentcore = str(Path(sys.executable).parent / "agentcore")
    proc = subprocess.Popen(
        [agentcore, "chat", "-c", str(cli_config(tmp_path, fake_openai.url))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        assert proc.stdin is not None
        proc.stdin.write("first question\n")
        proc.stdin.flush()
        _wait_for(lambda: len(fake_openai.requests) == 1)  # the turn is in flight, the reply delayed
        proc.send_signal(signal.SIGINT)
        proc.stdin.write("second question\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=30)  # closes stdin: chat ends at EOF
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "turn cancelled" in err
    assert "second answer" in out and "too late" not in out
    assert len(fake_openai.requests) == 2
    sent = fake_openai.requests[1].json["messages"]
    assert sent[-1] == {"role": "user", "content": "second question"}
