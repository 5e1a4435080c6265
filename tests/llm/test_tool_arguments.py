"""Malformed tool-call arguments (a small model's slip, a call cut by maxTokens) never poison a session.

The fake here behaves like llama.cpp's server: it answers HTTP 500 to any request whose history holds
tool-call arguments that are not valid JSON, so a session that stored them verbatim would fail forever.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentcore import Agent, tool
from agentcore.context.repair import checked_call, repair
from agentcore.llm.events import ToolResult
from agentcore.messages import InternalMessage, ToolCall
from tests.fakes import ErrorReply, FakeAnthropic, FakeOpenAI, RecordedRequest, Reply, ToolCallsReply
from tests.llm._family import anthropic_config, openai_family_config

RUNS: list[dict[str, Any]] = []


@tool
def write_note(path: str, text: str) -> str:
    """Write a note.

    Args:
        path: where
        text: what
    """
    RUNS.append({"path": path, "text": text})
    return f"wrote {path}"


@pytest.fixture(autouse=True)
def _no_runs() -> None:
    RUNS.clear()


def strict(reply: Reply | str) -> Any:
    """A reply function that first rejects histories with invalid tool-call JSON, as llama.cpp does."""

    def fn(rec: RecordedRequest) -> Reply | str:
        for msg in rec.body_dict.get("messages", []):
            for call in msg.get("tool_calls") or ():
                try:
                    json.loads(call["function"]["arguments"])
                except ValueError:
                    return ErrorReply(500, message="Failed to parse tool call arguments as JSON")
        return reply

    return fn


def sqlite_config(fake: FakeOpenAI, tmp_path: Path, **llm: Any) -> Any:
    config = openai_family_config(fake.url, tmp_path, maxRetries=0, **llm)
    return config.model_copy(
        update={"storage": config.storage.model_copy(update={"url": f"sqlite:///{tmp_path / 'mem.db'}"})}
    )


@pytest.mark.parametrize(
    ("raw", "arguments", "error"),
    [
        ('{"path": "a"}', '{"path": "a"}', None),
        ("", "{}", None),
        ("null", "{}", None),
        ('{"path": "a", "text": "b"}}', '{"path": "a", "text": "b"}', "not valid JSON"),
        ('{"path": "a"} trailing words', '{"path": "a"}', "not valid JSON"),
        ('{"path": "a", "text": "b"', '{"path": "a", "text": "b"}', "not valid JSON"),
        ('{"path": "a", "text": "unfinished', "{}", "not valid JSON"),
        ('{"path": "a"}{"path": "b"}', "{}", "not valid JSON"),
        ('{"path": "a",', "{}", "not valid JSON"),
        ("{'path': 'a'}", "{}", "not valid JSON"),
        ('["a"]', "{}", "must be a JSON object"),
    ],
)
def test_arguments_are_checked_and_repaired_only_when_unambiguous(
    raw: str, arguments: str, error: str | None
) -> None:
    call = checked_call("c1", "write_note", raw)
    assert json.loads(call.arguments) == json.loads(arguments)
    if error is None:
        assert call.arguments_error is None
    else:
        assert call.arguments_error is not None and error in call.arguments_error
        assert call.raw_arguments == raw and "was not run" in call.arguments_error


def test_a_call_cut_by_the_token_limit_says_so_and_is_never_guessed() -> None:
    call = checked_call("c1", "write_note", '{"path": "a", "text": "b"', "length")
    assert call.arguments == "{}" and call.raw_arguments == '{"path": "a", "text": "b"'
    assert call.arguments_error is not None
    assert "output token limit" in call.arguments_error and "llm.maxTokens" in call.arguments_error
    # complete arguments are complete, whatever the finish reason
    assert checked_call("c2", "write_note", '{"path": "a"}', "length").arguments_error is None


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("raw", "finish", "expected"),
    [
        ('{"path": "n.txt", "text": "hi"', "tool_calls", "not valid JSON"),
        ('{"path": "n.t', "length", "maxTokens"),
    ],
    ids=["invalid", "cut-by-length"],
)
async def test_a_malformed_call_is_not_run_and_the_session_stays_usable(
    fake_openai: FakeOpenAI, tmp_path: Path, stream: bool, raw: str, finish: str, expected: str
) -> None:
    fake_openai.push(
        strict(ToolCallsReply([("write_note", raw)], finish_reason=finish)),
        strict("I will try again later."),
        strict("Second turn answered."),
    )
    config = sqlite_config(fake_openai, tmp_path)
    async with Agent(config, tools=[write_note]) as agent:
        events = [e async for e in agent.stream("write a note", session="s")] if stream else []
        if not stream:
            first = await agent.run("write a note", session="s")
            assert first.text == "I will try again later."
        (result,) = [e for e in events if isinstance(e, ToolResult)] if stream else [None]
        if result is not None:
            assert result.message.is_error and expected in result.message.text
    assert RUNS == []  # never executed with cut or broken arguments
    # A new agent on the same database: the stored session loads and its next turn succeeds.
    async with Agent(config, tools=[write_note]) as agent:
        second = await agent.run("and now?", session="s")
    assert second.text == "Second turn answered."
    assert all(r.route == "chat" for r in fake_openai.requests)
    sent = fake_openai.requests[-1].json["messages"]
    (call,) = [c for m in sent for c in m.get("tool_calls") or ()]
    json.loads(call["function"]["arguments"])  # valid JSON went back
    (tool_msg,) = [m for m in sent if m["role"] == "tool"]
    assert expected in tool_msg["content"]
    assert len(fake_openai.requests) == 3  # no request was rejected and retried


async def test_anthropic_stream_cut_by_max_tokens_inside_a_call(
    fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    fake_anthropic.reply_tool_calls([("write_note", '{"path": "a.txt", "te')], finish_reason="max_tokens")
    fake_anthropic.reply_text("ok, smaller next time")
    async with Agent(anthropic_config(fake_anthropic.url, tmp_path), tools=[write_note]) as agent:
        events = [e async for e in agent.stream("write")]
    assert RUNS == []
    (result,) = [e for e in events if isinstance(e, ToolResult)]
    assert "output token limit" in result.message.text
    sent = fake_anthropic.requests[1].json["messages"]
    (use,) = [
        b for m in sent if isinstance(m["content"], list) for b in m["content"] if b["type"] == "tool_use"
    ]
    assert use["input"] == {}


async def test_repair_on_load_fixes_histories_stored_with_invalid_json(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    config = sqlite_config(fake_openai, tmp_path)
    bad = ToolCall("call_9", "write_note", '{"path": "x", "text": "y"')
    async with Agent(config, tools=[write_note]) as agent:
        context = agent.session("old")
        await context.add(InternalMessage.user("write"))
        await context.add(InternalMessage.assistant(None, (bad,)))
        await context.add(InternalMessage.tool_result(bad, "error: bad JSON", is_error=True))
        await context.add(InternalMessage.assistant("sorry"))
    fake_openai.push(strict("fine now"))
    async with Agent(config, tools=[write_note]) as agent:
        result = await agent.run("again", session="old")
    assert result.text == "fine now"
    (call,) = [c for m in fake_openai.requests[0].json["messages"] for c in m.get("tool_calls") or ()]
    assert json.loads(call["function"]["arguments"]) == {"path": "x", "text": "y"}


def test_repair_keeps_valid_messages_untouched() -> None:
    good = InternalMessage.assistant(None, (ToolCall("c", "write_note", '{"path": "a"}'),))
    result = InternalMessage.tool_result(good.tool_calls[0], "done")
    history = [InternalMessage.user("hi"), good, result]
    repaired = repair(history)
    assert repaired == history and repaired[1] is good
