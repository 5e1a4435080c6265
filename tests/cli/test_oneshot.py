"""The one-shot path, ``agentcore run "hi"``, as a user runs it: a fresh process against the fake server,
its answer, what it stores, its errors, and what it does not load (the ``openai`` SDK, the tokenizer,
SQLAlchemy on a SQLite file already at the current schema versions)."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.cli.test_run_cli import run_cli
from tests.fakes import FakeOpenAI
from tests.helpers import write_config


def _config(tmp_path: Path, url: str, **llm: object) -> Path:
    """A cipher.yml on the default SQLite file database (sessions and call log under AGENTCORE_HOME)."""
    data = {
        "llm": {"provider": "openai", "model": "gpt-4o-mini", "apiKey": "sk-test-0123456789abcdef",
                "baseURL": url + "/v1", **llm},
    }  # fmt: skip
    return write_config(tmp_path, data)


def _home(tmp_path: Path) -> dict[str, str]:
    return {"AGENTCORE_HOME": str(tmp_path / "home"), "AGENTCORE_DB_URL": ""}


def _db(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "home" / "agentcore.db")


def test_run_prints_the_answer_stores_the_session_and_logs_the_call(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.reply_text("Hello from the fake.", usage=(12, 5))
    proc = run_cli("run", "-c", str(_config(tmp_path, fake_openai.url)), "hi", env=_home(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Hello from the fake.\n"
    assert fake_openai.requests[0].json["stream"] is True
    with _db(tmp_path) as db:
        sessions = db.execute("SELECT id, kind, message_count FROM agentcore_sessions").fetchall()
        assert [(kind, count) for _, kind, count in sessions] == [("run", 2)]
        rows = db.execute(
            "SELECT role, content FROM agentcore_messages WHERE session_id = ? ORDER BY seq",
            (sessions[0][0],),
        ).fetchall()
        assert rows == [("user", "hi"), ("assistant", "Hello from the fake.")]
        calls = db.execute(
            "SELECT model, prompt_tokens, completion_tokens, status FROM llm_call_logs"
        ).fetchall()
        assert calls == [("gpt-4o-mini", 12, 5, "success")]


def test_run_without_streaming_and_continue_use_the_same_transport(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    config = str(_config(tmp_path, fake_openai.url))
    fake_openai.reply_text("first")
    fake_openai.reply_text("second")
    first = run_cli("run", "--no-stream", "-c", config, "one", env=_home(tmp_path))
    again = run_cli("run", "--continue", "-c", config, "two", env=_home(tmp_path))
    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    assert (first.stdout, again.stdout) == ("first\n", "second\n")
    assert "stream" not in fake_openai.requests[0].json
    sent = [m["content"] for m in fake_openai.requests[1].json["messages"] if m["role"] != "system"]
    assert sent == ["one", "first", "two"]  # the stored session was read back and continued


def test_run_loads_neither_the_openai_sdk_nor_the_tokenizer(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_text("ok")
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "agentcore", "run", "-c",
         str(_config(tmp_path, fake_openai.url)), "hi"],
        capture_output=True, text=True, timeout=60, check=False,
        env={**_subprocess_env(), **_home(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == "ok\n"
    imported = {
        line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")
    }
    assert "agentcore.llm.providers._openai_transport" in imported  # the list is the real one
    assert not {m for m in imported if m == "openai" or m.startswith("openai.")}
    assert "tiktoken" not in imported
    # A short prompt fits any window without exact counts: the ~70 MB encoder is never built, so
    # the stored messages carry no count (the next request that needs one counts them).
    with _db(tmp_path) as db:
        assert db.execute("SELECT tokens FROM agentcore_messages").fetchall() == [(None,), (None,)]


def _imported_by_run(tmp_path: Path, config: Path) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "agentcore", "run", "-c", str(config), "hi"],
        capture_output=True, text=True, timeout=60, check=False,
        env={**_subprocess_env(), **_home(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == "ok\n"
    return {
        line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")
    }


def _sqlalchemy(imported: set[str]) -> set[str]:
    return {m for m in imported if m.split(".")[0] in ("sqlalchemy", "sqlmodel")}


def test_run_on_an_existing_sqlite_file_does_not_load_sqlalchemy(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    config = _config(tmp_path, fake_openai.url)
    fake_openai.reply_text("ok", usage=(7, 1))
    fake_openai.reply_text("ok", usage=(9, 1))
    first = _imported_by_run(tmp_path, config)  # a new file: its tables are created (SQLAlchemy)
    second = _imported_by_run(tmp_path, config)
    assert "agentcore.context.store" in second and "agentcore.tracing.writer" in second
    assert _sqlalchemy(first)
    assert not _sqlalchemy(second)
    # What the sqlite3 path wrote reads back through the SQLAlchemy commands.
    listed = run_cli("sessions", "list", "-c", str(config), env=_home(tmp_path))
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines()[1:]]
    assert len(names) == 2
    for name in names:
        shown = run_cli("sessions", "show", name, "-c", str(config), env=_home(tmp_path))
        assert shown.returncode == 0, shown.stderr
        assert "hi" in shown.stdout and "ok" in shown.stdout
    usage = run_cli("usage", "--json", "-c", str(config), env=_home(tmp_path))
    assert usage.returncode == 0, usage.stderr
    (model,) = json.loads(usage.stdout)
    assert (model["model"], model["requests"], model["prompt_tokens"]) == ("openai/gpt-4o-mini", 2, 16)
    with _db(tmp_path) as db:
        assert db.execute("SELECT count(*), sum(prompt_tokens) FROM llm_call_logs").fetchone() == (2, 16)
        assert db.execute("SELECT requests, prompt_tokens FROM llm_model_usage").fetchone() == (2, 16)


def test_run_on_an_older_schema_upgrades_it_as_before(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    config = _config(tmp_path, fake_openai.url)
    fake_openai.reply_text("ok")
    fake_openai.reply_text("ok")
    _imported_by_run(tmp_path, config)
    with _db(tmp_path) as db:  # the v1 sessions schema (v1 -> v2 moves inline images to blobs)
        db.execute("DROP TABLE agentcore_blobs")
        db.execute("UPDATE agentcore_schema SET version = 1 WHERE name = 'sessions'")
    imported = _imported_by_run(tmp_path, config)
    assert _sqlalchemy(imported)  # the version check sent it down the full (upgrading) path
    with _db(tmp_path) as db:
        assert db.execute("SELECT version FROM agentcore_schema WHERE name = 'sessions'").fetchone() == (2,)
        assert db.execute("SELECT count(*) FROM agentcore_blobs").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM agentcore_messages").fetchone() == (4,)


def _subprocess_env() -> dict[str, str]:
    import os

    return {**os.environ, "NO_COLOR": "1"}


def test_errors_are_one_line_with_their_exit_code(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    config = str(_config(tmp_path, fake_openai.url, maxRetries=0))
    fake_openai.reply_error(404, message="The model `gpt-4o-mini` does not exist")
    missing = run_cli("run", "-c", config, "hi", env=_home(tmp_path))
    fake_openai.reply_stream_error("partial", message="the model server fell over")
    cut = run_cli("run", "-c", config, "hi", env=_home(tmp_path))
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (tmp_path / "down").mkdir()
    down = run_cli("run", "-c", str(_config(tmp_path / "down", f"http://127.0.0.1:{port}", maxRetries=0)),
                   "hi", env=_home(tmp_path))  # fmt: skip
    for proc, words in (
        (missing, ("HTTP 404", "does not exist")),
        (cut, ("error event in the response stream", "the model server fell over")),
        (down, ("cannot reach", f"127.0.0.1:{port}")),
    ):
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr
        errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, proc.stderr
        assert all(word in errors[0] for word in words), errors[0]
