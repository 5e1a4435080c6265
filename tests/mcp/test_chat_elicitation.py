"""An MCP server's elicitation in ``agentcore chat``, driven through a pseudo-terminal: form fields
are asked, bad input is asked again, the user can decline; URL mode shows the URL and confirms."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from agentcore.cli._elicit import parse_field
from tests.embed.test_cli_embed import _read_until  # pyright: ignore[reportPrivateUsage]
from tests.fakes import FakeOpenAI
from tests.mcp.test_agent_cli import AGENTCORE
from tests.mcp.test_client_features import SERVER


def _config(tmp_path: Path, fake: FakeOpenAI) -> str:
    path = tmp_path / "cipher.yml"
    data: dict[str, Any] = {
        "llm": {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "apiKey": "sk-test-0123456789abcdef",
            "baseURL": fake.url + "/v1",
        },
        "localTools": [],
        "storage": {"url": f"sqlite:///{tmp_path / 'chat.db'}"},
        "mcpServers": {"features": {"command": sys.executable, "args": [SERVER, "stdio"]}},
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def test_chat_prompts_for_a_form_and_a_url(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_tool_calls([("order", {})])
    fake_openai.reply_text("pizza ordered")
    fake_openai.reply_tool_calls([("order", {})])
    fake_openai.reply_text("no pizza")
    fake_openai.reply_tool_calls([("login", {})])
    fake_openai.reply_text("logged in")
    master, slave = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "AGENTCORE_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [AGENTCORE, "chat", "--config", _config(tmp_path, fake_openai), "--new"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    try:
        _read_until(master, "/help")
        os.write(master, b"order a pizza\n")
        shown = _read_until(master, "Size (string): ")
        assert "MCP server 'features' asks: Which pizza?" in shown
        os.write(master, b"\n")  # required: asked again
        _read_until(master, "required")
        os.write(master, b"large\n")
        _read_until(master, "Slices (integer): ")
        os.write(master, b"lots\n")
        _read_until(master, "a whole number is expected")
        os.write(master, b"8\n")
        _read_until(master, "pizza ordered")

        os.write(master, b"order another\n")
        _read_until(master, "Size (string): ")
        os.write(master, b"/decline\n")
        _read_until(master, "no pizza")

        os.write(master, b"log me in\n")
        shown = _read_until(master, "[c]ancel: ")
        assert "open: https://example.invalid/login" in shown
        os.write(master, b"y\n")
        _read_until(master, "logged in")
        os.write(master, b"/exit\n")
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    results = [r.json["messages"][-1]["content"] for r in fake_openai.requests[1::2]]
    assert results == ["ordered 8 slices of a large", "order decline", "login accept"]


def test_fields_are_checked() -> None:
    assert parse_field({"type": "integer", "minimum": 1}, "0")[1] is not None
    assert parse_field({"type": "number"}, "2.5") == (2.5, None)
    assert parse_field({"type": "boolean"}, "y") == (True, None)
    assert parse_field({"type": "string", "enum": ["s", "l"], "enumNames": ["Small", "Large"]}, "2") == (
        "l",
        None,
    )
    assert parse_field({"type": "string", "oneOf": [{"const": "a", "title": "A"}]}, "A") == ("a", None)
    assert parse_field({"type": "string", "enum": ["s"]}, "x")[1] == "choose one of the numbers shown"
    assert parse_field({"type": "string", "maxLength": 2}, "abc")[1] == "at most 2 characters"
