"""``agentcore mcp import`` conversion and merging, without servers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from agentcore.errors import ConfigError
from agentcore.tools.mcp.importer import entries_yaml, merge_into_config, read_servers_file

BASE = "# agent\nllm:\n  provider: openai\n  model: m\n"


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "servers.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_vscode_shape_and_http_type_are_converted(tmp_path: Path) -> None:
    path = write(tmp_path, {"servers": {"gh": {"type": "http", "url": "https://x/mcp"}, "bad": {"args": []}}})
    entries, notes = read_servers_file(path)
    assert entries == {"gh": {"type": "streamable-http", "url": "https://x/mcp"}}
    assert any("'bad'" in n and "neither" in n for n in notes)


def test_bad_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "mcpServers": {\n    "a": \n}', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        read_servers_file(path)
    assert "broken.json:4" in str(info.value)


def test_merge_appends_a_block_when_there_is_none_and_keeps_comments() -> None:
    merged = merge_into_config(BASE, {"fs": {"command": "npx", "args": ["-y", "fs"]}})
    assert merged.startswith(BASE)
    assert yaml.safe_load(merged)["mcpServers"] == {"fs": {"command": "npx", "args": ["-y", "fs"]}}


def test_merge_into_an_empty_flow_block_and_into_an_indented_block() -> None:
    merged = merge_into_config(BASE + "mcpServers: {}\n", {"a": {"command": "x"}})
    assert yaml.safe_load(merged)["mcpServers"] == {"a": {"command": "x"}}
    indented = BASE + "mcpServers:\n    old:\n        command: y\nlogging:\n  level: info\n"
    merged = merge_into_config(indented, {"a": {"command": "x"}})
    data = yaml.safe_load(merged)
    assert data["mcpServers"] == {"a": {"command": "x"}, "old": {"command": "y"}}
    assert data["logging"] == {"level": "info"}


def test_entries_yaml_round_trips() -> None:
    entries = {"a": {"url": "http://h/sse", "headers": {"X": "1"}}}
    assert yaml.safe_load(entries_yaml(entries)) == {"mcpServers": entries}
