"""Regression tests for faults found with the npm and PyPI reference servers (issue 18)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from agentcore.config.schema import McpServerConfig
from agentcore.messages import InternalMessage, ToolCall
from agentcore.tools.manager import UnifiedToolManager
from agentcore.tools.mcp import McpToolSource
from tests.mcp._servers import free_port, http_server

GUARD = 30  # seconds: a hang guard, never a timing assertion


def source(name: str, entry: dict[str, Any]) -> McpToolSource:
    return McpToolSource(name, McpServerConfig.model_validate(entry))


async def run(manager: UnifiedToolManager, name: str, **arguments: Any) -> InternalMessage:
    return await asyncio.wait_for(manager.execute(ToolCall("c1", name, json.dumps(arguments))), GUARD)


@pytest.mark.parametrize("body", ["json", "text"])
async def test_restarted_http_server_answering_stale_session_with_400_is_reconnected(body: str) -> None:
    port = free_port()
    with http_server("http", "demo", port, "--stale400", body) as (url, proc):
        demo = source("web", {"type": "http", "url": url})
        manager = UnifiedToolManager([demo])
        await asyncio.wait_for(manager.start(), GUARD)
        try:
            first = int((await run(manager, "pid")).text)
            proc.kill()
            proc.wait(timeout=10)
            with http_server("http", "demo", port, "--stale400", body):
                again = await run(manager, "pid")
                assert not again.is_error, again.text
                assert int(again.text) != first
                assert demo.reconnects == 1 and demo.state == "up"
                # A non-idempotent tool is reconnected before it is sent, never lost or doubled.
                assert (await run(manager, "echo", text="still")).text == "demo:still"
        finally:
            await manager.close()


async def test_stdio_server_that_never_completes_its_handshake_costs_start_up_timeout_once(
    tmp_path: Path,
) -> None:
    spawns = tmp_path / "spawns"
    # Starts at once and never answers ``initialize``.
    silent = f"echo spawned >> '{spawns}'; exec sleep 3600"
    mute = source("mute", {"command": "sh", "args": ["-c", silent], "startupTimeout": 1})
    demo = source(
        "demo", {"command": sys.executable, "args": [str(Path(__file__).with_name("demo_server.py"))]}
    )
    manager = UnifiedToolManager([mute, demo])
    began = time.monotonic()
    await asyncio.wait_for(manager.start(), GUARD)
    try:
        # Bounded by the start-up timeout plus the server's clean-up, not the SDK's 2 s grace on top.
        assert time.monotonic() - began < GUARD
        assert mute.state == "down" and "start-up within 1 s" in (mute.error or "")
        # The rest works, and neither a second start nor calls spawn the silent server again.
        await manager.start()
        assert (await run(manager, "echo", text="x")).text == "demo:x"
        assert spawns.read_text().splitlines() == ["spawned"]
        assert all(s.source != "mute" for s in manager.specs())
    finally:
        await manager.close()


COMMENTED = """\
# my agent (keep this comment)
llm:
  provider: openai  # the provider
  apiKey: sk-test-0123456789abcdef
  model: gpt-4o-mini
mcpServers:
  # the database server
  db:
    command: old-db
    args: [--old]
  # files: keep me
  files:
    command: files-server
# trailing comment
"""


def test_import_escapes_dollars_translates_editor_variables_and_replace_keeps_comments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentcore.config.loader import load_config
    from tests.mcp.test_agent_cli import run_cli

    source_file = tmp_path / "mcp.json"
    servers = {
        "db": {
            "command": "db-server",
            "args": ["--password", "p@$$w0rd", "--root", "${workspaceFolder}/data"],
            "env": {"TOKEN": "$def", "HOME_DIR": "${env:HOME}/x", "CACHE": "${userHome}/.cache"},
        }
    }
    source_file.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    config = tmp_path / "cipher.yml"
    config.write_text(COMMENTED, encoding="utf-8")
    home = tmp_path / "h"

    done = run_cli("mcp", "import", str(source_file), "--merge", "--replace", "-c", str(config), home=home)
    assert done.returncode == 0, done.stderr
    assert "${workspaceFolder}" in done.stderr and "editor variable" in done.stderr
    text = config.read_text(encoding="utf-8")
    for comment in ("# my agent (keep this comment)", "# the provider", "# files: keep me", "# trailing"):
        assert comment in text
    assert "old-db" not in text

    checked = run_cli("config", "check", "-c", str(config), home=home)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    monkeypatch.setenv("HOME", "/home/someone")
    db = load_config(config).mcp_servers["db"]
    assert db.args == ["--password", "p@$$w0rd", "--root", "${workspaceFolder}/data"]
    assert db.env == {"TOKEN": "$def", "HOME_DIR": "/home/someone/x", "CACHE": "/home/someone/.cache"}
    assert load_config(config).mcp_servers["files"].command == "files-server"


async def test_text_image_text_result_keeps_the_texts_apart() -> None:
    from agentcore.llm.formatters.openai import message_dict
    from tests.mcp._servers import stdio_entry

    manager = UnifiedToolManager([source("demo", stdio_entry())])
    await asyncio.wait_for(manager.start(), GUARD)
    try:
        result = await run(manager, "tiny_image")
    finally:
        await manager.close()
    assert len(result.images) == 1
    assert result.text == "This is a tiny image you requested:\nThe image above is tiny."
    # What the OpenAI tool message carries (text only; the image follows in a user message).
    assert message_dict(result)["content"] == result.text
