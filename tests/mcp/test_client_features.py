"""Server-to-client features against a real server (``features_server.py``) over stdio and HTTP:
sampling by the agent's model, elicitation (form and URL), roots, progress and server logs."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from agentcore.agent import Agent
from agentcore.config.loader import load_config_from_dict
from agentcore.config.schema import McpServerConfig
from agentcore.messages import ToolCall
from agentcore.tools.manager import UnifiedToolManager
from agentcore.tools.mcp import McpToolSource
from agentcore.tools.mcp._handlers import ElicitationReply, ElicitationRequest, McpHooks
from tests.fakes import FakeOpenAI
from tests.mcp._servers import free_port, wait_for_port

GUARD = 30
SERVER = str(Path(__file__).with_name("features_server.py"))


@contextmanager
def features(transport: str, **fields: Any) -> Generator[dict[str, Any]]:
    if transport == "stdio":
        yield {"command": sys.executable, "args": [SERVER, "stdio"], **fields}
        return
    import subprocess

    port = free_port()
    proc = subprocess.Popen([sys.executable, SERVER, "http", str(port)], stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
        yield {"type": "http", "url": f"http://127.0.0.1:{port}/mcp", **fields}
    finally:
        proc.kill()
        proc.wait(timeout=10)


async def call(manager: UnifiedToolManager, name: str, **arguments: Any) -> str:
    result = await asyncio.wait_for(manager.execute(ToolCall("c1", name, json.dumps(arguments))), GUARD)
    assert not result.is_error, result.text
    return result.text


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_sampling_is_answered_by_the_agents_model(
    transport: str, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.reply_tool_calls([("summarize", {"text": "a very long story"})])
    fake_openai.reply_text("a story, briefly told")
    fake_openai.reply_text("Done.")
    with features(transport, sampling={"enabled": True}) as entry:
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
                "mcpServers": {"features": entry},
            },
            base_dir=tmp_path,
        )
        async with Agent(config) as agent:
            result = await asyncio.wait_for(agent.run("Summarise it"), GUARD)
    assert [(c.name, c.result) for c in result.tool_calls] == [
        ("summarize", "summary: a story, briefly told (gpt-4o-mini, endTurn)")
    ]
    sampled = fake_openai.requests[1].json
    assert sampled["messages"][0] == {"role": "system", "content": "Summarise in five words."}
    assert sampled["messages"][-1]["content"] == "a very long story"
    assert "tools" not in sampled


async def test_sampling_off_by_default_is_refused(tmp_path: Path) -> None:
    with features("stdio") as entry:
        source = McpToolSource("features", McpServerConfig.model_validate(entry))
        manager = UnifiedToolManager([source])
        await manager.start()
        try:
            result = await manager.execute(ToolCall("c1", "summarize", '{"text": "x"}'))
        finally:
            await manager.close()
    assert result.is_error


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_elicitation_roots_progress_and_logs(
    transport: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    asked: list[ElicitationRequest] = []

    async def answer(request: ElicitationRequest) -> ElicitationReply:
        asked.append(request)
        if request.mode == "url":
            return ElicitationReply("decline")
        return ElicitationReply("accept", {"size": "large", "slices": 8})

    progress: list[tuple[float, float | None, str | None]] = []
    other = tmp_path / "other"
    other.mkdir()
    here, there = (p.resolve().as_uri() for p in (tmp_path, other))
    with features(transport, roots=[str(tmp_path)], logLevel="info") as entry:
        source = McpToolSource("features", McpServerConfig.model_validate(entry))

        def sink(server: str, tool: str, value: float, total: float | None, message: str | None) -> None:
            progress.append((value, total, message))

        source.hooks = McpHooks(elicitation=answer, progress=sink)
        manager = UnifiedToolManager([source])
        await manager.start()
        try:
            assert await call(manager, "order") == "ordered 8 slices of a large"
            assert asked[0].schema["properties"]["slices"]["type"] == "integer"
            assert await call(manager, "login") == "login decline"
            assert asked[1].url == "https://example.invalid/login"
            assert await call(manager, "where") == here
            await source.set_roots([other])
            assert await call(manager, "where") == there
            assert await call(manager, "work", steps=3) == "worked"
        finally:
            await manager.close()
    assert progress == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]


async def test_elicitation_is_declined_where_nobody_can_answer() -> None:
    with features("stdio") as entry:
        source = McpToolSource("features", McpServerConfig.model_validate(entry))
        manager = UnifiedToolManager([source])
        await manager.start()
        try:
            assert await call(manager, "order") == "order decline"
            cancelling = McpToolSource(
                "c", McpServerConfig.model_validate({**entry, "elicitation": "cancel"})
            )
            manager2 = UnifiedToolManager([cancelling])
            await manager2.start()
            try:
                assert await call(manager2, "order") == "order cancel"
            finally:
                await manager2.close()
        finally:
            await manager.close()
