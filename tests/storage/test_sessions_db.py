"""Sessions in a real database (SQLite and PostgreSQL) through the Agent, driven by the doubles."""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentcore import tool
from agentcore.context.repair import INTERRUPTED
from agentcore.context.store import SessionStore
from agentcore.errors import StorageError
from agentcore.messages import InternalMessage, ToolCall
from agentcore.storage.db import dispose_engines
from agentcore.testing import AgentInfo, FunctionModel, ScriptedModel, Turn, call
from tests.storage._util import double_on
from tests.storage.conftest import Db

REPO = Path(__file__).resolve().parents[2]


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def ok(messages: list[InternalMessage], info: AgentInfo) -> str:
    return "ok"


async def test_messages_are_appended_one_row_each_never_rewritten(db: Db, tmp_path: Path) -> None:
    model = ScriptedModel([call("add", a=2, b=3), "5", "done"])
    async with double_on(db.url, model, tmp_path, tools=[add]) as agent:
        ctx = agent.session("s1")
        seen: list[list[tuple[object, ...]]] = []
        original_add_many = ctx.add_many

        async def spying_add_many(messages: list[InternalMessage]) -> None:
            await original_add_many(messages)
            seen.append(db.rows("s1"))

        ctx.add_many = spying_add_many  # type: ignore[method-assign]
        await agent.run("what is 2+3?", session="s1")
        await agent.run("thanks", session="s1")
    # user, assistant(call), tool, assistant, user, assistant: one new row per message; the
    # assistant's tool call is committed with its result, in one transaction.
    assert [len(r) for r in seen] == [1, 1, 3, 4, 5, 6]
    for before, after in itertools.pairwise(seen):
        assert after[: len(before)] == before  # earlier rows untouched (same ids, same content)
    final = db.rows("s1")
    assert [r[1] for r in final] == [1, 2, 3, 4, 5, 6]
    assert [r[2] for r in final] == ["user", "assistant", "tool", "assistant", "user", "assistant"]


async def test_a_new_process_resumes_the_session(db: Db, tmp_path: Path) -> None:
    async with double_on(db.url, ScriptedModel(["Nice to meet you, Ada."]), tmp_path) as agent:
        await agent.run("My name is Ada.", session="intro")
    await dispose_engines()  # as if the process ended: no engine, no cached state survives
    model = ScriptedModel(["You are Ada."])
    async with double_on(db.url, model, tmp_path) as agent:
        result = await agent.run("What is my name?", session="intro")
        listed = [s.name for s in await agent.sessions.list()]
    assert result.session == "intro" and "intro" in listed
    sent = model.requests[-1].messages
    assert [m.text for m in sent] == [
        "My name is Ada.",
        "Nice to meet you, Ada.",
        "What is my name?",
    ]


async def test_each_message_is_committed_before_the_next_request(db: Db, tmp_path: Path) -> None:
    rows_at_request: list[int] = []
    sent_at_request: list[int] = []

    def check(messages: list[InternalMessage], info: AgentInfo) -> Turn:
        # On its own DB connection (``db.rows``): sees only committed rows.
        rows_at_request.append(len(db.rows("crash")))
        sent_at_request.append(len(messages))
        if len(rows_at_request) == 1:
            return call("add", a=1, b=1)
        return "two"

    async with double_on(db.url, FunctionModel(check), tmp_path, tools=[add]) as agent:
        await agent.run("1+1?", session="crash")
        await agent.run("again", session="crash")
    assert sent_at_request == [1, 3, 5]
    assert rows_at_request == sent_at_request  # everything the request carries was already stored


async def test_history_is_repaired_on_load(db: Db, tmp_path: Path) -> None:
    store = SessionStore(db.url)
    info = await store.get_or_create("broken")
    calls = (ToolCall("c1", "add", '{"a":1,"b":2}'), ToolCall("c2", "add", '{"a":3,"b":4}'))
    history = [
        InternalMessage.user("hi"),
        InternalMessage.tool_result(ToolCall("ghost", "add", "{}"), "orphan"),  # no call: dropped
        InternalMessage.assistant(None, calls),
        InternalMessage.tool_result(calls[0], "3"),  # c2's result is missing (crash)
        InternalMessage.user("and now?"),
    ]
    await store.append(info, history, [None] * len(history), None)
    model = ScriptedModel(["ok"])
    async with double_on(db.url, model, tmp_path) as agent:
        await agent.run("continue", session="broken")
    sent = model.requests[0].messages
    assert [m.role for m in sent] == ["user", "assistant", "tool", "tool", "user", "user"]
    assert (sent[2].tool_call_id, sent[2].text) == ("c1", "3")
    assert (sent[3].tool_call_id, sent[3].text) == ("c2", INTERRUPTED)
    assert len(db.rows("broken")) == 7  # the stored history itself is not rewritten


async def test_fifty_concurrent_sessions_of_twenty_turns_lose_nothing(db: Db, tmp_path: Path) -> None:
    def echo(messages: list[InternalMessage], info: AgentInfo) -> str:
        return "ans " + messages[-1].text

    model = FunctionModel(echo)
    sessions, turns = 50, 20
    async with double_on(db.url, model, tmp_path) as agent:

        async def converse(i: int) -> None:
            for t in range(turns):
                result = await agent.run(f"s{i}-t{t}", session=f"c{i}")
                assert result.text == f"ans s{i}-t{t}"

        await asyncio.wait_for(asyncio.gather(*(converse(i) for i in range(sessions))), 120)
    counts = db.query(
        "SELECT s.name, COUNT(*), MIN(m.seq), MAX(m.seq) FROM agentcore_messages m "
        "JOIN agentcore_sessions s ON s.id = m.session_id GROUP BY s.name"
    )
    by_name = {r[0]: r[1:] for r in counts}
    assert len([n for n in by_name if n.startswith("c")]) == sessions
    for i in range(sessions):
        assert tuple(by_name[f"c{i}"]) == (2 * turns, 1, 2 * turns)
        rows = db.rows(f"c{i}")
        assert [r[3] for r in rows[-2:]] == [f"s{i}-t{turns - 1}", f"ans s{i}-t{turns - 1}"]
    # Every request carried exactly its own session's history so far.
    assert len(model.requests) == sessions * turns
    for request in model.requests:
        messages = request.messages
        session = messages[-1].text.split("-")[0]
        assert all(m.text.split("-")[0].removeprefix("ans ") == session for m in messages)


_WORKER = textwrap.dedent(
    """
    import asyncio, sys
    sys.path.insert(0, {repo!r})
    from tests.storage._util import double_on
    from agentcore.testing import FunctionModel
    from pathlib import Path

    async def main(url, session, tag):
        model = FunctionModel(lambda messages, info: "ok")
        async with double_on(url, model, Path('.')) as agent:
            for t in range(5):
                await agent.run(f"{{tag}}-{{t}}", session=session)

    asyncio.run(main(*sys.argv[1:]))
    """
)


def test_several_processes_on_one_sqlite_file_lose_nothing(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    script = tmp_path / "worker.py"
    script.write_text(_WORKER.format(repo=str(REPO)), encoding="utf-8")
    jobs = [("shared", "p1"), ("shared", "p2"), ("own", "p3")]  # two processes share one session
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), url, session, tag],
            cwd=tmp_path,
            env={**os.environ, "AGENTCORE_HOME": str(tmp_path)},
            stderr=subprocess.PIPE,
            text=True,
        )
        for session, tag in jobs
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    db = Db("sqlite", url, path=tmp_path / "shared.db")
    shared = db.rows("shared")
    assert [r[1] for r in shared] == list(range(1, 21))  # consecutive, no duplicate numbers
    users = sorted(r[3] for r in shared if r[2] == "user")
    assert users == sorted([f"p1-{t}" for t in range(5)] + [f"p2-{t}" for t in range(5)])
    assert len(db.rows("own")) == 10


async def test_a_database_that_cannot_be_opened_is_an_error_naming_the_masked_url(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://postgres:hunter2secret@127.0.0.1:1/nowhere"
    model = ScriptedModel([])
    async with double_on(url, model, tmp_path) as agent:
        with pytest.raises(StorageError) as info:
            await agent.run("hello", session="x")
    message = str(info.value)
    assert "127.0.0.1:1/nowhere" in message and "postgres:***@" in message
    assert "hunter2secret" not in message
    assert model.requests == []  # no silent fallback to memory: nothing was sent


async def test_sessions_api_rename_reset_delete(db: Db, tmp_path: Path) -> None:
    async with double_on(db.url, FunctionModel(ok), tmp_path) as agent:
        await agent.run("one", session="a")
        await agent.run("two", session="b")
        assert [s.name for s in await agent.sessions.list()][:2] == ["b", "a"]
        await agent.sessions.rename("a", "alpha")
        with pytest.raises(StorageError, match="already exists"):
            await agent.sessions.rename("alpha", "b")
        await agent.sessions.reset("b")
        assert db.rows("b") == []
        assert len(agent.session("b").messages) == 0
        await agent.run("three", session="b")
        assert [r[3] for r in db.rows("b")] == ["three", "ok"]
        assert await agent.sessions.delete("alpha")
        assert not await agent.sessions.delete("alpha")
        names = {s.name for s in await agent.sessions.list()}
        assert "alpha" not in names and "b" in names
        resumed = await agent.sessions.resume("b")
        assert [m.text for m in resumed.messages] == ["three", "ok"]
