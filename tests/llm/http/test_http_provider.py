"""``llm.provider: http`` in process: three fake APIs unlike OpenAI, through the Agent."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from agentcore import Agent, call_context
from agentcore.config.loader import load_config_from_dict
from agentcore.errors import AuthenticationError, ConfigError, ProviderError
from agentcore.llm.events import TextDelta, ToolCallStarted
from tests.llm.http._fakes import FakeOllama, FakeSseApi, FakeTokenApi, error_reply, raw_reply
from tests.llm.http.conftest import agent_data, ollama_llm, sse_llm, token_llm


def make_agent(llm: dict[str, Any], tmp_path: Path, **kw: Any) -> Agent:
    return Agent(load_config_from_dict(agent_data(llm, tmp_path, **kw), base_dir=tmp_path))


async def collect(agent: Agent, text: str) -> tuple[str, list[Any]]:
    events = [e async for e in agent.stream(text)]
    return "".join(e.text for e in events if isinstance(e, TextDelta)), events


# ---- (1) the access-token API -------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
async def test_token_api_answers_with_one_token_reused(
    token_api: FakeTokenApi, tmp_path: Path, stream: bool
) -> None:
    token_api.push("Hello there", "Second answer")
    async with make_agent(token_llm(token_api.url), tmp_path) as agent:
        if stream:
            first, _ = await collect(agent, "hi")
            second, _ = await collect(agent, "again")
        else:
            first = (await agent.run("hi")).text
            second = (await agent.run("again")).text
    assert (first, second) == ("Hello there", "Second answer")
    assert len(token_api.issued) == 1  # cached between calls
    chats = token_api.chat_requests()
    assert [r.query["access_token"] for r in chats] == ["tok-1", "tok-1"]
    assert chats[0].path == "/chat/ernie-4.0"
    body = chats[0].json()
    assert body["stream"] is stream  # whole-value template keeps the JSON type
    assert body["system"] == "You are terse."
    assert body["messages"][-1] == {"role": "user", "content": "hi"}


async def test_token_api_401_refreshes_the_token_once(token_api: FakeTokenApi, tmp_path: Path) -> None:
    token_api.push("one", "two")
    async with make_agent(token_llm(token_api.url), tmp_path) as agent:
        await agent.run("first")
        token_api.revoke()
        result = await agent.run("second")
    assert result.text == "two"
    assert token_api.issued == ["tok-1", "tok-2"]
    assert [r.query["access_token"] for r in token_api.chat_requests()] == ["tok-1", "tok-1", "tok-2"]


async def test_token_api_keeps_failing_after_refresh_is_an_auth_error(
    token_api: FakeTokenApi, tmp_path: Path
) -> None:
    token_api.push(error_reply(401, {"error_code": 111, "error_msg": "Access token expired"}))
    token_api.push(error_reply(401, {"error_code": 111, "error_msg": "Access token expired"}))
    async with make_agent(token_llm(token_api.url), tmp_path) as agent:
        with pytest.raises(AuthenticationError) as info:
            await agent.run("hi")
    assert "Access token expired" in str(info.value) and "http:ernie" in str(info.value)
    assert len(token_api.issued) == 2  # refreshed once, not in a loop


async def test_expired_token_is_fetched_again(token_api: FakeTokenApi, tmp_path: Path) -> None:
    token_api.expires_in = 10  # below the 30 s safety margin: every call needs a new token
    token_api.push("a", "b")
    async with make_agent(token_llm(token_api.url), tmp_path) as agent:
        await agent.run("1")
        await agent.run("2")
    assert token_api.issued == ["tok-1", "tok-2"]
    assert not any(r.query.get("access_token") == "tok-1" for r in token_api.chat_requests()[1:])


async def test_concurrent_first_calls_share_one_auth_request(token_api: FakeTokenApi, tmp_path: Path) -> None:
    token_api.token_delay = 0.2
    token_api.push(*[f"answer {i}" for i in range(5)])
    config = load_config_from_dict(agent_data(token_llm(token_api.url), tmp_path), base_dir=tmp_path)
    async with Agent(config) as agent:
        texts = await asyncio.gather(*(agent.service.direct_generate(f"q{i}") for i in range(5)))
    assert sorted(texts) == [f"answer {i}" for i in range(5)]
    assert len(token_api.issued) == 1


async def test_tokens_are_per_user_when_keys_are(
    token_api: FakeTokenApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERNIE_KEY_ALICE", "sk-test-alice-000001")
    keys = tmp_path / "keys.yml"
    keys.write_text("bob: sk-test-bob-0000001\n", encoding="utf-8")
    llm = token_llm(
        token_api.url, userKeys={"env": "ERNIE_KEY_{{user}}", "file": str(keys), "fallback": False}
    )
    token_api.push("a", "b", "c")
    async with make_agent(llm, tmp_path) as agent:
        for user in ("alice", "bob", "alice"):
            with call_context(user_id=user):
                await agent.service.direct_generate("hi")
        with call_context(user_id="carol"), pytest.raises(ConfigError, match="no API key for user 'carol'"):
            await agent.service.direct_generate("hi")
    secrets = [r.query["client_secret"] for r in token_api.requests if r.path == "/oauth/2.0/token"]
    assert secrets == ["sk-test-alice-000001", "sk-test-bob-0000001"]


async def test_token_never_reaches_the_logs(
    token_api: FakeTokenApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The suite's JSON log (tests/conftest.py configures it, as a host application would): the part
    # this test wrote.
    from tests.conftest import _SECRET_LOG  # pyright: ignore[reportPrivateUsage]

    start = _SECRET_LOG.stat().st_size if _SECRET_LOG.exists() else 0
    token_api.push("x", "y")
    data = agent_data(token_llm(token_api.url), tmp_path)
    async with Agent(load_config_from_dict(data, base_dir=tmp_path)) as agent:
        await agent.run("hi")
        token_api.revoke()
        await agent.run("again")  # a refresh logs too
    with _SECRET_LOG.open(encoding="utf-8") as log_file:
        log_file.seek(start)
        text = log_file.read()
    assert "http.token_refresh" in text
    assert "tok-1" not in text and "tok-2" not in text
    assert "sk-test-ernie-secret-0001" not in text


# ---- (2) Ollama's native /api/chat --------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
async def test_ollama_tool_loop_with_native_tools(ollama: FakeOllama, tmp_path: Path, stream: bool) -> None:
    ollama.push({"name": "calculate", "arguments": {"expression": "6*7"}}, "The answer is 42")
    async with make_agent(ollama_llm(ollama.url), tmp_path, tools=True) as agent:
        if stream:
            text, events = await collect(agent, "what is 6*7?")
            assert any(isinstance(e, ToolCallStarted) and e.name == "calculate" for e in events)
        else:
            result = await agent.run("what is 6*7?")
            text = result.text
            assert result.usage.prompt_tokens == 52 and result.usage.completion_tokens == 14
            assert result.tool_calls[0].result == "42"
    assert text == "The answer is 42"
    first, second = (r.json() for r in ollama.requests)
    assert first["stream"] is stream
    assert "temperature" not in first["options"]  # unset: left out, not null
    assert any(t["function"]["name"] == "calculate" for t in first["tools"])
    call = second["messages"][-2]["tool_calls"][0]
    assert call["function"]["name"] == "calculate"
    assert json.loads(call["function"]["arguments"]) == {"expression": "6*7"}
    assert second["messages"][-1]["role"] == "tool" and second["messages"][-1]["content"] == "42"


async def test_ollama_error_status_is_classified_and_retried(ollama: FakeOllama, tmp_path: Path) -> None:
    ollama.push(error_reply(503, {"error": "model is loading"}, {"retry-after": "0"}), "ready now")
    async with make_agent(ollama_llm(ollama.url), tmp_path) as agent:
        assert (await agent.run("hi")).text == "ready now"
    ollama.push(*[error_reply(404, {"error": "model 'llama3.2' not found"})] * 2)
    async with make_agent(ollama_llm(ollama.url), tmp_path) as agent:
        with pytest.raises(ProviderError) as info:
            await agent.run("hi")
    assert "HTTP 404" in str(info.value) and "model 'llama3.2' not found" in str(info.value)
    assert info.value.attempts == 1


# ---- (3) the SSE API with chunkMatch and chunkFilter --------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
async def test_sse_api_filters_and_matches_chunks(
    sse_api: FakeSseApi, tmp_path: Path, stream: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_KEY", FakeSseApi.API_KEY)
    sse_api.push("Bonjour")
    async with make_agent(sse_llm(sse_api.url), tmp_path) as agent:
        if stream:
            text, _ = await collect(agent, "say hello in French")
            result_usage = None
        else:
            result = await agent.run("say hello in French")
            text, result_usage = result.text, result.usage
    assert text == "Bonjour"  # the system echo chunk was dropped, the junk line skipped
    if result_usage is not None:
        assert (result_usage.prompt_tokens, result_usage.completion_tokens) == (9, 4)
    body = sse_api.requests[0].json()
    assert body["prompt"] == "say hello in French"  # last_user_text converter
    assert body["history"] == "system: You are terse.\nuser: say hello in French"  # join_text


async def test_sse_api_non_json_line_is_skipped_with_a_debug_log(
    sse_api: FakeSseApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_KEY", FakeSseApi.API_KEY)
    sse_api.push("Bonjour")
    data = agent_data(sse_llm(sse_api.url), tmp_path)
    async with Agent(load_config_from_dict(data, base_dir=tmp_path)) as agent:
        text, _ = await collect(agent, "hi")
    # The fake sends a non-JSON line among the chunks: it is skipped (logged at debug), not a crash.
    assert text == "Bonjour"


async def test_sse_api_wrong_key_is_an_auth_error(
    sse_api: FakeSseApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_KEY", "wrong")
    async with make_agent(sse_llm(sse_api.url), tmp_path) as agent:
        with pytest.raises(AuthenticationError, match="forbidden: bad API key"):
            await agent.run("hi")


# ---- bad input ---------------------------------------------------------------------------------


async def test_absent_response_path_is_an_error_naming_it(ollama: FakeOllama, tmp_path: Path) -> None:
    llm = ollama_llm(ollama.url)
    llm["http"]["response"]["text"] = "message.text"
    llm["http"]["response"]["toolCalls"] = None
    async with make_agent(llm, tmp_path) as agent:
        with pytest.raises(ConfigError) as info:
            await agent.run("hi")
        assert "'message.text' is not in the answer" in str(info.value)
        assert "llm.http.response.text" in str(info.value)
        with pytest.raises(ConfigError, match=r"no streamed chunk has the path 'message\.text'"):
            await collect(agent, "hi")


async def test_non_json_answer_is_a_clear_error(ollama: FakeOllama, tmp_path: Path) -> None:
    ollama.push(raw_reply(200, b"<html>gateway</html>", "text/html"))
    async with make_agent(ollama_llm(ollama.url), tmp_path) as agent:
        with pytest.raises(ProviderError, match="the answer is not JSON"):
            await agent.run("hi")


async def test_error_body_with_status_200_is_raised(token_api: FakeTokenApi, tmp_path: Path) -> None:
    token_api.push(error_reply(200, {"error_code": 336003, "error_msg": "the messages are invalid"}))
    async with make_agent(token_llm(token_api.url), tmp_path) as agent:
        with pytest.raises(ProviderError, match=r"the messages are invalid \(code 336003\)"):
            await agent.run("hi")


async def test_cancelled_first_caller_does_not_fail_the_waiting_ones(
    token_api: FakeTokenApi, tmp_path: Path
) -> None:
    token_api.token_delay = 0.3
    token_api.push("for the waiter")
    async with make_agent(token_llm(token_api.url), tmp_path) as agent:
        first = asyncio.create_task(agent.service.direct_generate("one"))
        assert await asyncio.to_thread(token_api.token_requested.wait, 5)  # its auth request is in flight
        second = asyncio.create_task(agent.service.direct_generate("two"))
        for _ in range(10):  # let the second caller reach the shared auth request (no wall-clock wait)
            await asyncio.sleep(0)
        first.cancel()
        assert await second == "for the waiter"
    assert len(token_api.issued) == 2


async def test_timeout_is_classified_and_named(ollama: FakeOllama, tmp_path: Path) -> None:
    def slow(_request: Any) -> Any:
        from tests.fakes._http import FullResponse

        return FullResponse(200, b"{}", {"content-type": "application/json"}, delay_s=2)

    ollama.push(slow)
    llm = {**ollama_llm(ollama.url), "timeout": 0.3, "maxRetries": 0}
    async with make_agent(llm, tmp_path) as agent:
        with pytest.raises(ProviderError, match=r"0.3s \(llm.timeout\)"):
            await agent.run("hi")


def test_message_formats() -> None:
    from agentcore.llm.providers.http._request import format_messages, format_tools
    from agentcore.messages import InternalMessage, ToolCall
    from agentcore.tools.base import ToolSpec

    call = ToolCall("c1", "add", '{"a": 1}')
    history = [
        InternalMessage.user("hi"),
        InternalMessage.assistant(None, (call,)),
        InternalMessage.tool_result(call, "1"),
    ]
    anthropic, system = format_messages("anthropic", "sys", history)
    assert system == "sys"
    assert anthropic[1]["content"][0] == {"type": "tool_use", "id": "c1", "name": "add", "input": {"a": 1}}
    assert anthropic[2]["content"][0]["type"] == "tool_result"
    text, _ = format_messages("text", "sys", [InternalMessage.user("hi"), InternalMessage.assistant("yo")])
    assert text == "user: hi\nassistant: yo"
    spec = ToolSpec("add", "Add.", {"type": "object"})
    assert format_tools("anthropic", [spec]) == [
        {"name": "add", "description": "Add.", "input_schema": {"type": "object"}}
    ]
    assert format_tools("text", [spec]) is None


async def test_streamed_tool_call_fragments_accumulate_by_index(
    sse_api: FakeSseApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes._http import StreamResponse

    def chunks(_request: Any) -> Any:
        deltas = [
            {"index": 0, "id": "call_a", "function": {"name": "calculate", "arguments": ""}},
            {"index": 0, "function": {"arguments": '{"expression"'}},
            {
                "index": 1,
                "id": "call_b",
                "function": {"name": "calculate", "arguments": '{"expression": "1+1"}'},
            },
            {"index": 0, "function": {"arguments": ': "3*3"}'}},
        ]
        lines = [f"data: {json.dumps({'choices': [{'delta': {'tool_calls': [d]}}]})}" for d in deltas]
        lines.append("data: [DONE]")
        return StreamResponse(200, [("\n".join(lines) + "\n").encode()])

    monkeypatch.setenv("GATEWAY_KEY", FakeSseApi.API_KEY)
    llm = sse_llm(sse_api.url)
    calls = {"id": "id", "name": "function.name", "arguments": "function.arguments", "index": "index"}
    llm["http"]["stream"]["toolCalls"] = {"path": "choices.0.delta.tool_calls", **calls}
    llm["http"]["response"]["toolCalls"] = {"path": "output.tool_calls", **calls}
    llm["http"]["chat"]["body"]["tools"] = "{{tools}}"
    sse_api.push(chunks, "9 and 2")
    async with make_agent(llm, tmp_path, tools=True) as agent:
        text, events = await collect(agent, "3*3 and 1+1?")
    assert text == "9 and 2"
    results = [e for e in events if type(e).__name__ == "ToolResult"]
    assert [(r.call.id, r.call.arguments, r.message.text) for r in results] == [
        ("call_a", '{"expression": "3*3"}', "9"),
        ("call_b", '{"expression": "1+1"}', "2"),
    ]
    assert sse_api.requests[0].json()["tools"][0]["function"]["name"] == "calculate"
