"""``agentcore run --session/--continue``, ``chat`` resuming and ``agentcore sessions`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli.test_run_cli import run_cli
from tests.fakes import FakeOpenAI
from tests.helpers import write_config


def _config(tmp_path: Path, fake: FakeOpenAI, url: str | None = None) -> Path:
    data: dict[str, Any] = {
        "llm": {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "apiKey": "sk-test-0123456789abcdef",
            "baseURL": fake.url + "/v1",
        },
        "localTools": [],
        "storage": {"url": url or f"sqlite:///{tmp_path / 'sessions.db'}"},
    }
    return write_config(tmp_path, data)


def _contents(fake: FakeOpenAI, index: int = -1) -> list[str]:
    return [m["content"] for m in fake.requests[index].json["messages"]]


def test_run_starts_new_sessions_unless_told_to_continue(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    cfg = str(_config(tmp_path, fake_openai))
    env = {"AGENTCORE_HOME": str(tmp_path)}
    assert run_cli("run", "-c", cfg, "first", env=env).returncode == 0
    assert run_cli("run", "-c", cfg, "unrelated", env=env).returncode == 0
    assert _contents(fake_openai) == ["unrelated"]  # a new session each time
    proc = run_cli("run", "-c", cfg, "--continue", "follow-up", env=env)
    assert proc.returncode == 0, proc.stderr
    assert _contents(fake_openai) == ["unrelated", "ok", "follow-up"]
    proc = run_cli("run", "-c", cfg, "--session", "work", "--json", "remember 42", env=env)
    assert json.loads(proc.stdout)["session"] == "work"
    run_cli("run", "-c", cfg, "--session", "other", "noise", env=env)
    assert run_cli("run", "-c", cfg, "-s", "work", "what number?", env=env).returncode == 0
    assert _contents(fake_openai) == ["remember 42", "ok", "what number?"]


def test_sessions_list_show_export_rename_delete(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    cfg = str(_config(tmp_path, fake_openai))
    fake_openai.reply_text("Hello Ada")
    run_cli("run", "-c", cfg, "--session", "alpha", "I am Ada")
    run_cli("run", "-c", cfg, "--session", "beta", "second")
    listed = json.loads(run_cli("sessions", "list", "-c", cfg, "--json").stdout)
    assert [s["name"] for s in listed] == ["beta", "alpha"]
    assert listed[1]["messages"] == 2 and listed[1]["kind"] == "run"
    table = run_cli("sessions", "list", "-c", cfg).stdout
    assert "alpha" in table and "beta" in table
    shown = json.loads(run_cli("sessions", "show", "alpha", "-c", cfg, "--json").stdout)
    assert [(m["role"], m["content"]) for m in shown["messages"]] == [
        ("user", "I am Ada"),
        ("assistant", "Hello Ada"),
    ]
    assert "[1] user: I am Ada" in run_cli("sessions", "show", "alpha", "-c", cfg).stdout
    out = tmp_path / "alpha.md"
    assert run_cli("sessions", "export", "alpha", "-c", cfg, "-f", "markdown", "-o", str(out)).returncode == 0
    assert "I am Ada" in out.read_text(encoding="utf-8")
    exported = json.loads(run_cli("sessions", "export", "alpha", "-c", cfg).stdout)
    assert exported["session"]["name"] == "alpha" and len(exported["messages"]) == 2
    assert run_cli("sessions", "rename", "alpha", "ada", "-c", cfg).returncode == 0
    deleted = run_cli("sessions", "delete", "ada", "-c", cfg, "--json")
    assert json.loads(deleted.stdout) == {"deleted": ["ada"], "missing": []}
    missing = run_cli("sessions", "show", "ada", "-c", cfg)
    assert missing.returncode == 1 and "no session named 'ada'" in missing.stderr
    assert [s["name"] for s in json.loads(run_cli("sessions", "list", "-c", cfg, "--json").stdout)] == [
        "beta"
    ]


def test_chat_resumes_the_last_chat_session(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    cfg = str(_config(tmp_path, fake_openai))
    first = run_cli("chat", "-c", cfg, stdin="my name is Ada\n")
    assert first.returncode == 0, first.stderr
    assert "· new" in first.stdout
    second = run_cli("chat", "-c", cfg, stdin="who am I?\n")
    assert "resumed, 2 messages" in second.stdout
    assert _contents(fake_openai) == ["my name is Ada", "ok", "who am I?"]
    third = run_cli("chat", "-c", cfg, "--new", stdin="fresh start\n")
    assert third.returncode == 0
    assert _contents(fake_openai) == ["fresh start"]


def test_chat_session_commands_and_reset_really_empty(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    cfg = str(_config(tmp_path, fake_openai))
    script = "\n".join(
        [
            "/session new project",
            "remember the plan",
            "/session new scratch",
            "/session list",
            "/session switch project",
            "what was the plan?",
            "/reset",
            "after reset",
            "/session delete scratch",
            "",
        ]
    )
    proc = run_cli("chat", "-c", cfg, "--new", stdin=script)
    assert proc.returncode == 0, proc.stderr
    assert "started session project" in proc.stdout and "resumed session project (2 messages)" in proc.stdout
    assert "scratch" in proc.stdout and "deleted scratch" in proc.stdout
    assert _contents(fake_openai, 1) == ["remember the plan", "ok", "what was the plan?"]
    assert _contents(fake_openai, 2) == ["after reset"]
    shown = json.loads(run_cli("sessions", "show", "project", "-c", cfg, "--json").stdout)
    assert [m["content"] for m in shown["messages"]] == ["after reset", "ok"]  # the reset was persisted


def test_bad_database_url_is_a_one_line_error_with_the_password_masked(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    cfg = str(_config(tmp_path, fake_openai, "postgresql://agent:s3cretpw@127.0.0.1:1/db"))
    proc = run_cli("run", "-c", cfg, "hello")
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "agent:***@127.0.0.1:1/db" in errors[0]
    assert "s3cretpw" not in proc.stderr and "Traceback" not in proc.stderr
    assert fake_openai.requests == []
