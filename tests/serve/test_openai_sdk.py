"""The real openai SDK against the gateway: pass-through and agent mode, streaming or not."""

from __future__ import annotations

import base64
import json

import openai
import pytest

from tests.fakes import FakeOpenAI
from tests.serve.conftest import ADMIN, Server

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


def client(server: Server, key: str = ADMIN) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.url + "/v1", api_key=key, max_retries=0)


async def test_pass_through_text_non_streaming(gateway: Server, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_text("Bonjour!", usage=(11, 3))
    async with client(gateway) as c:
        reply = await c.chat.completions.create(
            model="openai/gpt-4o-mini",
            messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
            temperature=0.2,
        )
    assert reply.choices[0].message.content == "Bonjour!"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (11, 3)
    sent = fake_openai.last_request.body_dict
    assert sent["model"] == "gpt-4o-mini"
    assert sent["temperature"] == 0.2
    assert sent["messages"][0] == {"role": "system", "content": "be brief"}
    assert "Authorization" not in json.dumps(sent)
    # the upstream gets the server's own key, never the client's
    assert fake_openai.last_request.headers["authorization"] == "Bearer sk-test-upstream0001"


async def test_pass_through_streaming_with_usage(gateway: Server, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_text("a streamed answer", usage=(7, 4))
    async with client(gateway) as c:
        stream = await c.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text == "a streamed answer"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 11
    assert [ch.choices[0].finish_reason for ch in chunks if ch.choices][-1] == "stop"


async def test_pass_through_tool_calls_come_back_to_the_client(
    gateway: Server, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply_tool_calls([("get_weather", {"city": "Paris"})])
    fake_openai.reply_tool_calls([("get_weather", {"city": "Oslo"})])
    fake_openai.reply_text("Sunny in Paris.")
    async with client(gateway) as c:
        first = await c.chat.completions.create(
            model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "weather?"}], tools=TOOLS
        )
        call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
        assert first.choices[0].finish_reason == "tool_calls"
        assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {
            "city": "Paris"
        }
        # streaming: the call arrives as deltas the SDK assembles
        stream = await c.chat.completions.create(
            model="openai/gpt-4o-mini",
            messages=[{"role": "user", "content": "and Oslo?"}],
            tools=TOOLS,
            stream=True,
        )
        args = ""
        names = []
        async for chunk in stream:
            for tc in chunk.choices[0].delta.tool_calls or [] if chunk.choices else []:
                if tc.function and tc.function.name:
                    names.append(tc.function.name)
                args += (tc.function.arguments or "") if tc.function else ""
        assert names == ["get_weather"] and json.loads(args) == {"city": "Oslo"}
        final = await c.chat.completions.create(
            model="openai/gpt-4o-mini",
            messages=[
                {"role": "user", "content": "weather?"},
                first.choices[0].message.model_dump(exclude_none=True),  # type: ignore[misc]
                {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
            ],
            tools=TOOLS,
        )
    assert final.choices[0].message.content == "Sunny in Paris."
    sent = fake_openai.last_request.body_dict
    assert sent["tools"][0]["function"]["name"] == "get_weather"
    assert sent["messages"][1]["tool_calls"][0]["id"] == call.id
    assert sent["messages"][2] == {"role": "tool", "tool_call_id": call.id, "content": "sunny"}


async def test_images_pass_through(gateway: Server, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_text("a tiny image")
    async with client(gateway) as c:
        reply = await c.chat.completions.create(
            model="openai/gpt-4o-mini",
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is this?"},
                        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                    ],
                }
            ],
        )
    assert reply.choices[0].message.content == "a tiny image"
    parts = fake_openai.last_request.body_dict["messages"][0]["content"]
    assert parts[1]["image_url"]["url"] == f"data:image/png;base64,{PNG}"


async def test_agent_mode_runs_the_servers_tools(tmp_path, fake_openai: FakeOpenAI) -> None:  # type: ignore[no-untyped-def]
    from tests.serve.conftest import gateway_config, run_server

    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "clock.py").write_text(
        "from agentcore import tool\n\n@tool\ndef what_time() -> str:\n    '''The time.'''\n    return '12:34'\n"
    )
    config = gateway_config(tmp_path, fake_openai.url, localTools=[str(tools)])
    fake_openai.reply_tool_calls([("what_time", {})])
    fake_openai.reply_text("It is 12:34.")
    fake_openai.reply_tool_calls([("what_time", {})])
    fake_openai.reply_text("Still 12:34.")
    for server in run_server(config):
        async with client(server) as c:
            reply = await c.chat.completions.create(
                model="agent", messages=[{"role": "user", "content": "time?"}]
            )
            assert reply.choices[0].message.content == "It is 12:34."
            assert reply.choices[0].message.tool_calls is None  # the server ran the tool
            extra = reply.model_extra or {}
            assert extra["agentcore"]["tool_calls"][0]["result"] == "12:34"
            stream = await c.chat.completions.create(
                model="agent", messages=[{"role": "user", "content": "again?"}], stream=True
            )
            chunks = [ch async for ch in stream]
        text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
        assert text == "Still 12:34."
        activity = [(ch.model_extra or {}).get("agentcore") for ch in chunks]
        assert any(a and a.get("type") == "tool_result" and a["result"] == "12:34" for a in activity)
        tool_msg = fake_openai.requests[1].body_dict["messages"][-1]
        assert tool_msg["role"] == "tool" and tool_msg["content"] == "12:34"


async def test_agent_mode_session_keeps_history(gateway: Server, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_text("Nice to meet you, Ada.")
    fake_openai.reply_text("You are Ada.")
    async with client(gateway) as c:
        headers = {"X-Session-Id": "conv-42"}
        await c.chat.completions.create(
            model="agent", messages=[{"role": "user", "content": "I am Ada"}], extra_headers=headers
        )
        reply = await c.chat.completions.create(
            model="agent", messages=[{"role": "user", "content": "who am I?"}], extra_headers=headers
        )
    assert reply.choices[0].message.content == "You are Ada."
    sent = [m["content"] for m in fake_openai.last_request.body_dict["messages"] if m["role"] != "system"]
    assert sent == ["I am Ada", "Nice to meet you, Ada.", "who am I?"]


async def test_agent_mode_stateless_uses_the_clients_history(
    gateway: Server, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply_text("42")
    async with client(gateway) as c:
        await c.chat.completions.create(
            model="agent",
            messages=[
                {"role": "user", "content": "remember 42"},
                {"role": "assistant", "content": "ok"},
                {"role": "user", "content": "what number?"},
            ],
        )
    sent = [m["content"] for m in fake_openai.last_request.body_dict["messages"] if m["role"] != "system"]
    assert sent == ["remember 42", "ok", "what number?"]


@pytest.mark.parametrize("stream", [False, True])
async def test_upstream_failure_is_a_clean_error(
    gateway: Server, fake_openai: FakeOpenAI, stream: bool
) -> None:
    fake_openai.reply_error(500, message="boom Traceback sk-test-leakedkey123")
    async with client(gateway) as c:
        with pytest.raises(openai.APIStatusError) as info:
            await c.chat.completions.create(
                model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=stream
            )
    assert info.value.status_code == 502
    text = json.dumps(info.value.body)
    assert "leakedkey" not in text and 'File "' not in text


async def test_named_agents_and_models_list(tmp_path, fake_openai: FakeOpenAI) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import write_config
    from tests.serve.conftest import gateway_config, run_server

    other = write_config(
        tmp_path,
        {"llm": {"provider": "openai", "model": "gpt-4o", "apiKey": "sk-test-upstream0002",
                 "baseURL": fake_openai.url + "/v1"}, "localTools": [], "systemPrompt": "You research."},
        name="research.yml",
    )  # fmt: skip
    config = gateway_config(
        tmp_path,
        fake_openai.url,
        agents={"support": {"systemPrompt": "You help customers."}, "research": {"config": str(other)}},
    )
    for server in run_server(config):
        async with client(server) as c:
            names = [m.id async for m in c.models.list()]
            assert names == ["agent", "support", "research", "openai/gpt-4o-mini"]
            await c.chat.completions.create(model="support", messages=[{"role": "user", "content": "hi"}])
            assert fake_openai.last_request.body_dict["messages"][0] == {
                "role": "system",
                "content": "You help customers.",
            }
            await c.chat.completions.create(model="research", messages=[{"role": "user", "content": "hi"}])
            sent = fake_openai.last_request.body_dict
            assert sent["model"] == "gpt-4o" and sent["messages"][0]["content"] == "You research."
