"""Configs and tools shared by the provider-family tests (Anthropic, Bedrock, OpenAI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentcore import Agent, tool
from agentcore.config.loader import load_config_from_dict
from agentcore.config.schema import AgentConfig
from tests.fakes import FakeAnthropic, FakeOpenAI

ANTHROPIC_KEY = "sk-ant-test-0123456789abcdef"


def anthropic_config(url: str, tmp_path: Path, **llm: Any) -> AgentConfig:
    """Provider ``anthropic`` pointed at a FakeAnthropic."""
    data: dict[str, Any] = {
        "llm": {"provider": "anthropic", "model": "claude-sonnet-4-5", "apiKey": ANTHROPIC_KEY,
                "baseURL": url, **llm},
        "localTools": [],
        "storage": {"url": "memory://"},
    }  # fmt: skip
    return load_config_from_dict(data, base_dir=tmp_path)


def bedrock_config(url: str, tmp_path: Path, **llm: Any) -> AgentConfig:
    """Provider ``aws`` pointed at a FakeAnthropic, with fake static credentials."""
    aws = {"region": "eu-west-3", "accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "fake-secret-key-123"}
    data: dict[str, Any] = {
        "llm": {"provider": "aws", "model": "anthropic.claude-3-5-sonnet-20240620-v1:0", "baseURL": url,
                "aws": aws, **llm},
        "localTools": [],
        "storage": {"url": "memory://"},
    }  # fmt: skip
    return load_config_from_dict(data, base_dir=tmp_path)


def openai_family_config(url: str, tmp_path: Path, **llm: Any) -> AgentConfig:
    """Provider ``openai`` pointed at a FakeOpenAI."""
    data: dict[str, Any] = {
        "llm": {"provider": "openai", "model": "gpt-4o-mini", "apiKey": "sk-test-0123456789abcdef",
                "baseURL": url + "/v1", **llm},
        "localTools": [],
        "storage": {"url": "memory://"},
    }  # fmt: skip
    return load_config_from_dict(data, base_dir=tmp_path)


def config_for(fake: FakeOpenAI | FakeAnthropic, tmp_path: Path, **llm: Any) -> AgentConfig:
    """The config of the family ``fake`` serves."""
    if isinstance(fake, FakeAnthropic):
        return anthropic_config(fake.url, tmp_path, **llm)
    return openai_family_config(fake.url, tmp_path, **llm)


@tool
def get_weather(city: str) -> str:
    """The weather in a city.

    Args:
        city: the city
    """
    return f"sunny in {city}"


@tool
def add(a: int, b: int) -> str:
    """Add two numbers.

    Args:
        a: first
        b: second
    """
    return str(a + b)


def agent_for(fake: FakeOpenAI | FakeAnthropic, tmp_path: Path, **llm: Any) -> Agent:
    """An agent with the two test tools, on the family ``fake`` serves."""
    return Agent(config_for(fake, tmp_path, **llm), tools=[get_weather, add])
