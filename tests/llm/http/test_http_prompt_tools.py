"""An HTTP API described without a ``toolCalls`` mapping runs the tool loop in prompt-based mode:
the tools are described in the system prompt and the calls are parsed out of the answer's text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentcore import Agent
from agentcore.config.loader import load_config_from_dict
from agentcore.llm.events import TextDelta, ToolCallStarted, ToolResult
from tests.llm.http._fakes import FakeTokenApi
from tests.llm.http.conftest import agent_data, token_llm

CALL = '<tool_call>\n{"name": "calculate", "arguments": {"expression": "6*7"}}\n</tool_call>'


@pytest.mark.parametrize("stream", [False, True])
async def test_tool_loop_without_a_tool_mapping_uses_the_prompt(
    token_api: FakeTokenApi, tmp_path: Path, stream: bool
) -> None:
    token_api.push("Let me compute. " + CALL, "The answer is 42")
    llm = token_llm(token_api.url)
    assert "toolCalls" not in llm["http"]["response"] and "toolCalls" not in llm["http"]["stream"]
    config = load_config_from_dict(agent_data(llm, tmp_path, tools=True), base_dir=tmp_path)
    async with Agent(config) as agent:
        if stream:
            events: list[Any] = [e async for e in agent.stream("what is 6*7?")]
            text = "".join(e.text for e in events if isinstance(e, TextDelta))
            started = [e for e in events if isinstance(e, ToolCallStarted)]
            results = [e for e in events if isinstance(e, ToolResult)]
            assert [e.name for e in started] == ["calculate"]
            assert [r.message.text for r in results] == ["42"]
            assert "<tool_call>" not in text  # the markup is parsed, never shown as text
            assert text.endswith("The answer is 42")
        else:
            result = await agent.run("what is 6*7?")
            assert result.text == "The answer is 42"
            assert [(c.name, c.result) for c in result.tool_calls] == [("calculate", "42")]
            assert result.usage.prompt_tokens == 22  # both requests' usage (11 each) counted
    first, second = (r.json() for r in token_api.chat_requests())
    # No native tools are sent; the system prompt describes them and the call format.
    assert "tools" not in first
    assert "<tools>" in first["system"] and '"name": "calculate"' in first["system"]
    assert first["system"].startswith("You are terse.")
    # The call comes back in the history as markup, its result as a <tool_response> user turn.
    assistant, answer = second["messages"][-2], second["messages"][-1]
    assert assistant["role"] == "assistant" and "<tool_call>" in assistant["content"]
    assert json.loads(assistant["content"].split("<tool_call>")[1].split("</tool_call>")[0]) == {
        "name": "calculate",
        "arguments": {"expression": "6*7"},
    }
    assert answer["role"] == "user" and "<tool_response>" in answer["content"]
    assert "42" in answer["content"]
    assert all(m["role"] != "tool" for m in second["messages"])
