"""agentcore.testing: the doubles drive the real loop, tools, sessions and call log; no HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentcore import Agent, InternalMessage, ModelRequestsForbidden, tool
from agentcore.testing import (
    AgentInfo,
    FunctionModel,
    ScriptedModel,
    TestModel,
    allow_model_requests,
    call,
    capture_run_messages,
)
from tests.fakes import FakeOpenAI
from tests.helpers import openai_config

seen: list[tuple[str, object]] = []


@tool
def lookup(city: str, days: int, metric: bool = True) -> str:
    """Weather for a city."""
    seen.append(("lookup", (city, days, metric)))
    return f"sunny in {city} for {days} days"


def shout(text: str) -> str:
    """Upper-case text (a plain function: the agent wraps it)."""
    seen.append(("shout", text))
    return text.upper()


async def test_test_model_calls_every_tool_once_with_valid_arguments_then_answers() -> None:
    seen.clear()
    agent = Agent(model=TestModel(), tools=[lookup, shout])
    try:
        result = await agent.run("go")
    finally:
        await agent.close()
    assert sorted(name for name, _ in seen) == ["lookup", "shout"]
    assert ("lookup", ("a", 0, True)) in seen
    assert [c.name for c in result.tool_calls] == ["lookup", "shout"]
    assert not any(c.is_error for c in result.tool_calls)
    assert '"lookup": "sunny in a for 0 days"' in result.text and result.stop_reason == "final"


async def test_test_model_usage_is_deterministic() -> None:
    usages = []
    for _ in range(2):
        agent = Agent(model=TestModel(), tools=[lookup])
        try:
            usages.append((await agent.run("the same prompt")).usage)
        finally:
            await agent.close()
    assert usages[0] == usages[1] and usages[0].prompt_tokens > 0 and usages[0].completion_tokens > 0


async def test_function_model_decides_from_the_messages() -> None:
    infos: list[AgentInfo] = []

    def brain(messages: list[InternalMessage], info: AgentInfo) -> object:
        infos.append(info)
        last = messages[-1]
        if last.role == "user":
            return call("shout", text=last.text)
        return f"the tool said {last.text}"

    agent = Agent(model=FunctionModel(brain), tools=[shout])
    try:
        result = await agent.run("hello")
    finally:
        await agent.close()
    assert result.text == "the tool said HELLO"
    assert [t.name for t in infos[0].tools] == ["shout"]


async def test_scripted_model_plays_turns_and_reports_running_out() -> None:
    model = ScriptedModel([call("shout", text="x"), "done"])
    agent = Agent(model=model, tools=[shout])
    try:
        assert (await agent.run("a")).text == "done"
        with pytest.raises(AssertionError, match="only 2 turn"):
            await agent.run("b")
    finally:
        await agent.close()
    assert len(model.requests) == 3


async def test_override_swaps_the_model_inside_the_block_only(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.reply_text("from the server")
    agent = Agent(openai_config(fake_openai.url, tmp_path))
    try:
        with agent.override(model=TestModel(custom_output_text="from the double")):
            assert (await agent.run("x")).text == "from the double"
        assert fake_openai.requests == []
        assert (await agent.run("x")).text == "from the server"
    finally:
        await agent.close()


async def test_capture_run_messages_sees_the_whole_run() -> None:
    agent = Agent(model=TestModel(), tools=[shout])
    try:
        with capture_run_messages() as messages:
            await agent.run("hi")
    finally:
        await agent.close()
    assert [m.role for m in messages] == ["user", "assistant", "tool", "assistant"]


async def test_forbidding_model_requests_stops_real_calls_not_doubles(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    agent = Agent(openai_config(fake_openai.url, tmp_path, maxRetries=0))
    try:
        with allow_model_requests(False):
            with pytest.raises(ModelRequestsForbidden, match="gpt-4o-mini"):
                await agent.run("x")
            with agent.override(model=TestModel()):
                assert (await agent.run("x")).stop_reason == "final"
    finally:
        await agent.close()
    assert fake_openai.requests == []


async def test_doubles_take_images_and_audio_unless_told_not_to() -> None:
    from agentcore.errors import CapabilityError

    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 13
    mp3 = b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb" + bytes(range(256))
    model = ScriptedModel(["a picture and a sound"])
    async with Agent(model=model) as agent:
        assert (await agent.run("what is this?", image=png, audio=mp3)).text == "a picture and a sound"
    sent = model.requests[0].messages[-1]
    assert (sent.images[0].data, sent.audio[0].data) == (png, mp3)
    async with Agent(model=ScriptedModel([], images=False)) as agent:
        with pytest.raises(CapabilityError, match="does not accept images"):
            await agent.run("what is this?", image=png)
    async with Agent(model=FunctionModel(lambda m, i: "?", audio=False)) as agent:
        with pytest.raises(CapabilityError, match="no audio"):
            await agent.run("what is this?", audio=mp3)
