"""The tool loop end to end: the request shape and streaming over real HTTP (openai SDK, fake
server); the loop's own logic (tools, limits, history) on the shipped doubles, which need no HTTP."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from agentcore import Agent, tool
from agentcore.llm.events import FinalAnswer, TextDelta, ToolCallDelta, ToolCallStarted, ToolResult
from agentcore.llm.request import LLMRequest
from agentcore.messages import InternalMessage
from agentcore.testing import ScriptedModel, call
from tests.fakes import FakeOpenAI
from tests.helpers import openai_config


def tool_messages(request: LLMRequest) -> list[InternalMessage]:
    return [m for m in request.messages if m.role == "tool"]


async def test_text_answer_with_usage_and_request_shape(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_text("Hello there.", usage=(21, 4, 3))
    config = openai_config(fake_openai.url, tmp_path)
    config.system_prompt = "Be brief."
    async with Agent(config) as agent:
        result = await agent.run("hi")
    assert result.text == "Hello there."
    assert result.stop_reason == "final"
    assert result.iterations == 1
    assert (result.usage.prompt_tokens, result.usage.completion_tokens, result.usage.cached_tokens) == (
        21,
        4,
        3,
    )
    req = fake_openai.requests[0]
    assert req.path == "/v1/chat/completions"
    assert req.headers["authorization"] == "Bearer sk-test-0123456789abcdef"
    assert req.json["model"] == "gpt-4o-mini"
    assert req.json["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
    ]
    assert "tools" not in req.json


async def test_parallel_tool_calls_run_concurrently_and_return_in_call_order() -> None:
    first_started = asyncio.Event()
    second_started = asyncio.Event()

    @tool
    async def first(x: int) -> str:
        """First tool."""
        first_started.set()
        await asyncio.wait_for(second_started.wait(), 5)  # only returns if both run at once
        return f"first:{x}"

    @tool
    def second_sync_marker(y: str) -> str:
        """A sync tool runs in a thread."""
        return f"sync:{y}"

    @tool
    async def second(y: str) -> str:
        """Second tool."""
        second_started.set()
        await asyncio.wait_for(first_started.wait(), 5)
        return f"second:{y}"

    model = ScriptedModel(
        [[call("first", x=1), call("second", y="a"), call("second_sync_marker", y="b")], "done"]
    )
    async with Agent(model=model, tools=[first, second, second_sync_marker]) as agent:
        result = await agent.run("go")
    assert result.text == "done"
    assert [c.result for c in result.tool_calls] == ["first:1", "second:a", "sync:b"]
    sent = model.requests[1]
    assistant = next(m for m in sent.messages if m.role == "assistant")
    ids = [c.id for c in assistant.tool_calls]
    assert [m.tool_call_id for m in tool_messages(sent)] == ids
    assert [m.text for m in tool_messages(sent)] == ["first:1", "second:a", "sync:b"]
    assert {t.name for t in sent.tools} == {"first", "second", "second_sync_marker"}


@tool(timeout=0.2)
async def hangs() -> str:
    """Never finishes."""
    await asyncio.Event().wait()
    return "unreachable"


@tool
def explode(n: int) -> int:
    """Raises."""
    raise ValueError(f"bad n {n}")


@tool
def add(a: int, b: int) -> int:
    """Adds."""
    return a + b


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (("nope", {}), "nope"),
        (("add", "{not json"), "JSON"),
        (("add", {"a": "x", "b": 2}), "a"),
        (("explode", {"n": 3}), "ValueError"),
        (("hangs", {}), "timed out"),
    ],
    ids=["unknown-tool", "invalid-json", "schema", "exception", "timeout"],
)
async def test_bad_tool_calls_become_readable_results(
    bad: tuple[str, dict[str, object] | str], expected: str
) -> None:
    model = ScriptedModel([call(*bad), "recovered"])
    async with Agent(model=model, tools=[hangs, explode, add]) as agent:
        result = await agent.run("try it")
    assert result.text == "recovered"
    assert result.tool_calls[0].is_error
    sent = tool_messages(model.requests[1])[0]
    assert sent.is_error and expected in sent.text


async def test_iteration_limit_is_a_typed_outcome() -> None:
    def thinking() -> InternalMessage:
        return InternalMessage.assistant("thinking", (call("add", a=1, b=1),))

    model = ScriptedModel([thinking(), thinking(), thinking(), "fine"], max_iterations=3)
    async with Agent(model=model, tools=[add]) as agent:
        result = await agent.run("loop forever")
        assert result.stop_reason == "max_iterations"
        assert result.iterations == 3
        assert result.text == "thinking"
        assert len(model.requests) == 3
        # The history stays valid: the next run continues after the last tool results.
        again = await agent.run("stop now")
    assert again.text == "fine"
    roles = [m.role for m in model.requests[-1].messages]
    assert roles[-2:] == ["tool", "user"]


async def test_streaming_events_across_the_loop(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_tool_calls([("add", {"a": 2, "b": 3}), ("add", {"a": 1, "b": 1})])
    fake_openai.reply_text("The sums are 5 and 2.")
    events = []
    async with Agent(openai_config(fake_openai.url, tmp_path), tools=[add]) as agent:
        async for event in agent.stream("sum"):
            events.append(event)
    kinds = [type(e).__name__ for e in events]
    assert (
        kinds.index("ToolCallStarted")
        < kinds.index("ToolCallDelta")
        < kinds.index("ToolResult")
        < kinds.index("TextDelta")
    )
    started = [e for e in events if isinstance(e, ToolCallStarted)]
    assert [s.name for s in started] == ["add", "add"]
    args = {
        s.id: "".join(d.arguments_delta for d in events if isinstance(d, ToolCallDelta) and d.id == s.id)
        for s in started
    }
    assert [json.loads(a) for a in args.values()] == [{"a": 2, "b": 3}, {"a": 1, "b": 1}]
    assert [e.message.text for e in events if isinstance(e, ToolResult)] == ["5", "2"]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "The sums are 5 and 2."
    final = events[-1]
    assert isinstance(final, FinalAnswer) and final.text == "The sums are 5 and 2."
    assert fake_openai.requests[0].json["stream_options"] == {"include_usage": True}
    assert final.usage.prompt_tokens > 0


async def test_direct_generate_touches_no_history_and_sends_no_tools() -> None:
    model = ScriptedModel(["summary"])
    agent = Agent(model=model, tools=[add])
    async with agent:
        text = await agent.service.direct_generate("summarise this", system_prompt="You summarise.")
        assert text == "summary"
        assert list(agent.context.messages) == []
    sent = model.requests[0]
    assert list(sent.tools) == [] and sent.purpose == "direct"
    assert sent.system == "You summarise."
    assert [(m.role, m.text) for m in sent.messages] == [("user", "summarise this")]


async def test_generate_interface_keeps_history() -> None:
    model = ScriptedModel(["one", "two"], model_name="tiny-test")
    agent = Agent(model=model)
    async with agent:
        assert await agent.service.generate("first") == "one"
        assert await agent.service.generate("second") == "two"
        assert [t.name for t in await agent.service.get_all_tools()] == []
        assert agent.service.get_config()["model"] == "tiny-test"
    roles = [m.role for m in model.requests[1].messages]
    assert roles == ["user", "assistant", "user"]


def test_run_sync_can_be_called_twice() -> None:
    model = ScriptedModel(["a", "b"])
    agent = Agent(model=model)
    assert agent.run_sync("x").text == "a"
    assert agent.run_sync("y").text == "b"
    assert len(model.requests[1].messages) == 3
