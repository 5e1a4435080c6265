"""``agentcore serve --mcp`` driven by the real ``mcp`` client over stdio and streamable HTTP:
each agent is ``ask_<agent>``, ``--expose-tools`` adds the agent's tools, calls are logged with
module ``mcp``, and over HTTP the serve API keys apply."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from tests.fakes import FakeOpenAI
from tests.mcp._servers import free_port, stdio_entry, wait_for_port
from tests.mcp.test_agent_cli import AGENTCORE

GUARD = 60


def _config(tmp_path: Path, fake: FakeOpenAI) -> Path:
    path = tmp_path / "cipher.yml"
    data: dict[str, Any] = {
        "llm": {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "apiKey": "sk-test-0123456789abcdef",
            "baseURL": fake.url + "/v1",
        },
        "localTools": [],
        "storage": {"url": f"sqlite:///{tmp_path / 'calls.db'}"},
        "mcpServers": {"demo": stdio_entry("demo")},
        "agents": {"helper": {"systemPrompt": "You are the helper.", "description": "Helps."}},
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1", "AGENTCORE_HOME": str(tmp_path)}


def _text(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def _modules(tmp_path: Path) -> list[tuple[str | None, str | None, str | None]]:
    with sqlite3.connect(tmp_path / "calls.db") as db:
        rows = db.execute("SELECT module, session_id, user_id FROM llm_call_logs ORDER BY id").fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


async def _exercise(session: Any, fake: FakeOpenAI) -> None:
    await session.initialize()
    listed = {t.name: t for t in (await session.list_tools()).tools}
    assert {"ask_agent", "ask_helper", "echo"} <= set(listed)
    assert listed["ask_helper"].input_schema["required"] == ["message"]
    assert "Helps." in (listed["ask_helper"].description or "")

    fake.reply_text("Hello from the helper.")
    answer = await session.call_tool("ask_helper", {"message": "Hi there", "session": "s1"})
    assert not answer.is_error and _text(answer) == "Hello from the helper."
    sent = fake.requests[-1].json["messages"]
    assert sent[0] == {"role": "system", "content": "You are the helper."}
    assert sent[-1]["content"] == "Hi there"

    fake.reply_text("Again.")
    await session.call_tool("ask_helper", {"message": "And now?", "session": "s1"})
    contents = [m["content"] for m in fake.requests[-1].json["messages"]]
    assert "Hi there" in contents and "Hello from the helper." in contents  # the session continued

    echoed = await session.call_tool("echo", {"text": "direct"})
    assert not echoed.is_error and _text(echoed) == "demo:direct"


async def test_stdio(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    config = _config(tmp_path, fake_openai)
    params = StdioServerParameters(
        command=AGENTCORE,
        args=["serve", "--mcp", "--expose-tools", "-c", str(config)],
        env=_env(tmp_path),
    )
    with (tmp_path / "stderr.log").open("w") as errlog:
        async with (
            asyncio.timeout(GUARD),
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await _exercise(session, fake_openai)
    assert _modules(tmp_path) == [("mcp", "s1", None), ("mcp", "s1", None)]


@contextmanager
def _http_server(tmp_path: Path, config: Path) -> Generator[str]:
    port = free_port()
    command = ["serve", "--mcp", "--transport", "http", "--port", str(port), "--expose-tools"]
    proc = subprocess.Popen(
        [AGENTCORE, *command, "-c", str(config)],
        env=_env(tmp_path),
        stderr=(tmp_path / "stderr.log").open("w"),
    )
    try:
        wait_for_port(port, proc, 40.0)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


async def test_http_with_serve_keys(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    from agentcore.serve.keys import KeyStore
    from agentcore.storage.db import dispose_engines, open_database

    config = _config(tmp_path, fake_openai)
    url = f"sqlite+aiosqlite:///{tmp_path / 'calls.db'}"
    await open_database(url)
    secret, _ = await KeyStore(url).create("alice")
    await dispose_engines()

    with _http_server(tmp_path, config) as endpoint:
        async with httpx2.AsyncClient(timeout=30) as anonymous:
            refused = await anonymous.post(endpoint, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert refused.status_code == 401 and "API key" in refused.text

        headers = {"Authorization": f"Bearer {secret}"}
        async with (
            asyncio.timeout(GUARD),
            httpx2.AsyncClient(headers=headers, timeout=30) as client,
            streamable_http_client(endpoint, http_client=client) as (read, write),
            ClientSession(read, write) as session,
        ):
            await _exercise(session, fake_openai)
    assert _modules(tmp_path) == [("mcp", "s1", "alice"), ("mcp", "s1", "alice")]
