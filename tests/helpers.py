"""Test helpers: configs pointing at the fake servers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from agentcore.config.loader import load_config_from_dict
from agentcore.config.schema import AgentConfig


def _openai_data(url: str, local_tools: list[str], llm: dict[str, Any]) -> dict[str, Any]:
    return {
        "llm": {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "apiKey": "sk-test-0123456789abcdef",
            "baseURL": url + "/v1",
            **llm,
        },
        "localTools": local_tools,
        "storage": {"url": "memory://"},
    }


def openai_config(url: str, tmp_path: Path, **llm: Any) -> AgentConfig:
    """An AgentConfig for the OpenAI family pointed at a fake server; no local tools unless given."""
    return load_config_from_dict(_openai_data(url, [], llm), base_dir=tmp_path)


def write_config(tmp_path: Path, data: dict[str, Any], name: str = "cipher.yml") -> Path:
    """Write ``data`` as YAML and return its path."""
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def cli_config(tmp_path: Path, url: str, **llm: Any) -> Path:
    """A cipher.yml for CLI tests pointed at a fake OpenAI server, with the shipped tools."""
    repo = Path(__file__).resolve().parents[1]
    return write_config(tmp_path, _openai_data(url, [str(repo / "tools")], llm))


def require_redis(host: str = "127.0.0.1", port: int = 6379) -> None:
    """Redis must answer: under CI (.ci/run starts it) its absence fails the test, elsewhere it skips."""
    import os
    import socket

    import pytest

    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {host}:{port} is not reachable; .ci/run starts it")
        pytest.skip(f"Redis at {host}:{port} is not reachable")
