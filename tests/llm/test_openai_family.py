"""Request shape of every OpenAI-compatible provider: base URL, headers, key variable, model, options."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentcore import Agent
from agentcore.config.loader import load_config_from_dict
from agentcore.errors import ConfigError
from agentcore.llm.factory import create_llm_service, create_provider
from tests.fakes import FakeOpenAI


def make(fake: FakeOpenAI, tmp_path: Path, **llm: object) -> Agent:
    data = {"llm": {"model": "m-1", **llm}, "localTools": [], "storage": {"url": "memory://"}}
    data["llm"].setdefault("baseURL", fake.url + "/v1")  # type: ignore[union-attr]
    return Agent(load_config_from_dict(data, base_dir=tmp_path))


@pytest.mark.parametrize(
    ("provider", "env"),
    [
        ("openai", "OPENAI_API_KEY"),
        ("openrouter", "OPENROUTER_API_KEY"),
        ("qwen", "DASHSCOPE_API_KEY"),
        ("gemini", "GEMINI_API_KEY"),
        ("deepseek", "DEEPSEEK_API_KEY"),
    ],
)
async def test_key_comes_from_the_providers_variable(
    fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider: str, env: str
) -> None:
    monkeypatch.setenv(env, f"key-for-{provider}-123")
    async with make(fake_openai, tmp_path, provider=provider) as agent:
        await agent.run("hi")
    req = fake_openai.requests[0]
    assert req.headers["authorization"] == f"Bearer key-for-{provider}-123"
    assert req.json["model"] == "m-1"
    assert req.path == "/v1/chat/completions"


@pytest.mark.parametrize("provider", ["openai", "openrouter", "qwen", "gemini", "deepseek", "azure"])
def test_missing_key_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider: str
) -> None:
    for name in (
        "OPENAI_API_KEY",
        "OPENROUTER_API_KEY",
        "DASHSCOPE_API_KEY",
        "QWEN_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "DEEPSEEK_API_KEY",
        "AZURE_OPENAI_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    config = load_config_from_dict(
        {"llm": {"provider": provider, "model": "m"}, "localTools": []}, base_dir=tmp_path
    )
    with pytest.raises(ConfigError) as info:
        create_llm_service(config.llm)
    assert "_API_KEY" in str(info.value) and "llm.apiKey" in str(info.value)


async def test_openrouter_sends_its_attribution_headers(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    async with make(fake_openai, tmp_path, provider="openrouter", apiKey="or-key-123456") as agent:
        await agent.run("hi")
    headers = fake_openai.requests[0].headers
    assert headers["x-title"] == "agentcore"
    assert headers["http-referer"].startswith("https://")


@pytest.mark.parametrize("provider", ["ollama", "lmstudio"])
async def test_local_servers_need_no_key(
    fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider: str
) -> None:
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    monkeypatch.delenv("LMSTUDIO_API_KEY", raising=False)
    async with make(fake_openai, tmp_path, provider=provider) as agent:
        assert (await agent.run("hi")).text == "ok"
    assert fake_openai.requests[0].headers["authorization"].startswith("Bearer ")


def test_ollama_default_and_suffix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OLLAMA_BASE_URL", raising=False)
    service = create_provider(load_config_from_dict({"llm": {"provider": "ollama", "model": "llama3"}}).llm)
    assert str(service.client.base_url).rstrip("/") == "http://localhost:11434/v1"  # type: ignore[attr-defined]
    config = load_config_from_dict(
        {"llm": {"provider": "ollama", "model": "llama3", "baseURL": "http://box:11434"}}
    )
    assert str(create_provider(config.llm).client.base_url).rstrip("/") == "http://box:11434/v1"  # type: ignore[attr-defined]
    lm = create_provider(load_config_from_dict({"llm": {"provider": "lmstudio", "model": "x"}}).llm)
    assert str(lm.client.base_url).rstrip("/") == "http://localhost:1234/v1"  # type: ignore[attr-defined]


async def test_qwen_thinking_options_are_sent(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    options = {"enableThinking": True, "thinkingBudget": 512, "temperature": 0.3, "top_p": 0.9}
    async with make(
        fake_openai, tmp_path, provider="qwen", apiKey="dash-123456", qwenOptions=options
    ) as agent:
        await agent.run("hi")
    body = fake_openai.requests[0].json
    assert (body["enable_thinking"], body["thinking_budget"], body["temperature"], body["top_p"]) == (
        True,
        512,
        0.3,
        0.9,
    )


async def test_temperature_and_max_tokens_are_sent(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    async with make(
        fake_openai, tmp_path, provider="openai", apiKey="k-123456", temperature=0.2, maxTokens=99
    ) as agent:
        await agent.run("hi")
    body = fake_openai.requests[0].json
    assert (body["temperature"], body["max_tokens"]) == (0.2, 99)


async def test_azure_uses_deployment_url_api_version_and_api_key_header(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    data = {
        "llm": {
            "provider": "azure",
            "model": "gpt-4o",
            "apiKey": "azure-key-123456",
            "azure": {"endpoint": fake_openai.url, "deployment": "prod-gpt4o", "apiVersion": "2024-10-21"},
        },
        "localTools": [],
    }
    async with Agent(load_config_from_dict(data, base_dir=tmp_path)) as agent:
        assert (await agent.run("hi")).text == "ok"
    req = fake_openai.requests[0]
    assert req.path == "/openai/deployments/prod-gpt4o/chat/completions"
    assert req.query["api-version"] == "2024-10-21"
    assert req.headers["api-key"] == "azure-key-123456"


def test_azure_without_endpoint_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_OPENAI_ENDPOINT", raising=False)
    config = load_config_from_dict({"llm": {"provider": "azure", "model": "gpt-4o", "apiKey": "k-123456"}})
    with pytest.raises(ConfigError, match=r"llm\.azure\.endpoint"):
        create_llm_service(config.llm)


def test_unknown_provider_suggests_the_closest() -> None:
    config = load_config_from_dict({"llm": {"provider": "openai", "model": "m", "apiKey": "k-123456"}})
    bad = config.llm.model_copy(update={"provider": "opnai"})
    with pytest.raises(ConfigError, match="did you mean 'openai'"):
        create_llm_service(bad)
