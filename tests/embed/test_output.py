"""Structured output: native JSON schema on OpenAI, the final-result tool on Anthropic and local
models, invalid answers sent back with their errors, bounded by outputRetries; partial objects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from agentcore import Agent, OutputValidationError, PartialOutput
from agentcore.config.loader import load_config_from_dict
from agentcore.testing import FunctionModel, ScriptedModel, TestModel
from tests.fakes import FakeAnthropic, FakeOpenAI, RecordedRequest, ToolCallsReply
from tests.llm._family import anthropic_config


class City(BaseModel):
    name: str
    population: int


async def test_openai_gets_a_strict_json_schema_and_the_output_is_validated(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    from tests.helpers import openai_config

    fake_openai.reply_text('{"name": "Paris", "population": 2100000}')
    agent = Agent(openai_config(fake_openai.url, tmp_path))
    try:
        result = await agent.run("biggest French city?", output_type=City)
    finally:
        await agent.close()
    assert result.output == City(name="Paris", population=2_100_000)
    fmt = fake_openai.requests[0].body_dict["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False
    assert "tools" not in fake_openai.requests[0].body_dict


# The re-ask loop is the same for every provider: it runs on a double (native mode, as on OpenAI).


async def test_an_invalid_answer_goes_back_with_its_errors() -> None:
    model = ScriptedModel(['{"name": "Paris", "population": "many"}', '{"name": "Paris", "population": 3}'])
    agent = Agent(model=model)
    try:
        result = await agent.run("city?", output_type=City, output_mode="native")
    finally:
        await agent.close()
    assert result.output.population == 3
    retry = model.requests[1].messages[-1]
    assert retry.role == "user" and "population" in retry.text and "integer" in retry.text


async def test_output_retries_bound_the_re_asks(tmp_path: Path) -> None:
    model = ScriptedModel(["not json at all"] * 3)
    config = load_config_from_dict(
        {
            "llm": {"provider": "openai", "model": "gpt-4o-mini", "outputRetries": 1},
            "storage": {"url": "memory://"},
        },
        base_dir=tmp_path,
    )
    agent = Agent(config, model=model)
    try:
        with pytest.raises(OutputValidationError, match="outputRetries"):
            await agent.run("city?", output_type=City, output_mode="native")
    finally:
        await agent.close()
    assert len(model.requests) == 2


def _final_result_reply(args: dict[str, Any]) -> Any:
    def reply(req: RecordedRequest) -> ToolCallsReply:
        names = [t.get("name") or t.get("function", {}).get("name") for t in req.body_dict.get("tools", [])]
        assert "final_result" in names
        return ToolCallsReply([("final_result", args)])

    return reply


async def test_anthropic_answers_through_the_final_result_tool(
    fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    fake_anthropic.reply_fn(_final_result_reply({"response": [1, "x"]}))
    fake_anthropic.reply_fn(_final_result_reply({"response": [1, 2, 3]}))
    agent = Agent(anthropic_config(fake_anthropic.url, tmp_path))
    try:
        result = await agent.run("three numbers", output_type=list[int])
    finally:
        await agent.close()
    assert result.output == [1, 2, 3]
    second = json.dumps(fake_anthropic.requests[1].body_dict["messages"][-1])
    assert "Invalid final result" in second and "response.1" in second
    assert "output_format" not in fake_anthropic.requests[0].body_dict


async def test_a_local_model_uses_the_final_result_tool(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_fn(_final_result_reply({"name": "Oslo", "population": 700000}))
    config = load_config_from_dict(
        {
            "llm": {"provider": "ollama", "model": "qwen3:4b", "baseURL": fake_openai.url + "/v1"},
            "storage": {"url": "memory://"},
        },
        base_dir=tmp_path,
    )
    agent = Agent(config)
    try:
        result = await agent.run("a city", output_type=City)
    finally:
        await agent.close()
    assert result.output == City(name="Oslo", population=700_000)
    assert "response_format" not in fake_openai.requests[0].body_dict


@pytest.mark.parametrize("mode", ["native", "tool"])
async def test_streaming_yields_partial_objects(mode: str) -> None:
    agent = Agent(model=TestModel(custom_output_args={"name": "Lisbon", "population": 545000}))
    partial: list[Any] = []
    final = None
    try:
        async for event in agent.stream("city", output_type=City, output_mode=mode):  # type: ignore[arg-type]
            if isinstance(event, PartialOutput):
                partial.append(event.data)
            elif type(event).__name__ == "FinalAnswer":
                final = event
    finally:
        await agent.close()
    assert final is not None and final.output == City(name="Lisbon", population=545000)
    assert partial[-1] == {"name": "Lisbon", "population": 545000}
    assert any(p != partial[-1] for p in partial)  # it grew while it streamed


async def test_test_model_produces_schema_valid_output_for_any_type() -> None:
    agent = Agent(model=TestModel())
    try:
        assert isinstance((await agent.run("x", output_type=City)).output, City)
        assert (await agent.run("x", output_type=list[int])).output == [0]
        seen: list[Any] = []
        fm = FunctionModel(lambda m, info: seen.append(info.output) or '{"response": true}')
        assert (await agent.run("x", output_type=bool, model=None)).output is False
        with agent.override(model=fm):
            assert (await agent.run("x", output_type=bool, output_mode="native")).output is True
        assert seen[0] is not None and seen[0].schema["properties"]["response"]["type"] == "boolean"
    finally:
        await agent.close()
