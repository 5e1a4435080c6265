"""Tool calling through the prompt, against a fake server that behaves like llama.cpp without --jinja:
HTTP 500 "tools param requires --jinja flag" for any request with ``tools``, and answers in the
Hermes/Qwen ``<tool_call>`` format when the tools are described in the system prompt.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from agentcore import Agent, tool
from agentcore.config.schema import AgentConfig
from agentcore.errors import ProviderError
from agentcore.llm.events import (
    FinalAnswer,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallStarted,
    ToolResult,
)
from agentcore.storage.capabilities import learned_capabilities
from agentcore.storage.db import dispose_engines
from tests.fakes import ErrorReply, FakeOpenAI, RecordedRequest, Reply, ToolCallsReply
from tests.helpers import openai_config

WEATHER: list[str] = []


@tool
def get_weather(city: str) -> str:
    """The weather in a city.

    Args:
        city: the city
    """
    WEATHER.append(city)
    return f"sunny in {city}"


@pytest.fixture(autouse=True)
def _reset() -> None:
    WEATHER.clear()


def call(name: str, **arguments: Any) -> str:
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": arguments}) + "\n</tool_call>"


class LlamaWithoutJinja:
    """Replies like llama-server without --jinja: ``tools`` refused, prompt-described tools answered
    with the next scripted text."""

    def __init__(self, fake: FakeOpenAI, script: Sequence[str]) -> None:
        self.script = list(script)
        self.refused = 0
        fake.set_default(self.reply)

    def reply(self, rec: RecordedRequest) -> Reply | str:
        body = rec.body_dict
        if body.get("tools"):
            self.refused += 1
            return ErrorReply(500, message="tools param requires --jinja flag", code="500")
        system = body["messages"][0]
        assert system["role"] == "system" and "<tools>" in system["content"], "tools not described"
        return self.script.pop(0)


def config(fake: FakeOpenAI, tmp_path: Path, **llm: Any) -> AgentConfig:
    cfg = openai_config(fake.url, tmp_path, maxRetries=0, **llm)
    db = f"sqlite:///{tmp_path / 'agentcore.db'}"
    return cfg.model_copy(update={"storage": cfg.storage.model_copy(update={"url": db})})


def sent_messages(rec: RecordedRequest) -> list[dict[str, Any]]:
    return rec.body_dict["messages"]


async def run(agent: Agent, text: str, stream: bool) -> tuple[str, list[StreamEvent]]:
    if not stream:
        result = await agent.run(text)
        return result.text, []
    events = [e async for e in agent.stream(text)]
    final = events[-1]
    assert isinstance(final, FinalAnswer)
    return final.text, events


@pytest.mark.parametrize("stream", [False, True])
async def test_prompt_mode_runs_the_whole_tool_loop(
    fake_openai: FakeOpenAI, tmp_path: Path, stream: bool
) -> None:
    fake_openai.chunk_chars = 5  # markup split across many deltas
    server = LlamaWithoutJinja(
        fake_openai, ["Let me check.\n" + call("get_weather", city="Paris"), "It is sunny in Paris."]
    )
    async with Agent(config(fake_openai, tmp_path, toolCalling="prompt"), tools=[get_weather]) as agent:
        answer, events = await run(agent, "weather in Paris?", stream)
        history = list(agent.context.messages)
    assert answer == "It is sunny in Paris."
    assert WEATHER == ["Paris"] and server.refused == 0
    first, second = fake_openai.requests
    assert "tools" not in first.body_dict and "get_weather" in sent_messages(first)[0]["content"]
    # The call goes back as markup in the assistant's text, its result as a user turn.
    assistant, result = sent_messages(second)[-2:]
    assert assistant["role"] == "assistant" and "tool_calls" not in assistant
    assert '"name": "get_weather"' in assistant["content"] and "<tool_call>" in assistant["content"]
    assert result == {"role": "user", "content": "<tool_response>\nsunny in Paris\n</tool_response>"}
    assert all(m["role"] != "tool" for m in sent_messages(second))
    # Stored history is the normal model: a ToolCall and a tool message.
    (calling,) = [m for m in history if m.tool_calls]
    assert calling.text == "Let me check." and calling.tool_calls[0].name == "get_weather"
    assert json.loads(calling.tool_calls[0].arguments) == {"city": "Paris"}
    assert [m.role for m in history if m.role == "tool"] == ["tool"]
    if stream:
        text = "".join(e.text for e in events if isinstance(e, TextDelta))
        assert "<" not in text and text.startswith("Let me check.") and text.endswith("It is sunny in Paris.")
        (started,) = [e for e in events if isinstance(e, ToolCallStarted)]
        deltas = [e for e in events if isinstance(e, ToolCallDelta)]
        assert started.name == "get_weather" and all(d.id == started.id for d in deltas)
        assert json.loads("".join(d.arguments_delta for d in deltas)) == {"city": "Paris"}
        assert events.index(started) < next(i for i, e in enumerate(events) if isinstance(e, ToolResult))


@pytest.mark.parametrize("stream", [False, True])
async def test_parallel_calls_and_results_in_one_user_turn(
    fake_openai: FakeOpenAI, tmp_path: Path, stream: bool
) -> None:
    both = call("get_weather", city="Paris") + "\n" + call("get_weather", city="Oslo")
    LlamaWithoutJinja(fake_openai, [both, "Paris and Oslo are sunny."])
    async with Agent(config(fake_openai, tmp_path, toolCalling="prompt"), tools=[get_weather]) as agent:
        answer, events = await run(agent, "weather?", stream)
    assert answer == "Paris and Oslo are sunny." and sorted(WEATHER) == ["Oslo", "Paris"]
    last = sent_messages(fake_openai.requests[1])[-1]
    assert last["role"] == "user" and last["content"].count("<tool_response>") == 2
    assert last["content"].index("Paris") < last["content"].index("Oslo")  # results in call order
    if stream:
        started = [e for e in events if isinstance(e, ToolCallStarted)]
        assert [e.index for e in started] == [0, 1] and started[0].id != started[1].id


@pytest.mark.parametrize("stream", [False, True])
async def test_a_malformed_block_is_sent_back_and_repaired(
    fake_openai: FakeOpenAI, tmp_path: Path, stream: bool
) -> None:
    broken = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"\n</tool_call>'
    LlamaWithoutJinja(fake_openai, [broken, call("get_weather", city="Paris"), "Sunny."])
    async with Agent(config(fake_openai, tmp_path, toolCalling="prompt"), tools=[get_weather]) as agent:
        answer, events = await run(agent, "weather?", stream)
    assert answer == "Sunny." and WEATHER == ["Paris"]  # the broken call never ran
    feedback = sent_messages(fake_openai.requests[1])[-1]
    assert feedback["role"] == "user" and "<tool_response>" in feedback["content"]
    assert "not valid JSON" in feedback["content"]
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert "tool_call" not in text and "{" not in text


async def test_a_block_cut_off_at_the_end_is_an_error_result(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    LlamaWithoutJinja(fake_openai, ['Checking <tool_call>{"name": "get_weather", "argu', "Sorry."])
    async with Agent(config(fake_openai, tmp_path, toolCalling="prompt"), tools=[get_weather]) as agent:
        events = [e async for e in agent.stream("weather?")]
    (result,) = [e for e in events if isinstance(e, ToolResult)]
    assert result.message.is_error and "cut off" in result.message.text and WEATHER == []
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Checking Sorry."


async def test_an_invented_tool_response_is_dropped(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    made_up = call("get_weather", city="Rome") + "\n<tool_response>\nrainy\n</tool_response>\nIt rains."
    LlamaWithoutJinja(fake_openai, [made_up, "Sunny in Rome."])
    async with Agent(config(fake_openai, tmp_path, toolCalling="prompt"), tools=[get_weather]) as agent:
        events = [e async for e in agent.stream("weather?")]
    assert WEATHER == ["Rome"]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Sunny in Rome."


async def test_auto_switches_once_and_the_next_agent_starts_in_prompt_mode(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    server = LlamaWithoutJinja(fake_openai, [call("get_weather", city="Paris"), "Sunny.", "Still sunny."])
    cfg = config(fake_openai, tmp_path)  # toolCalling: auto is the default
    assert cfg.llm.tool_calling == "auto"
    with capture_logs() as logs:
        async with Agent(cfg, tools=[get_weather]) as agent:
            first = await agent.run("weather?")
            assert agent.service.get_config()["toolCallingActive"] == "prompt"
    assert first.text == "Sunny." and WEATHER == ["Paris"]
    assert server.refused == 1 and len(fake_openai.requests) == 3  # refused once, same turn retried at once
    warnings = [e for e in logs if e["event"] == "llm.prompt_tool_calling"]
    assert len(warnings) == 1 and "--jinja" in warnings[0]["reason"]
    (learned,) = await learned_capabilities(f"sqlite+aiosqlite:///{tmp_path / 'agentcore.db'}")
    assert (learned.provider, learned.model, learned.native_tools) == ("openai", "gpt-4o-mini", False)
    await dispose_engines()
    # A new agent (as in a new process) starts in prompt mode: no request with tools at all.
    async with Agent(config(fake_openai, tmp_path), tools=[get_weather]) as agent:
        second = await agent.run("and now?")
    assert second.text == "Still sunny." and server.refused == 1 and len(fake_openai.requests) == 4


async def test_auto_leaves_other_errors_alone_and_native_never_switches(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.reply_error(500, message="out of memory")
    async with Agent(config(fake_openai, tmp_path), tools=[get_weather]) as agent:
        with pytest.raises(ProviderError, match="out of memory"):
            await agent.run("weather?")
    LlamaWithoutJinja(fake_openai, ["never used"])
    async with Agent(config(fake_openai, tmp_path, toolCalling="native"), tools=[get_weather]) as agent:
        with pytest.raises(ProviderError, match="jinja"):
            await agent.run("weather?")
    assert await learned_capabilities(f"sqlite+aiosqlite:///{tmp_path / 'agentcore.db'}") == []


async def test_user_listed_error_texts_switch_too(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    def reply(rec: RecordedRequest) -> Reply | str:
        if rec.body_dict.get("tools"):
            return ErrorReply(400, message="this backend cannot do functions")
        return "plain answer"

    fake_openai.set_default(reply)
    cfg = config(fake_openai, tmp_path, toolCallingErrors=["cannot do functions"])
    async with Agent(cfg, tools=[get_weather]) as agent:
        assert (await agent.run("hi")).text == "plain answer"


async def test_a_session_moves_from_native_to_prompt_mode(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.push(ToolCallsReply([("get_weather", {"city": "Oslo"})]))
    fake_openai.reply_text("Sunny in Oslo.")
    async with Agent(config(fake_openai, tmp_path, toolCalling="native"), tools=[get_weather]) as agent:
        await agent.run("weather?", session="trip")
    LlamaWithoutJinja(fake_openai, ["Yes, Oslo."])
    async with Agent(config(fake_openai, tmp_path, toolCalling="prompt"), tools=[get_weather]) as agent:
        assert (await agent.run("sure?", session="trip")).text == "Yes, Oslo."
    roles = [(m["role"], m["content"] or "") for m in sent_messages(fake_openai.last_request)]
    assert ("user", "<tool_response>\nsunny in Oslo\n</tool_response>") in roles
    assert any(r == "assistant" and '"city": "Oslo"' in c for r, c in roles)


@pytest.mark.parametrize("stream", [False, True])
async def test_auto_reads_calls_written_as_text_by_a_template_that_ignores_tools(
    fake_openai: FakeOpenAI, tmp_path: Path, stream: bool
) -> None:
    fake_openai.reply_text("Checking. " + call("get_weather", city="Lima"))  # tools accepted, then ignored
    fake_openai.reply_text("Sunny in Lima.")
    async with Agent(config(fake_openai, tmp_path), tools=[get_weather]) as agent:
        answer, events = await run(agent, "weather?", stream)
    assert answer == "Sunny in Lima." and WEATHER == ["Lima"]
    assert all("tools" in r.body_dict for r in fake_openai.requests)  # still native: nothing refused
    if stream:
        assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Checking. Sunny in Lima."


async def test_concurrent_first_runs_switch_together_and_warn_once(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    import asyncio

    def model(rec: RecordedRequest) -> Reply | str:
        if rec.body_dict.get("tools"):
            return ErrorReply(500, message="tools param requires --jinja flag")
        last = rec.body_dict["messages"][-1]["content"]
        return "Sunny." if "<tool_response>" in last else call("get_weather", city=last)

    fake_openai.set_default(model)
    with capture_logs() as logs:
        async with Agent(config(fake_openai, tmp_path), tools=[get_weather]) as agent:
            results = await asyncio.gather(
                *(agent.run(city, session=city) for city in ("Rome", "Oslo", "Bern"))
            )
    assert [r.text for r in results] == ["Sunny."] * 3 and sorted(WEATHER) == ["Bern", "Oslo", "Rome"]
    assert len([e for e in logs if e["event"] == "llm.prompt_tool_calling"]) == 1
    refused = [r for r in fake_openai.requests if r.body_dict.get("tools")]
    assert 1 <= len(refused) <= 3  # at most the runs that were already in flight
    assert len(fake_openai.requests) == len(refused) + 6


async def test_a_profile_target_sets_its_own_tool_calling(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    from agentcore.config.loader import load_config_from_dict

    target = {"provider": "openai", "model": "qwen", "apiKey": "sk-test-0123456789abcdef",
              "baseURL": fake_openai.url + "/v1", "toolCalling": "prompt"}  # fmt: skip
    data: dict[str, Any] = {
        "llm": {**target, "toolCalling": "native", "maxRetries": 0},
        "models": {"local": target},
        "profiles": {"local": {"targets": ["local"]}},
        "localTools": [],
        "storage": {"url": f"sqlite:///{tmp_path / 'agentcore.db'}"},
    }
    server = LlamaWithoutJinja(fake_openai, [call("get_weather", city="Kyiv"), "Sunny."])
    async with Agent(load_config_from_dict(data, base_dir=tmp_path), tools=[get_weather]) as agent:
        assert (await agent.run("weather?", profile="local")).text == "Sunny."
    assert server.refused == 0 and WEATHER == ["Kyiv"]
