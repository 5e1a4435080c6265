"""The Anthropic provider over real HTTP with the real SDK: request shape, tool loops, usage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentcore import Agent
from agentcore.config.loader import load_config_from_dict
from agentcore.errors import ConfigError
from agentcore.llm.events import FinalAnswer, TextDelta, ToolCallStarted, ToolResult
from agentcore.llm.factory import create_llm_service
from agentcore.messages import ImagePart, InternalMessage, TextPart, ToolCall
from tests.fakes import FakeAnthropic, Usage
from tests.llm._family import ANTHROPIC_KEY, add, anthropic_config, get_weather

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


async def test_request_shape_system_tools_max_tokens_headers(
    fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    config = anthropic_config(fake_anthropic.url, tmp_path, headers={"X-Team": "core"})
    config.system_prompt = "Be brief."
    async with Agent(config, tools=[get_weather]) as agent:
        result = await agent.run("hi")
    assert result.text == "ok"
    req = fake_anthropic.requests[0]
    assert req.path == "/v1/messages"
    assert req.headers["authorization"] == f"Bearer {ANTHROPIC_KEY}"
    assert req.headers["anthropic-version"]
    assert req.headers["x-team"] == "core"
    body = req.json
    assert body["model"] == "claude-sonnet-4-5"
    assert body["system"] == "Be brief."  # top level, not a message
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert body["max_tokens"] == 8192  # always sent; the default for current models
    assert "stream" not in body
    (spec,) = body["tools"]
    assert set(spec) == {"name", "description", "input_schema"}
    assert spec["name"] == "get_weather" and spec["description"].startswith("The weather in a city")
    assert spec["input_schema"]["properties"]["city"]["type"] == "string"


@pytest.mark.parametrize(
    ("model", "configured", "expected"),
    [("claude-3-haiku-20240307", None, 4096), ("claude-opus-4-1", None, 8192), ("claude-x", 1234, 1234)],
)
async def test_max_tokens_from_config_or_model_default(
    fake_anthropic: FakeAnthropic, tmp_path: Path, model: str, configured: int | None, expected: int
) -> None:
    llm: dict[str, Any] = {"model": model, "temperature": 0.2}
    if configured:
        llm["maxTokens"] = configured
    async with Agent(anthropic_config(fake_anthropic.url, tmp_path, **llm)) as agent:
        await agent.run("hi")
    assert fake_anthropic.requests[0].json["max_tokens"] == expected
    assert fake_anthropic.requests[0].json["temperature"] == 0.2


async def test_parallel_tool_results_go_back_in_one_user_message(
    fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    fake_anthropic.reply_tool_calls(
        [("get_weather", {"city": "Paris"}), ("add", {"a": 2, "b": 3}), ("nope", {})], text="Checking."
    )
    fake_anthropic.reply_text("Sunny, and 5.")
    async with Agent(anthropic_config(fake_anthropic.url, tmp_path), tools=[get_weather, add]) as agent:
        result = await agent.run("weather and sum?")
    assert result.text == "Sunny, and 5."
    messages = fake_anthropic.requests[1].json["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assistant = messages[1]["content"]
    assert assistant[0] == {"type": "text", "text": "Checking."}
    uses = [b for b in assistant if b["type"] == "tool_use"]
    assert [(u["name"], u["input"]) for u in uses] == [
        ("get_weather", {"city": "Paris"}),
        ("add", {"a": 2, "b": 3}),
        ("nope", {}),
    ]
    results = messages[2]["content"]
    assert [r["type"] for r in results] == ["tool_result"] * 3
    assert [r["tool_use_id"] for r in results] == [u["id"] for u in uses]
    assert results[0]["content"] == "sunny in Paris" and "is_error" not in results[0]
    assert results[1]["content"] == "5"
    assert results[2]["is_error"] is True and "nope" in results[2]["content"]


async def test_consecutive_same_role_messages_are_merged(
    fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    fake_anthropic.reply_tool_calls([("add", {"a": 1, "b": 1})])
    fake_anthropic.reply_text("2")
    async with Agent(anthropic_config(fake_anthropic.url, tmp_path), tools=[add]) as agent:
        # A previous turn that failed leaves a user message without an answer.
        await agent.context.add(InternalMessage.user("first question"))
        await agent.run("second question")
    first = fake_anthropic.requests[0].json["messages"]
    assert first == [
        {"role": "user", "content": [{"type": "text", "text": "first question"},
                                     {"type": "text", "text": "second question"}]},
    ]  # fmt: skip
    roles = [m["role"] for m in fake_anthropic.requests[1].json["messages"]]
    assert roles == ["user", "assistant", "user"]


def test_formatter_groups_results_with_a_following_user_message_and_renders_images() -> None:
    from agentcore.llm.formatters.anthropic import render_messages

    call = ToolCall("toolu_1", "shot", "{}")
    history = [
        InternalMessage.system("extra rules"),
        InternalMessage.user("look", (ImagePart(data=PNG, media_type="image/png"),)),
        InternalMessage.assistant(None, (call,)),
        InternalMessage.tool_result(
            call, (TextPart("see image"), ImagePart(url="https://x.test/a.png")), is_error=False
        ),
        InternalMessage.user("and now?"),
        InternalMessage.assistant(""),  # an empty reply is dropped, not sent as an empty message
    ]
    raw, system = render_messages(history)
    messages = json.loads(raw)
    assert system == "extra rules"
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    image = messages[0]["content"][1]
    assert image["type"] == "image" and image["source"]["type"] == "base64"
    assert image["source"]["media_type"] == "image/png"
    result, follow = messages[2]["content"]
    assert result["type"] == "tool_result" and result["tool_use_id"] == "toolu_1"
    assert result["content"][0] == {"type": "text", "text": "see image"}
    assert result["content"][1] == {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}}
    assert follow == {"type": "text", "text": "and now?"}
    # rendered once per message: a second render reuses the cached fragments
    assert all("anthropic.blocks" in m.cache for m in history if m.role != "system")
    assert render_messages(history)[0] == raw


@pytest.mark.parametrize("stream", [False, True])
async def test_tool_loop_end_to_end_with_usage(
    fake_anthropic: FakeAnthropic, tmp_path: Path, stream: bool
) -> None:
    fake_anthropic.reply_tool_calls(
        [("get_weather", {"city": "Oslo"})], usage=Usage(20, 7, cached=15, cache_creation=4)
    )
    fake_anthropic.reply_text("Sunny in Oslo.", usage=(30, 5))
    async with Agent(anthropic_config(fake_anthropic.url, tmp_path), tools=[get_weather]) as agent:
        if stream:
            events = [e async for e in agent.stream("weather in Oslo?")]
            final = events[-1]
            assert isinstance(final, FinalAnswer)
            text, usage, iterations = final.text, final.usage, final.iterations
            assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Sunny in Oslo."
            assert [e.name for e in events if isinstance(e, ToolCallStarted)] == ["get_weather"]
            results = [e for e in events if isinstance(e, ToolResult)]
            assert results[0].message.text == "sunny in Oslo"
        else:
            result = await agent.run("weather in Oslo?")
            text, usage, iterations = result.text, result.usage, result.iterations
            assert result.tool_calls[0].result == "sunny in Oslo"
            assert json.loads(result.tool_calls[0].arguments) == {"city": "Oslo"}
    assert text == "Sunny in Oslo." and iterations == 2
    # prompt tokens include cache reads and writes (as OpenAI's do); cached = cache reads
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens) == (20 + 15 + 4 + 30, 12, 15)
    assert all(bool(r.json.get("stream")) is stream for r in fake_anthropic.requests)
    second = fake_anthropic.requests[1].json["messages"]
    assert second[2]["content"][0]["content"] == "sunny in Oslo"


async def test_generate_and_direct_generate(fake_anthropic: FakeAnthropic, tmp_path: Path) -> None:
    fake_anthropic.reply_text("one")
    fake_anthropic.reply_text("two")
    async with Agent(anthropic_config(fake_anthropic.url, tmp_path)) as agent:
        assert await agent.service.generate("hello") == "one"
        assert await agent.service.direct_generate("summarise", system_prompt="You summarise.") == "two"
        assert len(agent.context.messages) == 2  # direct_generate left the history alone
    direct = fake_anthropic.requests[1].json
    assert direct["system"] == "You summarise." and len(direct["messages"]) == 1
    assert "tools" not in direct


def test_missing_key_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    config = load_config_from_dict(
        {"llm": {"provider": "anthropic", "model": "claude-x"}, "localTools": []}, base_dir=tmp_path
    )
    with pytest.raises(ConfigError) as info:
        create_llm_service(config.llm)
    assert "ANTHROPIC_API_KEY" in str(info.value) and "llm.apiKey" in str(info.value)


def test_key_from_environment_and_client_reused_after_close(
    fake_anthropic: FakeAnthropic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env-12345")
    config = load_config_from_dict(
        {"llm": {"provider": "anthropic", "model": "claude-x", "baseURL": fake_anthropic.url},
         "localTools": [], "storage": {"url": "memory://"}},
        base_dir=tmp_path,
    )  # fmt: skip
    agent = Agent(config)
    assert agent.run_sync("one").text == "ok"
    assert agent.run_sync("two").text == "ok"  # a new client after aclose, on a new loop
    assert fake_anthropic.requests[0].headers["authorization"] == "Bearer sk-ant-from-env-12345"
    assert len(fake_anthropic.requests) == 2
