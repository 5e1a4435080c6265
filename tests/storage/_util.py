"""Helpers for storage tests: agents on a given database, driven by a double or the fake OpenAI server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentcore.agent import Agent
from agentcore.config.loader import load_config_from_dict
from agentcore.config.schema import AgentConfig
from agentcore.llm.client import ModelClient

# Where an agent driven by a double would send requests if it ever built a real client: nowhere.
NO_SERVER = "http://127.0.0.1:9"


def agent_on(url: str, fake_url: str, tmp_path: Path, **extra: Any) -> Agent:
    """An agent storing sessions in ``url``; ``extra`` merges into the config."""
    return Agent(config_on(url, tmp_path, fake_url, **extra))


def double_on(url: str, model: ModelClient, tmp_path: Path, **extra: Any) -> Agent:
    """An agent storing sessions in ``url`` driven by ``model`` (an ``agentcore.testing`` double)."""
    tools = extra.pop("tools", ())
    return Agent(config_on(url, tmp_path, **extra), model=model, tools=tools)


def config_on(url: str, tmp_path: Path, fake_url: str = NO_SERVER, **extra: Any) -> AgentConfig:
    """The config of ``agent_on``."""
    data: dict[str, Any] = {
        "llm": {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "apiKey": "sk-test-0123456789abcdef",
            "baseURL": fake_url + "/v1",
            "maxRetries": 0,
        },
        "localTools": [],
        "storage": {"url": url},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return load_config_from_dict(data, base_dir=tmp_path)
