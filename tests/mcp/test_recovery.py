"""MCP servers under pressure: concurrent first runs share one server; a crash never runs a
side-effecting call twice."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

from agentcore.agent import Agent
from agentcore.config.loader import load_config_from_dict
from agentcore.config.schema import McpServerConfig
from agentcore.messages import InternalMessage, ToolCall
from agentcore.tools.manager import UnifiedToolManager
from agentcore.tools.mcp import McpToolSource
from tests.fakes import FakeOpenAI
from tests.mcp._servers import stdio_entry

GUARD = 60  # seconds: a hang guard, never a timing assertion


def server_pids(marker: str) -> list[int]:
    """Live processes whose command line contains ``marker``."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


async def test_twenty_first_runs_at_once_start_one_server_and_close_stops_it(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    marker = f"demo-{uuid.uuid4().hex[:8]}"
    fake_openai.set_default("hello")
    config = load_config_from_dict(
        {
            "llm": {
                "provider": "openai",
                "model": "gpt-4o-mini",
                "apiKey": "sk-test-0123456789abcdef",
                "baseURL": fake_openai.url + "/v1",
            },
            "localTools": [],
            "storage": {"url": "memory://"},
            "mcpServers": {"demo": stdio_entry(marker)},
        },
        base_dir=tmp_path,
    )
    agent = Agent(config)
    try:
        results = await asyncio.wait_for(
            asyncio.gather(*(agent.run("hi", session=f"s{i}") for i in range(20))), GUARD
        )
        assert [r.text for r in results] == ["hello"] * 20
        assert len(server_pids(marker)) == 1
        # Every request offered the server's tools: all runs saw the one started server.
        assert all("echo" in {t["function"]["name"] for t in r.json["tools"]} for r in fake_openai.requests)
    finally:
        await asyncio.wait_for(agent.close(), GUARD)
    async with asyncio.timeout(GUARD):
        while server_pids(marker):  # noqa: ASYNC110 - a process exit has no event to wait on
            await asyncio.sleep(0.05)


async def call(manager: UnifiedToolManager, name: str, path: Path) -> InternalMessage:
    message = ToolCall(f"c-{name}", name, json.dumps({"path": str(path)}))
    return await asyncio.wait_for(manager.execute(message), GUARD)


def runs(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


async def test_crash_mid_call_retries_only_idempotent_or_read_only_tools(tmp_path: Path) -> None:
    demo = McpToolSource("demo", McpServerConfig.model_validate(stdio_entry("demo")))
    manager = UnifiedToolManager([demo])
    await asyncio.wait_for(manager.start(), GUARD)
    try:
        # No annotation: the crash interrupts it, and it is reported, never run a second time.
        charged = await call(manager, "charge", tmp_path / "charge.log")
        assert charged.is_error and "interrupted" in charged.text and "not run again" in charged.text
        assert runs(tmp_path / "charge.log") == 1

        # The server is back for the next call.
        assert not (await manager.execute(ToolCall("p", "pid", "{}"))).is_error

        # readOnlyHint / idempotentHint: retried once after the reconnect, transparently.
        looked = await call(manager, "lookup", tmp_path / "lookup.log")
        assert not looked.is_error and looked.text == "looked up (run 2)"
        put = await call(manager, "put", tmp_path / "put.log")
        assert not put.is_error and put.text == "put (run 2)"
        assert demo.reconnects == 3
    finally:
        await asyncio.wait_for(manager.close(), GUARD)
