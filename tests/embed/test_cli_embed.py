"""The CLI faces of issue 20: ``run --schema``, ``run`` approvals (``--yes``), chat approvals in a pty."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time
from pathlib import Path

from tests.cli.test_run_cli import AGENTCORE, run_cli
from tests.fakes import FakeOpenAI, ToolCallsReply
from tests.helpers import write_config

TOOL = """
from agentcore import tool

@tool(require_approval=True)
def write_note(text: str) -> str:
    \"\"\"Writes a note.\"\"\"
    return "wrote " + text
"""


def _config(tmp_path: Path, url: str) -> Path:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "notes.py").write_text(TOOL, encoding="utf-8")
    data = {
        "llm": {"provider": "openai", "model": "gpt-4o-mini", "apiKey": "sk-test-0123456789abcdef",
                "baseURL": url + "/v1"},
        "localTools": [str(tmp_path / "tools")],
        "storage": {"url": "memory://"},
    }  # fmt: skip
    return write_config(tmp_path, data)


def test_run_schema_prints_the_json(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    schema = tmp_path / "city.json"
    schema.write_text(json.dumps({
        "type": "object", "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
        "required": ["name", "population"],
    }), encoding="utf-8")  # fmt: skip
    fake_openai.reply_text('{"name": "Paris", "population": "lots"}')
    fake_openai.reply_text('{"name": "Paris", "population": 2100000}')
    proc = run_cli(
        "run", "--config", str(_config(tmp_path, fake_openai.url)), "--schema", str(schema), "city?"
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"name": "Paris", "population": 2100000}
    assert fake_openai.requests[0].body_dict["response_format"]["json_schema"]["name"] == "city"
    assert "population" in fake_openai.requests[1].body_dict["messages"][-1]["content"]


def test_run_denies_approval_tools_unless_yes(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    config = str(_config(tmp_path, fake_openai.url))
    for _ in range(2):
        fake_openai.push(ToolCallsReply([("write_note", {"text": "hi"})]))
        fake_openai.reply_text("done")
    denied = run_cli("run", "--config", config, "note it")
    allowed = run_cli("run", "--config", config, "--yes", "note it")
    assert denied.returncode == 0 and allowed.returncode == 0, denied.stderr + allowed.stderr
    results = [r.body_dict["messages"][-1]["content"] for r in fake_openai.requests[1::2]]
    assert "denied" in results[0] and "--yes" in results[0] and "--yes" in denied.stderr
    assert results[1] == "wrote hi"


def _read_until(fd: int, needle: str, timeout: float = 30.0) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"waited for {needle!r}, got: {seen!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096).decode("utf-8", "replace")
            except OSError:
                break
            seen += chunk
    return seen


def test_chat_asks_yes_no_always_in_a_terminal(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    config = str(_config(tmp_path, fake_openai.url))
    fake_openai.push(ToolCallsReply([("write_note", {"text": "one"})]))
    fake_openai.reply_text("first done")
    fake_openai.push(ToolCallsReply([("write_note", {"text": "two"})]))
    fake_openai.reply_text("second done")
    fake_openai.push(ToolCallsReply([("write_note", {"text": "three"})]))
    fake_openai.reply_text("third done")
    master, slave = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb"}
    proc = subprocess.Popen(
        [AGENTCORE, "chat", "--config", config, "--new"], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    try:
        _read_until(master, "/help")
        os.write(master, b"note one\n")
        shown = _read_until(master, "[a]lways")
        assert 'write_note({"text": "one"})' in shown
        os.write(master, b"n\n")
        _read_until(master, "first done")
        os.write(master, b"note two\n")
        _read_until(master, "[a]lways")
        os.write(master, b"a\n")
        _read_until(master, "second done")
        os.write(master, b"note three\n")
        after = _read_until(master, "third done")
        assert "[a]lways" not in after  # always: not asked again this session
        os.write(master, b"/exit\n")
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    results = [r.body_dict["messages"][-1]["content"] for r in fake_openai.requests[1::2]]
    assert "denied" in results[0] and "said no" in results[0]
    assert results[1:] == ["wrote two", "wrote three"]
