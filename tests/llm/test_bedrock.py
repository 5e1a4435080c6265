"""Bedrock (provider ``aws``): invoke paths, SigV4 signing with fake credentials, event-stream streaming."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentcore import Agent
from agentcore.errors import AuthenticationError, ConfigError, MissingExtraError
from agentcore.llm.events import FinalAnswer, TextDelta, ToolCallDelta, ToolCallStarted
from agentcore.llm.factory import create_llm_service
from tests.fakes import FakeAnthropic
from tests.llm._family import add, bedrock_config

MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"


async def test_invoke_path_signature_region_and_body(fake_anthropic: FakeAnthropic, tmp_path: Path) -> None:
    fake_anthropic.reply_tool_calls([("add", {"a": 1, "b": 2})], usage=(9, 4))
    fake_anthropic.reply_text("3", usage=(12, 1))
    config = bedrock_config(fake_anthropic.url, tmp_path)
    config.system_prompt = "Be brief."
    async with Agent(config, tools=[add]) as agent:
        result = await agent.run("1+2?")
    assert result.text == "3" and result.tool_calls[0].result == "3"
    assert result.usage.prompt_tokens == 21
    first, second = fake_anthropic.requests
    assert first.path == f"/model/{MODEL}/invoke" and first.route == "bedrock_invoke"
    auth = first.headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-3/bedrock/aws4_request" in auth and "Signature=" in auth
    assert "x-amz-date" in first.headers
    body = first.json
    assert body["anthropic_version"] == "bedrock-2023-05-31"
    assert "model" not in body and "stream" not in body
    assert body["system"] == "Be brief." and body["max_tokens"] == 8192
    assert [m["role"] for m in second.json["messages"]] == ["user", "assistant", "user"]
    assert second.json["messages"][2]["content"][0]["type"] == "tool_result"


async def test_streaming_through_event_stream_framing(fake_anthropic: FakeAnthropic, tmp_path: Path) -> None:
    fake_anthropic.reply_tool_calls([("add", {"a": 20, "b": 22})], text="Adding.")
    fake_anthropic.reply_text("The sum is 42.", usage=(40, 6))
    async with Agent(bedrock_config(fake_anthropic.url, tmp_path), tools=[add]) as agent:
        events = [e async for e in agent.stream("20+22?")]
    assert [r.route for r in fake_anthropic.requests] == ["bedrock_stream", "bedrock_stream"]
    assert fake_anthropic.requests[0].path == f"/model/{MODEL}/invoke-with-response-stream"
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == "Adding.The sum is 42."
    started = [e for e in events if isinstance(e, ToolCallStarted)]
    assert [s.name for s in started] == ["add"]
    args = "".join(e.arguments_delta for e in events if isinstance(e, ToolCallDelta))
    assert args.replace(" ", "") == '{"a":20,"b":22}'
    final = events[-1]
    assert isinstance(final, FinalAnswer) and final.text == "The sum is 42."


async def test_inference_profile_arn_is_the_model_id(fake_anthropic: FakeAnthropic, tmp_path: Path) -> None:
    arn = "arn:aws:bedrock:eu-west-3:123456789012:inference-profile/eu.anthropic.claude-3-5-sonnet"
    aws = {"region": "eu-west-3", "accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "fake-secret-key-123",
           "inferenceProfileArn": arn}  # fmt: skip
    async with Agent(bedrock_config(fake_anthropic.url, tmp_path, aws=aws)) as agent:
        await agent.run("hi")
    assert fake_anthropic.requests[0].params["model"] == arn


async def test_bedrock_errors_carry_the_aws_request_id(fake_anthropic: FakeAnthropic, tmp_path: Path) -> None:
    fake_anthropic.reply_error(403, message="The security token included in the request is invalid.")
    async with Agent(bedrock_config(fake_anthropic.url, tmp_path)) as agent:
        with pytest.raises(AuthenticationError) as info:
            await agent.run("hi")
    assert info.value.request_id == "req_1" and info.value.status == 403
    assert "security token" in str(info.value) and len(fake_anthropic.requests) == 1


def test_region_is_required(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    config = bedrock_config("http://127.0.0.1:9", tmp_path, aws={"profile": "dev"})
    with pytest.raises(ConfigError) as info:
        create_llm_service(config.llm)
    assert "llm.aws.region" in str(info.value)


def test_missing_extra_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec

    def without_botocore(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "botocore" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", without_botocore)
    config = bedrock_config("http://127.0.0.1:9", tmp_path)
    with pytest.raises(MissingExtraError) as info:
        create_llm_service(config.llm)
    assert "agentcore[bedrock]" in str(info.value) and "botocore" in str(info.value)
