"""A session is a serial log: concurrent turns on one session, in one process and across processes,
leave a valid history, and every request sent is valid (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from agentcore import tool
from agentcore.errors import ProviderError, SessionBusy
from agentcore.messages import InternalMessage
from agentcore.storage.locks import session_lock
from agentcore.testing import AgentInfo, FunctionModel, ScriptedModel, Turn, call
from tests.fakes import FakeOpenAI, RecordedRequest, ToolCallsReply
from tests.storage._util import double_on
from tests.storage.conftest import Db

REPO = Path(__file__).resolve().parents[2]


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def problems(messages: list[dict[str, Any]]) -> list[str]:
    """What makes an OpenAI history invalid: a tool call not immediately followed by exactly its
    results (in order), a result without its call, a call id used twice."""
    found: list[str] = []
    seen: set[str] = set()
    i = 0
    while i < len(messages):
        msg = messages[i]
        if msg["role"] == "tool":
            found.append(f"message {i}: tool result {msg.get('tool_call_id')} without its call")
        calls = [c["id"] for c in msg.get("tool_calls") or []]
        for k, call_id in enumerate(calls):
            if call_id in seen:
                found.append(f"message {i}: call {call_id} stored twice")
            seen.add(call_id)
            nxt = messages[i + 1 + k] if i + 1 + k < len(messages) else None
            if nxt is None or nxt["role"] != "tool" or nxt.get("tool_call_id") != call_id:
                found.append(f"message {i}: call {call_id} not followed by its result")
        i += 1 + len(calls)
    return found


def as_wire(messages: list[InternalMessage]) -> list[dict[str, Any]]:
    """The parts of OpenAI's message shape that ``problems`` looks at."""
    out: list[dict[str, Any]] = []
    for m in messages:
        item: dict[str, Any] = {"role": m.role, "content": m.text}
        if m.tool_calls:
            item["tool_calls"] = [{"id": c.id} for c in m.tool_calls]
        if m.tool_call_id:
            item["tool_call_id"] = m.tool_call_id
        out.append(item)
    return out


class ValidatingModel:
    """A model that asks for ``add`` on every user message and answers after the result; it
    records every invalid request it receives (the real API would reject them). Called by the
    fake server (``__call__``) or as a ``FunctionModel`` turn (``turn``)."""

    def __init__(self) -> None:
        self.invalid: list[str] = []
        self.sizes: list[int] = []
        self.lock = threading.Lock()

    def _reply(self, messages: list[dict[str, Any]]) -> tuple[str, dict[str, int] | None]:
        bad = problems([m for m in messages if m["role"] != "system"])
        with self.lock:
            self.invalid.extend(bad)
            self.sizes.append(len(messages))
        last = messages[-1]
        if last["role"] == "user":
            return "add", {"a": 1, "b": len(last["content"])}
        return f"sum {last['content']}", None

    def __call__(self, request: RecordedRequest) -> str | ToolCallsReply:
        text, args = self._reply(request.json["messages"])
        return ToolCallsReply([(text, args)]) if args is not None else text

    def turn(self, messages: list[InternalMessage], info: AgentInfo) -> Turn:
        text, args = self._reply(as_wire(messages))
        return call(text, args) if args is not None else text


def stored_history(db: Db, session: str) -> list[dict[str, Any]]:
    rows = db.query(
        "SELECT m.seq, m.role, m.content, m.tool_calls, m.tool_call_id FROM agentcore_messages m "
        "JOIN agentcore_sessions s ON s.id = m.session_id WHERE s.name = ? ORDER BY m.seq",
        session,
    )
    out: list[dict[str, Any]] = []
    for seq, role, content, calls, call_id in rows:
        item: dict[str, Any] = {"seq": seq, "role": role, "content": content}
        if calls:
            item["tool_calls"] = [{"id": c[0]} for c in json.loads(calls)]
        if call_id:
            item["tool_call_id"] = call_id
        out.append(item)
    return out


def assert_serial(history: list[dict[str, Any]], turns: int) -> None:
    assert [m["seq"] for m in history] == list(range(1, len(history) + 1))
    assert problems(history) == []
    # user, assistant(call), tool, assistant per turn, never interleaved
    assert [m["role"] for m in history] == ["user", "assistant", "tool", "assistant"] * turns
    calls = [c["id"] for m in history for c in m.get("tool_calls", [])]
    results = [m["tool_call_id"] for m in history if m["role"] == "tool"]
    assert len(calls) == len(set(calls)) == turns and results == calls


@pytest.mark.parametrize("named", [True, False], ids=["session=s", "default-session"])
async def test_twenty_concurrent_runs_with_tools_on_one_session_stay_a_serial_log(
    db: Db, tmp_path: Path, named: bool
) -> None:
    model = ValidatingModel()
    runs = 20
    async with double_on(db.url, FunctionModel(model.turn), tmp_path, tools=[add]) as agent:
        session = "s" if named else None
        results = await asyncio.wait_for(
            asyncio.gather(*(agent.run(f"q{i:02d}", session=session) for i in range(runs))), 120
        )
        name = results[0].session
        assert name is not None
    assert sorted(r.text for r in results) == sorted(f"sum {1 + 3}" for _ in range(runs))
    assert model.invalid == []
    history = stored_history(db, name)
    assert_serial(history, runs)
    assert sorted(m["content"] for m in history if m["role"] == "user") == [f"q{i:02d}" for i in range(runs)]
    # every request carried the whole history so far: the log grows by one turn per pair of requests
    assert sorted(model.sizes) == sorted([4 * t + 1 for t in range(runs)] + [4 * t + 3 for t in range(runs)])


_WORKER = textwrap.dedent(
    """
    import asyncio, sys
    sys.path.insert(0, {repo!r})
    from pathlib import Path
    from agentcore import Agent, tool
    from tests.storage._util import config_on

    @tool
    def add(a: int, b: int) -> int:
        \"\"\"Add two numbers.\"\"\"
        return a + b

    async def main(url, fake, session, tag):
        config = config_on(url, Path('.'), fake)
        async with Agent(config, tools=[add]) as agent:
            await asyncio.gather(*(agent.run(f"{{tag}}-{{t}}", session=session) for t in range(3)))

    asyncio.run(main(*sys.argv[1:]))
    """
)


def test_four_processes_on_one_session_stay_a_serial_log(
    db: Db, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    model = ValidatingModel()
    fake_openai.set_default(model)
    script = tmp_path / "worker.py"
    script.write_text(_WORKER.format(repo=str(REPO)), encoding="utf-8")
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), db.url, fake_openai.url, "shared", f"p{p}"],
            cwd=tmp_path,
            env={**os.environ, "AGENTCORE_HOME": str(tmp_path)},
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    assert model.invalid == []
    history = stored_history(db, "shared")
    assert_serial(history, 12)
    users = sorted(m["content"] for m in history if m["role"] == "user")
    assert users == sorted(f"p{p}-{t}" for p in range(4) for t in range(3))
    # each turn started from everything stored before it, whichever process wrote it
    sizes = sorted(len(r.json["messages"]) for r in fake_openai.requests)
    assert sizes == sorted([4 * t + 1 for t in range(12)] + [4 * t + 3 for t in range(12)])


async def test_fail_mode_refuses_a_busy_session_naming_it(db: Db, tmp_path: Path) -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    @tool
    async def slow() -> str:
        """Wait until released."""
        started.set()
        await release.wait()
        return "done"

    model = ScriptedModel([call("slow"), "finished", "ok"])
    async with double_on(db.url, model, tmp_path, tools=[slow], context={"sessionLockMode": "fail"}) as agent:
        first = asyncio.create_task(agent.run("go", session="busy"))
        await asyncio.wait_for(started.wait(), 10)
        with pytest.raises(SessionBusy, match="session 'busy' is busy") as info:
            await agent.run("meanwhile", session="busy")
        assert "sessionLockMode" in str(info.value)
        release.set()
        assert (await first).text == "finished"
        assert (await agent.run("now", session="busy")).text == "ok"
    assert [m["content"] for m in stored_history(db, "busy") if m["role"] == "user"] == ["go", "now"]


def _hold_in_another_loop(db: Db, name: str, held: threading.Event, release: threading.Event) -> None:
    """Hold ``name`` from a second event loop: for the lock layers, that is another process."""
    from agentcore.storage.sqlite_writer import writer_for

    writer = writer_for(db.url)
    path = writer.path if writer is not None else None

    async def hold() -> None:
        async with session_lock(db.url, path, name):
            held.set()
            await asyncio.to_thread(release.wait)
        from agentcore.storage.db import dispose_engines

        await dispose_engines()

    asyncio.run(hold())


async def test_a_turn_waits_for_another_holder_and_gives_up_after_the_timeout(db: Db, tmp_path: Path) -> None:
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_in_another_loop, args=(db, "held", held, release))
    holder.start()
    try:
        assert await asyncio.to_thread(held.wait, 30)
        model = ScriptedModel(["ok"])
        for mode, timeout in (("fail", 300), ("wait", 0.3)):
            lock = {"sessionLockMode": mode, "sessionLockTimeout": timeout}
            async with double_on(db.url, model, tmp_path, context=lock) as agent:
                with pytest.raises(SessionBusy, match="'held'"):
                    await agent.run("hello", session="held")
        assert model.requests == []  # nothing was sent while another turn held the session
        async with double_on(db.url, model, tmp_path) as agent:
            waiting = asyncio.create_task(agent.run("hello", session="held"))
            await asyncio.sleep(0)
            release.set()
            assert (await asyncio.wait_for(waiting, 30)).text == "ok"
    finally:
        release.set()
        await asyncio.to_thread(holder.join, 30)


async def test_a_failed_first_turn_leaves_no_session_but_a_later_failure_keeps_it(
    db: Db, tmp_path: Path
) -> None:
    down = ProviderError("down", provider="test", model="scripted", status=500)

    outcomes: list[str | ProviderError] = [down, "ok", down]

    def turn(messages: list[InternalMessage], info: AgentInfo) -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, ProviderError):
            raise outcome
        return outcome

    model = FunctionModel(turn)
    async with double_on(db.url, model, tmp_path) as agent:
        with pytest.raises(ProviderError):
            await agent.run("hello", session="doomed")
        assert not await agent.sessions.exists("doomed")
        assert db.rows("doomed") == []
        assert (await agent.run("hello again", session="doomed")).text == "ok"
        with pytest.raises(ProviderError):
            await agent.run("and now?", session="doomed")
    assert [r[3] for r in db.rows("doomed")] == ["hello again", "ok", "and now?"]
