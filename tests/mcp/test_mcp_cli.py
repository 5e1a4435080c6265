"""``agentcore mcp status|resources|prompts`` as a user runs them, against a real stdio server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.mcp._servers import stdio_entry
from tests.mcp.test_agent_cli import run_cli


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "cipher.yml"
    data: dict[str, Any] = {
        "llm": {
            "provider": "openai",
            "model": "m",
            "apiKey": "sk-test-0123456789abcdef",
            "baseURL": "http://127.0.0.1:9/v1",
        },
        "localTools": [],
        "mcpServers": {
            "demo": stdio_entry("demo"),
            "broken": stdio_entry("broken", "--fail"),
        },
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_status_resources_and_prompts(tmp_path: Path) -> None:
    config = _config(tmp_path)
    status = run_cli("mcp", "status", "--json", "-c", str(config), home=tmp_path)
    assert status.returncode == 0, status.stderr
    servers = {s["name"]: s for s in json.loads(status.stdout)}
    assert (
        servers["demo"]["state"] == "up"
        and servers["demo"]["type"] == "stdio"
        and servers["demo"]["tools"] > 0
    )
    assert servers["broken"]["state"] == "down" and servers["broken"]["error"]
    assert Path(servers["demo"]["log"]).parent == tmp_path / "logs"

    resources = run_cli("mcp", "resources", "demo", "-c", str(config), home=tmp_path)
    assert resources.returncode == 0, resources.stderr
    assert "demo://greeting" in resources.stdout and "A greeting." in resources.stdout

    prompts = run_cli("mcp", "prompts", "-c", str(config), home=tmp_path)
    assert prompts.returncode == 0, prompts.stderr
    line = next(ln for ln in prompts.stdout.splitlines() if "review" in ln)
    assert "code" in line and "[language]" in line  # optional arguments are bracketed
