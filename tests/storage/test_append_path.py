"""The append path: one transaction per assistant turn, and ``memory://`` under concurrency."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from agentcore.messages import InternalMessage
from agentcore.storage.db import resolve_url
from agentcore.testing import AgentInfo, FunctionModel, ScriptedModel, Turn, call
from agentcore.tools.decorator import tool
from tests.storage._util import double_on
from tests.storage.conftest import Db


def _sqlite_path(url: str) -> str:
    return url.split(":///", 1)[1]


async def test_an_assistant_tool_call_is_committed_with_its_results_in_one_transaction(
    db: Db, tmp_path: Path
) -> None:
    seen_while_running: list[list[str]] = []

    @tool
    def look(x: int) -> int:
        """Look at the stored rows while the tool runs."""
        seen_while_running.append([r[2] for r in db.rows("t1")])
        return x * 2

    model = ScriptedModel([[call("look", x=1), call("look", x=2)], "2 and 4"])
    async with double_on(db.url, model, tmp_path, tools=[look]) as agent:
        result = await agent.run("double 1 and 2", session="t1")
    assert result.text == "2 and 4"
    # While the tools ran, only the user message was stored: the call waits for its results...
    assert seen_while_running == [["user"], ["user"]]
    # ...and then the call and both results landed together, numbered consecutively.
    rows = db.rows("t1")
    assert [(r[1], r[2]) for r in rows] == [(1, "user"), (2, "assistant"), (3, "tool"), (4, "tool"),
                                            (5, "assistant")]  # fmt: skip
    assert db.query("SELECT message_count, next_seq FROM agentcore_sessions WHERE name = ?", "t1") == [(5, 6)]


async def test_a_run_cancelled_during_its_tools_stores_the_call_with_interrupted_results(
    db: Db, tmp_path: Path
) -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    @tool
    async def slow() -> str:
        """Wait until released."""
        started.set()
        await release.wait()
        return "never"

    async with double_on(db.url, ScriptedModel([call("slow")]), tmp_path, tools=[slow]) as agent:
        task = asyncio.create_task(agent.run("go", session="c1"))
        await asyncio.wait_for(started.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    rows = db.rows("c1")
    assert [r[2] for r in rows] == ["user", "assistant", "tool"]
    assert "interrupted" in str(rows[2][3]).lower()


def _reply(messages: list[InternalMessage], info: AgentInfo) -> Turn:
    last = messages[-1]
    if last.role == "user":
        return call("add", a=1, b=len(last.text))
    return f"sum {last.text}"


async def test_memory_storage_takes_concurrent_sessions_with_the_call_log_on(tmp_path: Path) -> None:
    @tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    sessions, turns = 20, 3
    with capture_logs() as logs:
        async with double_on("memory://", FunctionModel(_reply), tmp_path, tools=[add]) as agent:

            async def converse(i: int) -> list[str]:
                return [(await agent.run(f"q{i}-{t}", session=f"m{i}")).text for t in range(turns)]

            answers = await asyncio.wait_for(asyncio.gather(*(converse(i) for i in range(sessions))), 60)
            await agent.call_log.flush()
            writer = agent.call_log.writer
            assert (writer.failed, writer.dropped) == (0, 0)
            stored = {
                i: [m.role for m in (await agent.sessions.resume(f"m{i}")).messages] for i in range(sessions)
            }
    assert all(a == [f"sum {1 + len(f'q{i}-{t}')}" for t in range(turns)] for i, a in enumerate(answers))
    assert all(roles == ["user", "assistant", "tool", "assistant"] * turns for roles in stored.values())
    assert [e for e in logs if e.get("log_level") in ("warning", "error", "critical")] == []
    # A real file in this process's throwaway folder: the call log saw every request.
    url = resolve_url("memory://")
    with sqlite3.connect(_sqlite_path(url)) as conn:
        calls = conn.execute("SELECT count(*), count(DISTINCT session_id) FROM llm_call_logs").fetchone()
        usage = conn.execute("SELECT sum(requests) FROM llm_model_usage").fetchone()
    assert calls[0] >= sessions * turns * 2 and calls[1] >= sessions
    assert usage[0] == calls[0]
    assert json.dumps(resolve_url("memory://")) == json.dumps(url)  # one database for the process


def test_memory_storage_is_a_private_temporary_file() -> None:
    url = resolve_url("memory://")
    path = Path(_sqlite_path(url))
    assert url.startswith("sqlite+aiosqlite:///") and path.parent.name.startswith("agentcore-memory-")
    assert resolve_url("sqlite://") == url  # the in-memory SQLite URL means the same throwaway database
