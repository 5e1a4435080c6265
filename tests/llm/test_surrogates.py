"""Text that UTF-8 cannot hold (lone surrogates: a non-UTF-8 file name, undecodable tool output) never
fails a turn: it is sent as JSON escapes, stored losslessly, and the next turn works."""

from __future__ import annotations

import json
from pathlib import Path

from agentcore import Agent, tool
from tests.fakes import FakeOpenAI
from tests.llm._family import openai_family_config

ODD = "report-\udcff.txt"  # what os.listdir gives for a file name with the byte 0xff


@tool
def list_odd() -> str:
    """List the odd folder."""
    return ODD


async def test_a_lone_surrogate_from_a_tool_is_sent_escaped_and_survives_storage(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.reply_tool_calls([("list_odd", {})])
    fake_openai.reply_text("one file")
    fake_openai.reply_text("still fine")
    config = openai_family_config(fake_openai.url, tmp_path)
    async with Agent(config, tools=[list_odd]) as agent:
        assert (await agent.run("what is there?", session="odd")).text == "one file"
    async with Agent(config, tools=[list_odd]) as agent:  # reloaded from the database
        assert (await agent.run("and now?", session="odd")).text == "still fine"
        history = await agent.session("odd").request_messages([])
    sent = json.loads(fake_openai.requests[1].body)
    assert any(m.get("content") == ODD for m in sent["messages"] if m["role"] == "tool")
    assert any(m.text == ODD for m in history if m.role == "tool")
