"""MCP end to end: an Agent run where the model calls an MCP tool, and the CLI faces (tools, mcp ...)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from agentcore.agent import Agent
from agentcore.config.loader import load_config, load_config_from_dict
from agentcore.config.schema import McpServerConfig
from agentcore.errors import ConfigError
from tests.fakes import FakeOpenAI
from tests.mcp._servers import stdio_entry

AGENTCORE = str(Path(sys.executable).parent / "agentcore")


def llm(url: str) -> dict[str, Any]:
    return {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "apiKey": "sk-test-0123456789abcdef",
        "baseURL": url + "/v1",
    }


def run_cli(*args: str, home: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "AGENTCORE_HOME": str(home)}
    return subprocess.run(
        [AGENTCORE, *args], capture_output=True, text=True, timeout=60, cwd=cwd, env=env, check=False
    )


async def test_agent_run_calls_an_mcp_tool_and_gets_its_result(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.reply_tool_calls([("echo", {"text": "from the model"})])
    fake_openai.reply_text("The server said demo:from the model.")
    config = load_config_from_dict(
        {
            "llm": llm(fake_openai.url),
            "localTools": [],
            "storage": {"url": "memory://"},
            "mcpServers": {"demo": stdio_entry("demo")},
        },
        base_dir=tmp_path,
    )
    async with Agent(config) as agent:
        result = await asyncio.wait_for(agent.run("Echo something"), 60)
    assert result.stop_reason == "final"
    assert [(c.name, c.result, c.is_error) for c in result.tool_calls] == [
        ("echo", "demo:from the model", False)
    ]
    first, second = fake_openai.requests[0].json, fake_openai.requests[1].json
    assert "echo" in {t["function"]["name"] for t in first["tools"]}
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["content"] == "demo:from the model"


def test_claude_desktop_shape_is_accepted_as_is() -> None:
    desktop = {
        "command": "npx",
        "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"],
        "env": {"A": "b"},
    }
    assert McpServerConfig.model_validate(desktop).type == "stdio"
    assert McpServerConfig.model_validate({"url": "http://h/sse"}).type == "sse"
    assert McpServerConfig.model_validate({"url": "http://h/mcp"}).type == "streamable-http"
    assert McpServerConfig.model_validate({"type": "http", "url": "http://h/mcp"}).type == "streamable-http"
    assert McpServerConfig.model_validate({"command": "x", "disabled": True}).enabled is False


def test_env_and_headers_expand_and_a_server_without_command_or_url_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCP_TOKEN", "t0ken-value")
    path = tmp_path / "cipher.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "llm": {"provider": "openai", "model": "m", "apiKey": "sk-x"},
                "mcpServers": {
                    "web": {"url": "http://h/mcp", "headers": {"Authorization": "Bearer $MCP_TOKEN"}},
                    "local": {"command": "srv", "env": {"TOKEN": "${MCP_TOKEN}"}},
                },
            }
        ),
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.mcp_servers["web"].headers["Authorization"] == "Bearer t0ken-value"
    assert config.mcp_servers["local"].env["TOKEN"] == "t0ken-value"
    path.write_text(
        yaml.safe_dump(
            {"llm": {"provider": "openai", "model": "m", "apiKey": "sk-x"}, "mcpServers": {"x": {"args": []}}}
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "mcpServers.x" in str(info.value)


CLAUDE_DESKTOP = {
    "mcpServers": {
        "filesystem": {
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"],
            "env": {"DEBUG": "1"},
        },
        "remote": {"url": "https://example.com/mcp", "headers": {"Authorization": "Bearer ${TOKEN}"}},
        "old": {"command": "old-server", "disabled": True, "autoApprove": ["x"]},
    }
}


def test_mcp_import_prints_cipher_yml_entries_and_merges_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN", "t")
    source = tmp_path / "claude_desktop_config.json"
    source.write_text(json.dumps(CLAUDE_DESKTOP), encoding="utf-8")
    proc = run_cli("mcp", "import", str(source), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    printed = yaml.safe_load(proc.stdout)["mcpServers"]
    assert printed["filesystem"] == CLAUDE_DESKTOP["mcpServers"]["filesystem"]
    assert printed["remote"]["url"] == "https://example.com/mcp"
    assert printed["old"] == {"command": "old-server", "enabled": False}
    assert "autoApprove" in proc.stderr  # dropped keys are named
    for entry in printed.values():
        McpServerConfig.model_validate(entry)

    config = tmp_path / "cipher.yml"
    config.write_text(
        "# my agent\nllm:\n  provider: openai  # keep this comment\n  model: gpt-4o-mini\n  apiKey: sk-x\n"
        "mcpServers:\n    mine:\n        command: my-server\n",
        encoding="utf-8",
    )
    proc = run_cli("mcp", "import", str(source), "--merge", "--config", str(config), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = config.read_text(encoding="utf-8")
    assert "# keep this comment" in text
    loaded = load_config(config)
    assert set(loaded.mcp_servers) == {"mine", "filesystem", "remote", "old"}
    assert loaded.mcp_servers["old"].enabled is False

    again = run_cli("mcp", "import", str(source), "--merge", "--config", str(config), home=tmp_path)
    assert again.returncode == 2 and "already in the config: filesystem, old, remote" in again.stderr
    assert config.read_text(encoding="utf-8") == text


def test_tools_json_lists_mcp_tools_with_source_and_status(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    config = tmp_path / "cipher.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "llm": llm(fake_openai.url),
                "localTools": [],
                "mcpServers": {
                    "demo": stdio_entry("demo", include=["echo", "add"]),
                    "broken": stdio_entry("broken", "--fail", connectionMode="strict"),
                },
            }
        ),
        encoding="utf-8",
    )
    proc = run_cli("tools", "--json", "--config", str(config), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    tools = {t["name"]: t for t in data["tools"]}
    assert set(tools) == {"echo", "add"}
    assert tools["echo"]["source"] == "demo" and tools["echo"]["status"] == "up"
    sources = {s["name"]: s for s in data["sources"]}
    assert sources["demo"]["state"] == "up" and sources["demo"]["tools"] == 2
    # The listing faces show a failing server instead of refusing to start.
    assert sources["broken"]["state"] == "down" and "refusing to start" in sources["broken"]["error"]
    assert fake_openai.requests == []  # listing tools never calls the model


def run_chat(config: Path, script: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "AGENTCORE_HOME": str(home)}
    return subprocess.run(
        [AGENTCORE, "chat", "--new", "-c", str(config)],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_chat_resource_attaches_to_the_next_message_and_prompt_runs_a_turn(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.set_default("noted")
    config = tmp_path / "cipher.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "llm": llm(fake_openai.url),
                "localTools": [],
                "storage": {"url": "memory://"},
                "mcpServers": {"demo": stdio_entry("demo")},
            }
        ),
        encoding="utf-8",
    )
    script = (
        "/resource demo demo://greeting\n"
        "what does it say?\n"
        "/prompt demo review code='x = 1' language=rust\n"
        "/mcp\n"
        "/resource nope demo://x\n"
        "/exit\n"
    )
    proc = run_chat(config, script, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    users = [r.json["messages"][-1]["content"] for r in fake_openai.requests]
    assert len(users) == 2
    assert "hello from demo" in users[0] and users[0].endswith("what does it say?")
    assert users[1] == "Review this rust code:\nx = 1"  # the resource was attached once only
    assert "demo" in proc.stdout and "up" in proc.stdout  # /mcp
    assert "no MCP server 'nope'" in proc.stdout
