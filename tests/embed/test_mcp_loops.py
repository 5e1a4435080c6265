"""MCP sessions belong to the event loop that opened them: an Agent moving to a new loop opens new
ones there and leaves no server process behind."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentcore import Agent
from agentcore.config.schema import AgentConfig
from agentcore.messages import InternalMessage
from agentcore.testing import AgentInfo, FunctionModel, Turn, call
from agentcore.tools.mcp import McpToolSource
from tests.mcp._servers import http_server, pid_alive, stdio_entry


@pytest.fixture(autouse=True)
def agentcore_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTCORE_HOME", str(tmp_path / "home"))  # the stdio server's stderr log


@pytest.fixture
def http_demo() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    with http_server("http", "web") as running:
        yield running


def ask_pids(messages: list[InternalMessage], info: AgentInfo) -> Turn:
    """Calls every server's ``pid`` tool, then answers with what they returned."""
    if messages[-1].role == "tool":
        return " ".join(f"{m.name}={m.text}" for m in messages if m.role == "tool")
    return [call(t.name) for t in info.tools if t.name.split("__")[-1] == "pid"]


def agent_with_servers(url: str) -> Agent:
    config = AgentConfig.model_validate(
        {
            "llm": {"provider": "openai", "model": "gpt-4o-mini"},
            "storage": {"url": "memory://"},
            "mcpServers": {"std": stdio_entry("std"), "web": {"type": "streamable-http", "url": url}},
        }
    )
    return Agent(config, model=FunctionModel(ask_pids))


def pids(answer: str) -> dict[str, int]:
    """``{"pid": 123, "web__pid": 456}`` from the model's answer."""
    return {name: int(pid) for name, pid in (part.split("=") for part in answer.split())}


def sources(agent: Agent) -> list[McpToolSource]:
    return [s for s in agent.tools.sources if isinstance(s, McpToolSource)]


def test_mcp_sessions_follow_the_agent_across_asyncio_runs_and_threads(
    http_demo: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, web = http_demo
    agent = agent_with_servers(url)
    children: list[int] = []

    def one_run() -> None:
        result = asyncio.run(agent.run("which processes serve you?"))
        assert [(c.name, c.is_error) for c in result.tool_calls] == [("pid", False), ("web__pid", False)]
        seen = pids(result.text)
        assert seen["web__pid"] == web.pid
        children.append(seen["pid"])

    for _ in range(3):
        one_run()
    for _ in range(2):  # two threads, one after the other, each with its own loop
        thread = threading.Thread(target=one_run)
        thread.start()
        thread.join()
    assert len(children) == 5 and len(set(children)) == 5  # a new stdio session on every loop
    assert not any(pid_alive(pid) for pid in children[:-1])  # the earlier ones did not outlive their loop
    # Opening a session on a new loop is not a reconnect (``agentcore mcp status`` would say so).
    assert [(s.name, s.reconnects) for s in sources(agent)] == [("std", 0), ("web", 0)]
    asyncio.run(agent.close())
    assert not any(pid_alive(pid) for pid in children)
    assert [s.state for s in sources(agent)] == ["stopped", "stopped"]


def test_a_session_on_a_loop_still_running_elsewhere_is_closed_there(
    http_demo: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, web = http_demo
    agent = agent_with_servers(url)
    other = asyncio.new_event_loop()
    runner = threading.Thread(target=other.run_forever, daemon=True)
    runner.start()
    try:
        first = pids(asyncio.run_coroutine_threadsafe(agent.run("x"), other).result(timeout=60).text)
        assert pid_alive(first["pid"])  # its loop is alive, and so is its session
        second = pids(asyncio.run(asyncio.wait_for(agent.run("x"), 60)).text)
        assert second["pid"] != first["pid"] and second["web__pid"] == web.pid
        # The old session was closed on its own (still running) loop: its child is gone.
        assert not pid_alive(first["pid"])
        asyncio.run(agent.close())
        assert not pid_alive(second["pid"])
    finally:
        # What asyncio.run would do at the end: the agent's tasks left on that loop are cancelled.
        asyncio.run_coroutine_threadsafe(cancel_the_rest(), other).result(timeout=60)
        other.call_soon_threadsafe(other.stop)
        runner.join(timeout=30)
        other.run_until_complete(other.shutdown_asyncgens())
        other.close()


async def cancel_the_rest() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
