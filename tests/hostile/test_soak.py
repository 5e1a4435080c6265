"""Fault soak: ``agentcore run`` turns with tool calls over several sessions, against a fake that
answers one request in five with a fault (500, 429, connection reset, a trickle past the total deadline,
a stream cut cleanly before its end, cut tool-call arguments), while some processes are killed with
SIGKILL in the middle of a turn. Afterwards, on SQLite and PostgreSQL: every completed turn is stored
once, every tool call has its result, every session resumes, and every attempt the fake received is a
call-log row but the attempts in flight when a process was killed (which cannot be written).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from agentcore import Agent
from agentcore.storage.db import dispose_engines
from tests.fakes import (
    DropReply,
    ErrorReply,
    FakeOpenAI,
    RecordedRequest,
    Reply,
    TextReply,
    ToolCallsReply,
    TrickleReply,
    TruncatedReply,
)
from tests.hostile._cli import KEY, Outcome, backend_db, child_env, finish, load_session, start
from tests.storage.conftest import Db

SESSIONS = 4
TURNS = 4  # per session, one `agentcore run` each
FAULT_EVERY = 5  # one request in five gets a fault
TIMEOUT_S = 20  # llm.timeout: a deadline for the whole request (room to kill a process mid-request)
FAULTS = ("500", "429", "reset", "trickle", "cut-text", "cut-args")
ENDS_TURN = ("trickle", "cut-text")  # text was shown: not retried, the turn fails
KILLS = ("first-request", "tool", "second-request")
CUT_TEXT = "partial answer that never ends"

TOOLS = b'''
import threading
from pathlib import Path

from agentcore import tool


@tool
def add(a: int, b: int) -> int:
    """Adds two numbers."""
    return a + b


@tool
def wait_here(flag: str) -> str:
    """Says that it runs, then waits (until the process is killed)."""
    Path(flag).write_text("running")
    threading.Event().wait(60)
    return "unreachable"
'''


@dataclass
class Turn:
    session: str
    index: int
    kill: str | None  # where the process is killed: one of KILLS, or None
    flag: Path
    reached: threading.Event = field(default_factory=threading.Event)
    killed: bool = False
    outcome: Outcome | None = None

    @property
    def prompt(self) -> str:
        return f"turn {self.session}-{self.index}"


def _messages(request: RecordedRequest) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], request.body_dict.get("messages", []))


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in cast(list[dict[str, Any]], content))
    return str(content or "")


def session_of(request: RecordedRequest) -> str:
    messages = _messages(request)
    return _text(messages[0]).removeprefix("soak ") if messages else ""


def _fault(kind: str) -> Reply:
    if kind == "500":
        return ErrorReply(500)
    if kind == "429":
        return ErrorReply(429, headers={"retry-after": "0"})
    if kind == "reset":
        return DropReply()
    if kind == "trickle":  # each gap short, the whole longer than llm.timeout
        return TrickleReply(TextReply("slow " * 48), interval_s=0.8)
    if kind == "cut-text":
        return TruncatedReply(TextReply(CUT_TEXT), after_chunks=2, clean=True)
    return TruncatedReply(ToolCallsReply([("add", {"a": 1, "b": 2})]), after_chunks=3, clean=True)


class Script:
    """What the fake answers: a turn is add, then two adds at once, then the answer; faults and kill
    points interleaved."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.faults: Counter[str] = Counter()
        self.turns: dict[str, Turn] = {}  # the turn each session is running
        self.enabled = True
        self.due: list[str] = []  # faults whose turn has come, in order

    def __call__(self, request: RecordedRequest) -> Reply | str:
        messages = _messages(request)
        last_user = max(i for i, m in enumerate(messages) if m.get("role") == "user")
        stage = sum(1 for m in messages[last_user:] if m.get("role") == "assistant")
        turn = self.turns.get(session_of(request))
        if turn is not None and turn.kill == ("first-request", "second-request")[min(stage, 1)]:
            turn.reached.set()
            return TextReply("never sent: the process is killed first", delay_s=60)
        with self.lock:
            self.count += 1
            if self.enabled and self.count % FAULT_EVERY == 0:
                self.due.append(FAULTS[(self.count // FAULT_EVERY) % len(FAULTS)])
            # A turn to be killed only gets the faults it retries, so that it reaches its kill point.
            takes = [k for k in self.due if turn is None or turn.kill is None or k not in ENDS_TURN]
            if takes:
                self.due.remove(takes[0])
                self.faults[takes[0]] += 1
                return _fault(takes[0])
        if stage == 0 and turn is not None and turn.kill == "tool":
            return ToolCallsReply([("wait_here", {"flag": str(turn.flag)})])
        if stage == 0:
            return ToolCallsReply([("add", {"a": turn.index if turn else 0, "b": 1})])
        if stage == 1:
            return ToolCallsReply([("add", {"a": 2, "b": 3}), ("add", {"a": 4, "b": 5})])
        return TextReply(f"answer to {_text(messages[last_user])}")


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    yield from backend_db(request.param, tmp_path)


def _wait(condition: Callable[[], bool], what: str, limit: float = 120.0) -> None:
    """Poll an observable condition (never a fixed sleep) until it holds."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _exited(pid: int) -> bool:
    """Whether the child ended, without reaping it (``finish`` does)."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


class Soak:
    def __init__(self, fake: FakeOpenAI, script: Script, db: Db, folder: Path) -> None:
        self.fake, self.script, self.db, self.folder = fake, script, db, folder
        self.config = folder / "cipher.yml"
        (folder / "tools").mkdir()
        (folder / "tools" / "soak.py").write_bytes(TOOLS)
        self.config.write_text(
            f"llm:\n  provider: openai\n  model: gpt-4o-mini\n  apiKey: {KEY}\n  baseURL: {fake.url}/v1\n"
            f"  timeout: {TIMEOUT_S}\n  maxRetries: 3\n  retry:\n    baseDelay: 0.01\n    maxDelay: 0.05\n"
            "systemPrompt: soak {session}\ntoolTimeout: 30\nlocalTools: [./tools]\n"
            f"storage:\n  url: {json.dumps(db.url)}\n",
            encoding="utf-8",
        )
        self.env = child_env(folder / "home")

    def requests(self, session: str) -> int:
        return sum(1 for r in list(self.fake.requests) if session_of(r) == session)

    def rows(self, session: str) -> int:
        return self.db.query("SELECT count(*) FROM llm_call_logs WHERE session_id = ?", session)[0][0]

    def run_turn(self, turn: Turn) -> None:
        self.script.turns[turn.session] = turn
        proc = start(["run", "-c", str(self.config), "-s", turn.session, turn.prompt], self.folder, self.env)
        if turn.kill is not None:
            started = turn.flag.exists if turn.kill == "tool" else turn.reached.is_set
            _wait(lambda: started() or _exited(proc.pid), f"{turn.prompt} to reach {turn.kill}")
            if not _exited(proc.pid):
                # Rows are written in batches a moment after their attempt: kill once the earlier
                # attempts of the session are rows, so the only attempt a kill loses is the one in flight.
                in_flight = 0 if turn.kill == "tool" else 1
                _wait(
                    lambda: self.rows(turn.session) == self.requests(turn.session) - in_flight,
                    f"the call-log rows of {turn.session}",
                )
                proc.send_signal(signal.SIGKILL)
                turn.killed = True
        turn.outcome = finish(proc)

    def run_session(self, turns: list[Turn]) -> None:
        for turn in turns:
            self.run_turn(turn)


def _plan(folder: Path) -> list[list[Turn]]:
    plans: list[list[Turn]] = []
    kills = iter(KILLS * SESSIONS)
    for s in range(SESSIONS):
        session = f"soak-{s}"
        plans.append(
            [
                Turn(session, t, next(kills) if (s * TURNS + t) % 4 == 1 else None, folder / f"flag-{s}-{t}")
                for t in range(TURNS)
            ]
        )
    return plans


def _check_history(session: str, turns: list[Turn], stored: list[Any]) -> Iterator[str]:
    calls = [c.id for m in stored for c in m.tool_calls]
    results = [m.tool_call_id for m in stored if m.role == "tool"]
    if sorted(calls) != sorted(r for r in results if r is not None):
        yield f"{session}: tool calls {calls} but results {results}"
    texts = Counter((m.role, m.text) for m in stored)
    for turn in turns:
        assert turn.outcome is not None
        prompts, answers = texts[("user", turn.prompt)], texts[("assistant", f"answer to {turn.prompt}")]
        if turn.outcome.code == 0 and (prompts, answers) != (1, 1):
            yield f"{turn.prompt} completed but is stored {prompts}/{answers} times"
        if turn.outcome.code != 0 and (prompts > 1 or answers):
            yield f"{turn.prompt} did not complete but is stored {prompts}/{answers} times"
    if any(m.role == "assistant" and m.text in (CUT_TEXT, "partial ") for m in stored):
        yield f"{session}: a cut answer was stored"


async def _resume(config: Path, sessions: list[str]) -> list[str]:
    try:
        async with Agent.from_config(config) as agent:
            return [(await agent.run("resume", session=s)).text for s in sessions]
    finally:
        await dispose_engines()


def test_fault_soak_loses_nothing(db: Db, tmp_path: Path) -> None:
    script = Script()
    with FakeOpenAI(default=script) as fake:
        soak = Soak(fake, script, db, tmp_path)
        plans = _plan(tmp_path)
        with ThreadPoolExecutor(SESSIONS) as pool:
            list(pool.map(soak.run_session, plans))
        turns = [t for plan in plans for t in plan]
        outcomes = {t.prompt: t.outcome for t in turns if t.outcome is not None}
        for turn in turns:
            out = turn.outcome
            assert out is not None and not out.timed_out, turn.prompt
            assert "Traceback" not in out.stderr and KEY not in out.stdout + out.stderr, out.stderr
            if turn.killed:
                assert out.code == -signal.SIGKILL, (turn.prompt, out)
            elif out.code == 0:
                assert out.stdout.endswith(f"answer to {turn.prompt}\n"), (turn.prompt, out.stdout)
            else:  # a fault it could not retry (text already shown): one error line, exit 1
                assert out.code == 1, (turn.prompt, out)
                assert out.lines[-1].startswith("error: "), out.stderr
        assert set(script.faults) == set(FAULTS), script.faults
        assert {t.kill for t in turns if t.killed} == set(KILLS), outcomes
        completed = [t for t in turns if t.outcome and t.outcome.code == 0]
        assert len(completed) >= len(turns) // 3, outcomes

        # Every attempt is a row, but the ones in flight at a kill.
        in_flight = Counter(t.session for t in turns if t.killed and t.kill != "tool")
        for plan in plans:
            session = plan[0].session
            assert soak.rows(session) == soak.requests(session) - in_flight[session], session
        statuses = dict(db.query("SELECT status, count(*) FROM llm_call_logs GROUP BY status"))
        assert statuses.get("error", 0) == sum(script.faults.values()), (statuses, script.faults)
        assert set(statuses) <= {"success", "error"}, statuses
        assert not (tmp_path / "home" / "calllog-spill.jsonl").exists()

        # The stored history: each completed turn once, no tool call without its result.
        problems = [
            problem
            for plan in plans
            for problem in _check_history(plan[0].session, plan, load_session(db.url, plan[0].session) or [])
        ]
        assert not problems, "\n".join(problems)

        # Every session resumes, and its next request carries every completed turn.
        script.enabled = False
        script.turns.clear()
        sessions = [plan[0].session for plan in plans]
        answers = asyncio.run(_resume(soak.config, sessions))
        assert answers == ["answer to resume"] * SESSIONS
        for plan in plans:
            last = [r for r in fake.requests if session_of(r) == plan[0].session][-1]
            sent = [(m["role"], _text(m)) for m in _messages(last)]
            for turn in plan:
                if turn.outcome and turn.outcome.code == 0:
                    assert ("user", turn.prompt) in sent and ("assistant", f"answer to {turn.prompt}") in sent
