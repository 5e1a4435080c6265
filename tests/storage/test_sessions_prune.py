"""``agentcore sessions prune`` and names printed safely, as a user runs them; prune on both databases."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from agentcore.context.store import SessionStore
from agentcore.messages import InternalMessage
from tests.cli.test_run_cli import run_cli
from tests.fakes import ErrorReply, FakeOpenAI
from tests.helpers import write_config
from tests.storage.conftest import Db


def _config(tmp_path: Path, fake: FakeOpenAI) -> Path:
    llm = {"provider": "openai", "model": "gpt-4o-mini", "apiKey": "sk-test-0123456789abcdef",
           "baseURL": fake.url + "/v1", "maxRetries": 0}  # fmt: skip
    data = {"llm": llm, "localTools": [], "storage": {"url": f"sqlite:///{tmp_path / 'sessions.db'}"}}
    return write_config(tmp_path, data)


def _age(db: Db, name: str, days: int) -> None:
    if db.kind == "sqlite":
        db.query(
            f"UPDATE agentcore_sessions SET updated_at = datetime('now', '-{days} days') WHERE name = ?", name
        )
    else:
        db.query(
            f"UPDATE agentcore_sessions SET updated_at = now() - interval '{days} days' WHERE name = ?", name
        )


async def test_prune_deletes_old_and_empty_sessions_only(db: Db) -> None:
    store = SessionStore(db.url)
    for name in ("old", "recent", "empty"):
        info = await store.get_or_create(name)
        if name != "empty":
            await store.append(info, [InternalMessage.user(f"hi {name}")], [None], None)
    _age(db, "old", 40)
    assert [s.name for s in await store.prune(older_than=timedelta(days=30), dry_run=True)] == ["old"]
    assert {s.name for s in await store.list_sessions()} == {"old", "recent", "empty"}
    assert [s.name for s in await store.prune(older_than=timedelta(days=30))] == ["old"]
    assert [s.name for s in await store.prune(empty=True)] == ["empty"]
    assert [s.name for s in await store.list_sessions()] == ["recent"]
    assert db.rows("old") == [] and len(db.rows("recent")) == 1


def test_prune_cli_and_failed_runs_leave_nothing_to_prune(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    cfg = str(_config(tmp_path, fake_openai))
    db = Db("sqlite", "", path=tmp_path / "sessions.db")
    assert run_cli("run", "-c", cfg, "-s", "kept", "hello").returncode == 0
    assert run_cli("run", "-c", cfg, "-s", "ancient", "hello").returncode == 0
    fake_openai.push(ErrorReply(500, message="down"))
    failed = run_cli("run", "-c", cfg, "-s", "failed", "hello")
    assert failed.returncode != 0
    names = [s["name"] for s in json.loads(run_cli("sessions", "list", "-c", cfg, "--json").stdout)]
    assert "failed" not in names  # a run that failed before any answer leaves no session
    _age(db, "ancient", 31)
    dry = run_cli("sessions", "prune", "-c", cfg, "--older-than", "30d", "--dry-run")
    assert dry.returncode == 0 and "would delete ancient" in dry.stdout
    proc = run_cli("sessions", "prune", "-c", cfg, "--older-than", "30d", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout) == {"deleted": ["ancient"]}
    names = [s["name"] for s in json.loads(run_cli("sessions", "list", "-c", cfg, "--json").stdout)]
    assert names == ["kept"]
    bad = run_cli("sessions", "prune", "-c", cfg, "--older-than", "soon")
    assert bad.returncode == 2 and "30d" in bad.stderr
    nothing = run_cli("sessions", "prune", "-c", cfg)
    assert nothing.returncode == 2 and "--older-than" in nothing.stderr


def test_session_names_and_content_never_reach_the_terminal_raw(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    cfg = str(_config(tmp_path, fake_openai))
    evil = "x\x1b]0;pwned\x07\x1b[31mred"
    fake_openai.reply_text("\x1b[2Jcleared")
    assert run_cli("run", "-c", cfg, "-s", evil, "hi").returncode == 0
    listed = run_cli("sessions", "list", "-c", cfg)
    shown = run_cli("sessions", "show", evil, "-c", cfg)
    for out in (listed.stdout, shown.stdout):
        assert "\x1b" not in out and "\x07" not in out
    assert "x\\x1b]0;pwned\\x07\\x1b[31mred" in listed.stdout
    assert "\\x1b[2Jcleared" in shown.stdout
    assert (
        json.loads(run_cli("sessions", "list", "-c", cfg, "--json").stdout)[0]["name"] == evil
    )  # data stays exact
