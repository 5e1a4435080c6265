"""Secrets at the provider boundary: configured keys never reach an exception; placeholders are not secrets."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from agentcore import Agent
from agentcore.config.loader import load_config_from_dict
from agentcore.errors import ProviderError
from tests.fakes import FakeAnthropic, FakeOpenAI

PLAIN_KEY = "plainsecretvalue0123456789"  # not shaped like any known key: only registration masks it


def keyed_config(fake: FakeOpenAI | FakeAnthropic, tmp_path: Path) -> Any:
    if isinstance(fake, FakeAnthropic):
        llm = {"provider": "anthropic", "model": "claude-sonnet-4-5", "baseURL": fake.url}
    else:
        llm = {"provider": "openai", "model": "gpt-4o-mini", "baseURL": fake.url + "/v1"}
    data = {
        "llm": {**llm, "apiKey": PLAIN_KEY, "maxRetries": 0},
        "localTools": [],
        "storage": {"url": "memory://"},
    }
    return load_config_from_dict(data, base_dir=tmp_path)


@pytest.mark.parametrize("family", ["openai", "anthropic"])
@pytest.mark.parametrize("how", ["status", "stream-event"])
async def test_a_server_echoing_the_key_never_puts_it_in_the_raised_error(
    family: str, how: str, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    fake: FakeOpenAI | FakeAnthropic = fake_openai if family == "openai" else fake_anthropic
    echoed = f"Incorrect API key provided: {PLAIN_KEY}. Check it"
    if how == "status":
        fake.reply_error(401, message=echoed)
    else:
        fake.reply_stream_error("x", message=echoed, error_type="authentication_error")
    async with Agent(keyed_config(fake, tmp_path)) as agent:
        with pytest.raises(ProviderError) as info:
            if how == "status":
                await agent.run("hi")
            else:
                async for _ in agent.stream("hi"):
                    pass
    assert PLAIN_KEY not in str(info.value) and PLAIN_KEY not in info.value.reason
    assert "Incorrect API key provided" in str(info.value)


async def test_ollama_placeholder_is_not_a_secret(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    db = tmp_path / "mem.db"
    data = {
        "llm": {"provider": "ollama", "model": "llama3.2", "baseURL": fake_openai.url + "/v1"},
        "localTools": [],
        "storage": {"url": f"sqlite:///{db}"},
    }
    config = load_config_from_dict(data, base_dir=tmp_path)
    fake_openai.reply_text("ollama runs models locally")
    async with Agent(config) as agent:
        result = await agent.run("is ollama a runtime?", session="s")
    assert result.text == "ollama runs models locally"
    request = fake_openai.requests[0]
    assert request.headers["authorization"] == "Bearer ollama"  # the placeholder is still sent
    assert request.json["messages"][-1]["content"] == "is ollama a runtime?"
    with sqlite3.connect(db) as conn:
        stored = [row[0] for row in conn.execute("SELECT content FROM agentcore_messages ORDER BY seq")]
    assert stored == ["is ollama a runtime?", "ollama runs models locally"]
