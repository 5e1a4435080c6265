"""The real anthropic SDK against the gateway's /v1/messages, in both modes."""

from __future__ import annotations

import base64
import json

import anthropic
import pytest

from tests.fakes import FakeAnthropic, FakeOpenAI
from tests.serve.conftest import ADMIN, Server

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()
TOOL = {
    "name": "get_weather",
    "description": "weather",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def client(server: Server, key: str = ADMIN) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=server.url, api_key=key, max_retries=0)


async def test_messages_pass_through_to_an_anthropic_upstream(
    anthropic_gateway: Server, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.reply_text("Hello from Claude", usage=(9, 4))
    async with client(anthropic_gateway) as c:
        reply = await c.messages.create(
            model="anthropic/claude-haiku-4-5",
            max_tokens=100,
            system="be brief",
            messages=[{"role": "user", "content": "hi"}],
        )
    assert reply.content[0].type == "text" and reply.content[0].text == "Hello from Claude"
    assert reply.stop_reason == "end_turn"
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (9, 4)
    sent = fake_anthropic.last_request.body_dict
    assert sent["model"] == "claude-haiku-4-5" and sent["max_tokens"] == 100
    assert "be brief" in json.dumps(sent["system"])


async def test_messages_streaming_tool_use_round_trip(gateway: Server, fake_openai: FakeOpenAI) -> None:
    """An Anthropic client in front of an OpenAI upstream: the shapes are translated both ways."""
    fake_openai.reply_tool_calls([("get_weather", {"city": "Paris"})])
    fake_openai.reply_text("Sunny.")
    async with client(gateway) as c:
        async with c.messages.stream(
            model="openai/gpt-4o-mini",
            max_tokens=200,
            tools=[TOOL],  # type: ignore[list-item]
            messages=[{"role": "user", "content": "weather in Paris?"}],
        ) as stream:
            first = await stream.get_final_message()
        assert first.stop_reason == "tool_use"
        use = next(b for b in first.content if b.type == "tool_use")
        assert use.name == "get_weather" and use.input == {"city": "Paris"}
        final = await c.messages.create(
            model="openai/gpt-4o-mini",
            max_tokens=200,
            tools=[TOOL],  # type: ignore[list-item]
            messages=[
                {"role": "user", "content": "weather in Paris?"},
                {"role": "assistant", "content": [b.model_dump() for b in first.content]},  # type: ignore[misc]
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "sunny"}],
                },
            ],
        )
    assert final.content[0].text == "Sunny."  # type: ignore[union-attr]
    sent = fake_openai.last_request.body_dict["messages"]
    assert sent[1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert sent[2] == {"role": "tool", "tool_call_id": use.id, "content": "sunny"}


async def test_messages_image_and_agent_mode(gateway: Server, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_text("a picture")
    fake_openai.reply_text("streamed by the agent")
    async with client(gateway) as c:
        reply = await c.messages.create(
            model="agent",
            max_tokens=50,
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "describe"},
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                        },
                    ],
                }
            ],
        )
        assert reply.content[0].text == "a picture"  # type: ignore[union-attr]
        parts = fake_openai.last_request.body_dict["messages"][-1]["content"]
        assert parts[1]["image_url"]["url"] == f"data:image/png;base64,{PNG}"
        async with c.messages.stream(
            model="agent", max_tokens=50, messages=[{"role": "user", "content": "go"}]
        ) as stream:
            text = "".join([t async for t in stream.text_stream])
    assert text == "streamed by the agent"


async def test_messages_errors_are_anthropic_shaped(gateway: Server) -> None:
    async with client(gateway, key="sk-ac-nope-nope") as c:
        with pytest.raises(anthropic.AuthenticationError):
            await c.messages.create(model="agent", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    async with client(gateway) as c:
        with pytest.raises(anthropic.BadRequestError) as info:
            await c.messages.create(model="agent", max_tokens=5, messages=[{"role": "robot", "content": "x"}])  # type: ignore[typeddict-item]
    assert "messages[0].role" in str(info.value)
