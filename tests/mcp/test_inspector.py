"""``agentcore serve --mcp`` driven by the MCP Inspector's CLI (``npx @modelcontextprotocol/inspector
--cli``): tools/list and tools/call over stdio and streamable HTTP (with a serve API key).

The Inspector is installed project-locally in ``tests/.npm`` by ``.ci/run``; without it the tests are
skipped, except under CI where a missing Inspector is a failure."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import FakeOpenAI
from tests.mcp.test_agent_cli import AGENTCORE
from tests.mcp.test_serve_mcp import _config, _http_server  # pyright: ignore[reportPrivateUsage]

GUARD = 240
# Starting ``serve --mcp`` takes seconds, far more on a loaded machine: past the Inspector's 15 s default.
CONNECT_MS = "180000"
NPM = Path(__file__).parents[1] / ".npm"
INSPECTOR = NPM / "node_modules" / ".bin" / "mcp-inspector"
ROOT = Path(__file__).parents[2]


@pytest.fixture(autouse=True)
def _need_inspector() -> None:  # pyright: ignore[reportUnusedFunction]
    if INSPECTOR.exists():
        return
    if os.environ.get("CI"):  # .ci/run installs it: missing there is a failure, not a skip
        pytest.fail(f"the MCP Inspector is not installed in {NPM} (.ci/run installs it)")
    pytest.skip(f"the MCP Inspector is not installed in {NPM} (run the npm step of .ci/run)")


def inspect(*args: str) -> Any:
    """Run the Inspector CLI; its JSON answer."""
    done = subprocess.run(
        [str(INSPECTOR), "--cli", "--connect-timeout", CONNECT_MS, *args],
        capture_output=True,
        text=True,
        timeout=GUARD,
        cwd=NPM,
        check=False,
    )
    assert done.returncode == 0, f"inspector failed ({done.returncode}): {done.stderr}\n{done.stdout}"
    return json.loads(done.stdout)


def _text(result: dict[str, Any]) -> str:
    return "".join(block.get("text", "") for block in result["content"])


def _check(target: list[str], fake: FakeOpenAI) -> None:
    listed = {t["name"]: t for t in inspect(*target, "--method", "tools/list")["tools"]}
    assert {"ask_agent", "ask_helper", "echo"} <= set(listed)
    assert listed["ask_helper"]["inputSchema"]["required"] == ["message"]

    fake.reply_text("Hello from the helper.")
    answer = inspect(
        *target, "--method", "tools/call", "--tool-name", "ask_helper", "--tool-arg", "message=Hi there"
    )
    assert not answer.get("isError") and _text(answer) == "Hello from the helper."
    assert fake.requests[-1].json["messages"][-1]["content"] == "Hi there"

    echoed = inspect(*target, "--method", "tools/call", "--tool-name", "echo", "--tool-arg", "text=direct")
    assert not echoed.get("isError") and _text(echoed) == "demo:direct"


def test_inspector_over_stdio(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    config = _config(tmp_path, fake_openai)
    # The Inspector starts the server with a minimal environment: pass what the test needs.
    env = [f"PYTHONPATH={os.environ.get('PYTHONPATH', ROOT)}", f"AGENTCORE_HOME={tmp_path}", "NO_COLOR=1"]
    target = [flag for pair in env for flag in ("-e", pair)]
    target += [AGENTCORE, "serve", "--mcp", "--expose-tools", "-c", str(config)]
    _check(target, fake_openai)


async def _create_key(url: str) -> str:
    from agentcore.serve.keys import KeyStore
    from agentcore.storage.db import dispose_engines, open_database

    await open_database(url)
    secret, _ = await KeyStore(url).create("alice")
    await dispose_engines()
    return secret


def test_inspector_over_http_with_a_serve_key(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    config = _config(tmp_path, fake_openai)
    secret = asyncio.run(_create_key(f"sqlite+aiosqlite:///{tmp_path / 'calls.db'}"))
    with _http_server(tmp_path, config) as endpoint:
        target = [endpoint, "--transport", "http", "--header", f"Authorization: Bearer {secret}"]
        _check(target, fake_openai)
