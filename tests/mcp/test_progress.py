"""Progress while a tool runs: MCP progress notifications (stdio and streamable HTTP) and local tools'
``ctx.report_progress`` become ``ToolProgress`` stream events before the tool's result, and the CLI
shows them as a progress line."""

from __future__ import annotations

import asyncio
import io
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from agentcore import Agent, RunContext, ToolProgress, ToolResult, tool
from agentcore.cli._render import EventPrinter
from agentcore.config.loader import load_config_from_dict
from agentcore.llm.events import StreamEvent, TextDelta, ToolCallStarted
from agentcore.messages import InternalMessage, ToolCall
from agentcore.testing import ScriptedModel, call
from tests.embed.test_cli_embed import _read_until  # pyright: ignore[reportPrivateUsage]
from tests.fakes import FakeOpenAI
from tests.mcp.test_chat_elicitation import _config as _chat_config  # pyright: ignore[reportPrivateUsage]
from tests.mcp.test_client_features import features

GUARD = 60
AGENTCORE = str(Path(sys.executable).parent / "agentcore")


def llm(url: str) -> dict[str, Any]:
    return {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "apiKey": "sk-test-0123456789abcdef",
        "baseURL": url + "/v1",
    }


async def collect(agent: Agent, text: str) -> list[StreamEvent]:
    async def run() -> list[StreamEvent]:
        return [event async for event in agent.stream(text)]

    return await asyncio.wait_for(run(), GUARD)


def tool_events(events: list[StreamEvent]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for event in events:
        if isinstance(event, ToolProgress):
            out.append(("progress", (event.call_id, event.tool, event.progress, event.total, event.message)))
        elif isinstance(event, ToolResult):
            out.append(("result", (event.call.id, event.message.text)))
    return out


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_mcp_progress_streams_before_the_result(
    transport: str, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.reply_tool_calls([("work", {"steps": 3})])
    fake_openai.reply_text("All done.")
    with features(transport) as entry:
        config = load_config_from_dict(
            {
                "llm": llm(fake_openai.url),
                "localTools": [],
                "storage": {"url": "memory://"},
                "mcpServers": {"features": entry},
            },
            base_dir=tmp_path,
        )
        async with Agent(config) as agent:
            events = await collect(agent, "Do the work")
    seen = tool_events(events)
    call_id = next(e.id for e in events if isinstance(e, ToolCallStarted))
    assert seen == [
        ("progress", (call_id, "work", 1, 3, "step 1")),
        ("progress", (call_id, "work", 2, 3, "step 2")),
        ("progress", (call_id, "work", 3, 3, "step 3")),
        ("result", (call_id, "worked")),
    ]


@tool
async def crunch(ctx: RunContext[None], n: int) -> str:
    """Crunch n items, reporting each."""
    for i in range(n):
        ctx.report_progress(i + 1, n, f"item {i + 1}")
        await asyncio.sleep(0)
    return f"crunched {n}"


@tool
def grind(ctx: RunContext[None], n: int) -> str:
    """The same in a worker thread (a sync tool)."""
    for i in range(n):
        ctx.report_progress(i + 1, None, None)
    return f"ground {n}"


async def test_local_tools_report_progress_from_the_loop_and_from_threads() -> None:
    model = ScriptedModel([[call("crunch", n=2), call("grind", n=2)], "Done."])
    async with Agent(model=model, tools=[crunch, grind]) as agent:
        events = await collect(agent, "go")
    by_call: dict[str, list[tuple[str, Any]]] = {}
    for kind, data in tool_events(events):
        by_call.setdefault(data[0], []).append((kind, data[1:]))
    crunch_id, grind_id = (e.id for e in events if isinstance(e, ToolCallStarted))
    assert by_call[crunch_id] == [
        ("progress", ("crunch", 1, 2, "item 1")),
        ("progress", ("crunch", 2, 2, "item 2")),
        ("result", ("crunched 2",)),
    ]
    assert by_call[grind_id] == [
        ("progress", ("grind", 1, None, None)),
        ("progress", ("grind", 2, None, None)),
        ("result", ("ground 2",)),
    ]


async def test_progress_outside_a_stream_is_dropped() -> None:
    model = ScriptedModel([call("crunch", n=2), "Done."])
    async with Agent(model=model, tools=[crunch]) as agent:
        result = await asyncio.wait_for(agent.run("go"), GUARD)
    assert [c.result for c in result.tool_calls] == ["crunched 2"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _result(text: str) -> ToolResult:
    tc = ToolCall("c1", "work", "{}")
    return ToolResult(tc, InternalMessage.tool_result(tc, text), 5.0)


def test_on_a_terminal_the_progress_line_is_rewritten_then_cleared() -> None:
    out, err = io.StringIO(), _Terminal()
    printer = EventPrinter(out, err)
    printer(ToolCallStarted("c1", "work"))
    printer(ToolProgress("c1", "work", 1, 4, "step 1"))
    printer(ToolProgress("c1", "work", 2, 4, "step 2"))
    printer(_result("worked"))
    printer(TextDelta("Done."))
    printer.finish()
    shown = err.getvalue()
    # Each report rewrites the same row (carriage return + erase line), none ends a line.
    assert "\r\x1b[2K\x1b[2m… work 1/4 (25%): step 1\x1b[0m\r\x1b[2K\x1b[2m… work 2/4 (50%): step 2" in shown
    # The tool's end erases the progress row before its own line.
    assert "step 2\x1b[0m\r\x1b[2K\x1b[2m← work done" in shown
    assert "\n…" not in shown
    assert out.getvalue() == "Done.\n"


def test_off_a_terminal_each_report_is_a_plain_line() -> None:
    out, err = io.StringIO(), io.StringIO()
    printer = EventPrinter(out, err)
    printer(ToolProgress("c1", "work", 1, None, None))
    printer(ToolProgress("c1", "work", 2, 2, "last"))
    printer(_result("worked"))
    assert err.getvalue().splitlines() == [
        "… work 1",
        "… work 2/2 (100%): last",
        "← work done (5 ms): worked",
    ]


def test_run_cli_shows_progress_lines(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_tool_calls([("work", {"steps": 2})])
    fake_openai.reply_text("All done.")
    with features("stdio") as entry:
        config = tmp_path / "agent.yml"
        config.write_text(
            yaml.safe_dump(
                {
                    "llm": llm(fake_openai.url),
                    "localTools": [],
                    "storage": {"url": "memory://"},
                    "mcpServers": {"features": entry},
                }
            )
        )
        env = {**os.environ, "NO_COLOR": "1", "AGENTCORE_HOME": str(tmp_path / "home")}
        done = subprocess.run(
            [AGENTCORE, "run", "-c", str(config), "Do the work"],
            capture_output=True,
            text=True,
            timeout=GUARD,
            env=env,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith(("…", "←"))]
    assert lines[:3] == ["… work 1/2 (50%): step 1", "… work 2/2 (100%): step 2", lines[2]]
    assert lines[2].startswith("← work done")
    assert done.stdout.strip() == "All done."


def test_chat_on_a_terminal_rewrites_one_progress_line(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_tool_calls([("work", {"steps": 2})])
    fake_openai.reply_text("All done.")
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "AGENTCORE_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [AGENTCORE, "chat", "--config", _chat_config(tmp_path, fake_openai), "--new"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    try:
        _read_until(master, "/help")
        os.write(master, b"do the work\n")
        shown = _read_until(master, "All done.")
        os.write(master, b"/exit\n")
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", shown)  # colours off: the line handling is what counts
    first, second = "… work 1/2 (50%): step 1", "… work 2/2 (100%): step 2"
    # Each report rewrites the row (carriage return + erase line) and none ends it; the server's log
    # line may land anywhere among them (it is printed as it arrives), so no more order is asserted.
    assert f"\r\x1b[2K{first}" in plain and f"\r\x1b[2K{second}" in plain
    assert f"{first}\r\n" not in plain and f"{second}\r\n" not in plain
    assert "\r\x1b[2K← work done" in plain  # the row is cleared when the tool ends
