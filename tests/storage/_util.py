"""Helpers for storage tests: agents on a given database pointed at the fake OpenAI server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentcore.agent import Agent
from agentcore.config.loader import load_config_from_dict


def agent_on(url: str, fake_url: str, tmp_path: Path, **extra: Any) -> Agent:
    """An agent storing sessions in ``url``; ``extra`` merges into the config."""
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
    return Agent(load_config_from_dict(data, base_dir=tmp_path))
