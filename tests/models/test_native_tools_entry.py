"""A ``models:`` entry saying ``nativeTools: false`` starts that target in prompt-based tool calling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentcore import Agent
from agentcore.config.loader import load_config_from_dict
from tests.fakes import FakeOpenAI
from tests.llm.test_prompt_tools import LlamaWithoutJinja, call, get_weather


async def test_native_tools_false_means_prompt_mode_from_the_first_request(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    target = {"provider": "openai", "model": "my-gguf", "apiKey": "sk-test-0123456789abcdef",
              "baseURL": fake_openai.url + "/v1", "nativeTools": False}  # fmt: skip
    data: dict[str, Any] = {
        "llm": {
            **{k: v for k, v in target.items() if k != "nativeTools"},
            "toolCalling": "native",
            "maxRetries": 0,
        },
        "models": {"local": target},
        "profiles": {"local": {"targets": ["local"]}},
        "localTools": [],
        "storage": {"url": f"sqlite:///{tmp_path / 'agentcore.db'}"},
    }
    server = LlamaWithoutJinja(fake_openai, [call("get_weather", city="Lviv"), "Rainy."])
    async with Agent(load_config_from_dict(data, base_dir=tmp_path), tools=[get_weather]) as agent:
        assert (await agent.run("weather?", profile="local")).text == "Rainy."
    assert server.refused == 0  # tools were never offered natively
    assert not any(r.body_dict.get("tools") for r in fake_openai.requests)
