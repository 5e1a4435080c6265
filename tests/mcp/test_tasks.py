"""Tools that require MCP tasks are not offered to the model (our client cannot run the task flow)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from agentcore.agent import Agent
from agentcore.config.loader import load_config_from_dict
from agentcore.config.schema import McpServerConfig
from agentcore.tools.manager import UnifiedToolManager
from agentcore.tools.mcp import McpToolSource
from tests.fakes import FakeOpenAI
from tests.mcp.test_agent_cli import llm, run_cli
from tests.mcp.test_client_features import features


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_task_only_tool_is_left_out(transport: str, caplog: pytest.LogCaptureFixture) -> None:
    with features(transport) as entry:
        source = McpToolSource("features", McpServerConfig.model_validate(entry))
        manager = UnifiedToolManager([source])
        await manager.start()
        try:
            names = {row["name"] for row in manager.status()}
            info = source.info()
        finally:
            await manager.close()
    assert "research" not in names and "work" in names
    assert info["not_offered"] == {"research": "needs MCP tasks"}
    assert any("not offered" in r.getMessage() and "research" in r.getMessage() for r in caplog.records)


def test_status_and_tools_show_what_is_not_offered(tmp_path: Path) -> None:
    with features("stdio") as entry:
        config = tmp_path / "cipher.yml"
        data: dict[str, Any] = {
            "llm": {"provider": "openai", "model": "m", "apiKey": "sk-test-0123456789abcdef"},
            "localTools": [],
            "mcpServers": {"features": entry},
        }
        config.write_text(yaml.safe_dump(data), encoding="utf-8")
        status = run_cli("mcp", "status", "-c", str(config), home=tmp_path)
        tools = run_cli("tools", "--json", "-c", str(config), home=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "research: not offered: needs MCP tasks" in status.stdout
    rows = {t["name"]: t for t in json.loads(tools.stdout)["tools"]}
    assert rows["research"]["status"] == "not offered: needs MCP tasks"
    assert rows["work"]["status"] == "up"


async def test_the_model_is_never_offered_a_task_only_tool(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_tool_calls([("research", {"topic": "bees"})])  # a model guessing the name anyway
    fake_openai.reply_text("I could not research that.")
    with features("stdio") as entry:
        config = load_config_from_dict(
            {
                "llm": llm(fake_openai.url),
                "localTools": [],
                "storage": {"url": "memory://"},
                "mcpServers": {"features": entry},
            },
            base_dir=tmp_path,
        )
        async with Agent(config) as agent:
            result = await asyncio.wait_for(agent.run("Research bees"), 60)
    offered = {t["function"]["name"] for t in fake_openai.requests[0].json["tools"]}
    assert "research" not in offered and "work" in offered
    (call,) = result.tool_calls
    assert call.is_error and call.result.startswith("Unknown tool 'research'")
