"""Prove the fake servers against the real openai / anthropic SDKs over real HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from anthropic.lib.bedrock import AsyncAnthropicBedrock

from tests.fakes import FakeAnthropic, FakeOpenAI, RecordedRequest, TextReply, Usage

MESSAGES: list[Any] = [{"role": "user", "content": "hi"}]


@pytest.fixture
async def oai(fake_openai: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(
        base_url=fake_openai.url + "/v1", api_key="test-key", max_retries=0
    ) as client:
        yield client


@pytest.fixture
async def ant(fake_anthropic: FakeAnthropic) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(base_url=fake_anthropic.url, api_key="test-key", max_retries=0) as c:
        yield c


# -- OpenAI ------------------------------------------------------------------------------------
async def test_openai_text_and_recorded_request(fake_openai: FakeOpenAI, oai: openai.AsyncOpenAI) -> None:
    fake_openai.reply_text("hello there", usage=Usage(12, 3, cached=8, reasoning=2))
    raw = await oai.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
    resp = raw.parse()
    assert raw.headers["x-request-id"].startswith("req_")
    assert resp.choices[0].message.content == "hello there"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage is not None
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens, resp.usage.total_tokens) == (12, 3, 15)
    assert resp.usage.prompt_tokens_details and resp.usage.prompt_tokens_details.cached_tokens == 8
    assert resp.usage.completion_tokens_details
    assert resp.usage.completion_tokens_details.reasoning_tokens == 2
    req = fake_openai.last_request
    assert (req.method, req.path, req.route) == ("POST", "/v1/chat/completions", "chat")
    assert req.headers["authorization"] == "Bearer test-key"
    assert req.json["messages"] == MESSAGES and req.model == "gpt-4o"
    # queue empty -> default reply
    again = await oai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert again.choices[0].message.content == "ok"
    assert len(fake_openai.requests) == 2 and fake_openai.pending == 0


async def test_openai_tool_calls(fake_openai: FakeOpenAI, oai: openai.AsyncOpenAI) -> None:
    fake_openai.reply_tool_calls([("get_weather", {"city": "Paris"}), ("raw", '{"x": [1, 2]}')], usage=(5, 6))
    resp = await oai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    choice = resp.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls or []
    assert [c.id for c in calls] == ["call_1", "call_2"]
    assert [c.function.name for c in calls] == ["get_weather", "raw"]  # type: ignore[union-attr]
    assert json.loads(calls[0].function.arguments) == {"city": "Paris"}  # type: ignore[union-attr]
    assert calls[1].function.arguments == '{"x": [1, 2]}'  # type: ignore[union-attr]


async def test_openai_stream_tool_calls_with_usage(fake_openai: FakeOpenAI, oai: openai.AsyncOpenAI) -> None:
    args = {"query": "a fairly long argument string", "n": [1, 2, 3]}
    fake_openai.reply_tool_calls([("search", args), ("noop", {})], text="Let me look.", usage=(40, 9, 32))
    stream = await oai.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    text, finish, usage, n_chunks = "", None, None, 0
    calls: dict[int, dict[str, Any]] = {}
    async for chunk in stream:
        n_chunks += 1
        if chunk.usage is not None:
            assert chunk.choices == []
            usage = chunk.usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
            for tc in choice.delta.tool_calls or []:
                slot = calls.setdefault(tc.index, {"id": None, "name": None, "args": ""})
                if tc.id:
                    assert slot["id"] is None, "id must only come in the first delta"
                    slot["id"], slot["name"] = tc.id, tc.function and tc.function.name
                slot["args"] += (tc.function and tc.function.arguments) or ""
    assert n_chunks > 8
    assert text == "Let me look." and finish == "tool_calls"
    assert [calls[i]["name"] for i in sorted(calls)] == ["search", "noop"]
    assert json.loads(calls[0]["args"]) == args and json.loads(calls[1]["args"]) == {}
    assert usage is not None and usage.prompt_tokens == 40 and usage.completion_tokens == 9
    assert usage.prompt_tokens_details and usage.prompt_tokens_details.cached_tokens == 32


async def test_openai_stream_text_without_usage(fake_openai: FakeOpenAI, oai: openai.AsyncOpenAI) -> None:
    fake_openai.chunk_delay_s = 0.001
    fake_openai.reply_text("streamed text in several pieces")
    stream = await oai.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    pieces = [c.choices[0].delta.content async for c in stream if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 2 and "".join(pieces) == "streamed text in several pieces"


async def test_openai_errors(fake_openai: FakeOpenAI, oai: openai.AsyncOpenAI) -> None:
    fake_openai.reply_error(429, headers={"Retry-After": "1"})
    fake_openai.reply_error(429, headers={"retry-after-ms": "250"})
    fake_openai.reply_error(400, code="context_length_exceeded", message="too long")
    fake_openai.reply_error(500, body="boom")
    with pytest.raises(openai.RateLimitError) as rl:
        await oai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert rl.value.response.headers["retry-after"] == "1"
    with pytest.raises(openai.RateLimitError) as rl2:
        await oai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert rl2.value.response.headers["retry-after-ms"] == "250"
    with pytest.raises(openai.BadRequestError) as bad:
        await oai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert bad.value.code == "context_length_exceeded" and "too long" in bad.value.message
    with pytest.raises(openai.InternalServerError):
        await oai.chat.completions.create(model="gpt-4o", messages=MESSAGES)


async def test_openai_drop_and_truncated(fake_openai: FakeOpenAI, oai: openai.AsyncOpenAI) -> None:
    fake_openai.reply_drop()
    with pytest.raises(openai.APIConnectionError):
        await oai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    fake_openai.reply_truncated_stream("this answer gets cut off", after_chunks=2)
    stream = await oai.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    got: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        async for chunk in stream:
            got.append(chunk.choices[0].delta.content or "")
    assert "".join(got) and "".join(got) != "this answer gets cut off"
    fake_openai.reply_truncated_stream()
    with pytest.raises(openai.APIConnectionError):
        await oai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    # the server keeps serving afterwards
    ok = await oai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert ok.choices[0].message.content == "ok" and fake_openai.errors == []


async def test_openai_reply_fn_and_default(fake_openai: FakeOpenAI, oai: openai.AsyncOpenAI) -> None:
    def echo(req: RecordedRequest) -> str:
        return "echo: " + req.json["messages"][-1]["content"]

    fake_openai.reply_fn(echo, times=2)
    fake_openai.set_default(TextReply("fallback", usage=(1, 1)))
    outs = [
        (await oai.chat.completions.create(model="m", messages=MESSAGES)).choices[0].message.content
        for _ in range(3)
    ]
    assert outs == ["echo: hi", "echo: hi", "fallback"]


async def test_openai_azure_path(fake_openai: FakeOpenAI) -> None:
    async with openai.AsyncAzureOpenAI(
        azure_endpoint=fake_openai.url, api_key="az-key", api_version="2024-10-21", max_retries=0
    ) as az:
        resp = await az.chat.completions.create(model="my-deployment", messages=MESSAGES)
    assert resp.choices[0].message.content == "ok"
    req = fake_openai.last_request
    assert req.route == "azure_chat" and req.params["deployment"] == "my-deployment"
    assert req.query["api-version"] == "2024-10-21" and req.headers["api-key"] == "az-key"


def test_openai_sync_client_without_v1(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_text("sync works")
    with openai.OpenAI(base_url=fake_openai.url, api_key="test-key", max_retries=0) as client:
        resp = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        assert resp.choices[0].message.content == "sync works"
        assert fake_openai.last_request.path == "/chat/completions"
        assert httpx2.post(fake_openai.url + "/nope").status_code == 404


# -- Anthropic ---------------------------------------------------------------------------------
async def test_anthropic_non_streaming(fake_anthropic: FakeAnthropic, ant: anthropic.AsyncAnthropic) -> None:
    fake_anthropic.reply_tool_calls([("get_weather", {"city": "Paris"})], text="Checking.", usage=(20, 7, 15))
    msg = await ant.messages.create(model="claude-x", max_tokens=100, messages=MESSAGES)
    assert msg.stop_reason == "tool_use" and msg.role == "assistant"
    assert msg.content[0].type == "text" and msg.content[0].text == "Checking."
    block = msg.content[1]
    assert block.type == "tool_use" and block.id.startswith("toolu_")
    assert block.name == "get_weather" and block.input == {"city": "Paris"}
    assert (msg.usage.input_tokens, msg.usage.output_tokens, msg.usage.cache_read_input_tokens) == (20, 7, 15)
    req = fake_anthropic.last_request
    assert req.path == "/v1/messages" and req.headers["authorization"] == "Bearer test-key"
    assert "anthropic-version" in req.headers
    text = await ant.messages.create(model="claude-x", max_tokens=100, messages=MESSAGES)
    assert text.stop_reason == "end_turn" and text.content[0].type == "text" and text.content[0].text == "ok"


async def test_anthropic_raw_stream(fake_anthropic: FakeAnthropic, ant: anthropic.AsyncAnthropic) -> None:
    fake_anthropic.reply_tool_calls([("search", {"q": "a long query string", "k": 3})], text="Let me search.")
    stream = await ant.messages.create(model="claude-x", max_tokens=100, messages=MESSAGES, stream=True)
    types: list[str] = []
    text, partial, stop = "", "", None
    async for event in stream:
        types.append(event.type)
        if event.type == "content_block_delta":
            if event.delta.type == "text_delta":
                text += event.delta.text
            elif event.delta.type == "input_json_delta":
                partial += event.delta.partial_json
        elif event.type == "message_delta":
            stop = event.delta.stop_reason
    assert types[:2] == ["message_start", "content_block_start"]  # the SDK swallows `ping`
    assert types[-2:] == ["message_delta", "message_stop"]
    assert types.count("content_block_start") == types.count("content_block_stop") == 2
    assert text == "Let me search." and stop == "tool_use"
    assert json.loads(partial) == {"q": "a long query string", "k": 3}


async def test_anthropic_errors(fake_anthropic: FakeAnthropic, ant: anthropic.AsyncAnthropic) -> None:
    fake_anthropic.reply_error(529)
    fake_anthropic.reply_error(429, headers={"retry-after": "2"})
    fake_anthropic.reply_drop()
    fake_anthropic.reply_truncated_stream(after_chunks=4)
    with pytest.raises(anthropic.InternalServerError) as over:
        await ant.messages.create(model="claude-x", max_tokens=10, messages=MESSAGES)
    assert over.value.status_code == 529
    assert isinstance(over.value.body, dict) and over.value.body["error"]["type"] == "overloaded_error"
    with pytest.raises(anthropic.RateLimitError) as rl:
        await ant.messages.create(model="claude-x", max_tokens=10, messages=MESSAGES)
    assert rl.value.response.headers["retry-after"] == "2"
    with pytest.raises(anthropic.APIConnectionError):
        await ant.messages.create(model="claude-x", max_tokens=10, messages=MESSAGES)
    stream = await ant.messages.create(model="claude-x", max_tokens=10, messages=MESSAGES, stream=True)
    # unlike openai, the anthropic SDK does not wrap mid-stream transport errors
    with pytest.raises(httpx2.RemoteProtocolError):
        async for _ in stream:
            pass


def test_anthropic_sse_wire_format(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_text("hi")
    body = {"model": "claude-x", "max_tokens": 5, "messages": MESSAGES, "stream": True}
    resp = httpx2.post(fake_anthropic.url + "/v1/messages", json=body)
    assert resp.headers["content-type"].startswith("text/event-stream")
    events = [line.removeprefix("event: ") for line in resp.text.splitlines() if line.startswith("event: ")]
    assert events == [
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]


async def test_anthropic_bedrock(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_text("from bedrock", usage=(3, 4))
    fake_anthropic.reply_tool_calls([("lookup", {"id": 42})], usage=(5, 6))
    async with AsyncAnthropicBedrock(
        base_url=fake_anthropic.url,
        aws_access_key="AKIDEXAMPLE",
        aws_secret_key="secret",
        aws_region="us-east-1",
        max_retries=0,
    ) as bedrock:
        msg = await bedrock.messages.create(model="anthropic.claude-v2:1", max_tokens=10, messages=MESSAGES)
        assert msg.content[0].type == "text" and msg.content[0].text == "from bedrock"
        req = fake_anthropic.last_request
        assert req.route == "bedrock_invoke" and req.params["model"] == "anthropic.claude-v2:1"
        assert req.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
        assert req.json["anthropic_version"] and "model" not in req.json
        async with bedrock.messages.stream(
            model="anthropic.claude-v2:1", max_tokens=10, messages=MESSAGES
        ) as stream:
            final = await stream.get_final_message()
    assert fake_anthropic.last_request.route == "bedrock_stream"
    assert final.stop_reason == "tool_use" and final.usage.output_tokens == 6
    assert final.content[0].type == "tool_use" and final.content[0].input == {"id": 42}
