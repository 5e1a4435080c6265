"""The parts of the HTTP provider on their own: templates, paths, framing, chunk filters, converters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentcore import Agent
from agentcore.config.http_schema import HttpChunkFilter
from agentcore.config.loader import load_config_from_dict
from agentcore.errors import ConfigError
from agentcore.llm.providers.http._paths import MISSING, get_path
from agentcore.llm.providers.http._stream import compare, frames
from agentcore.llm.providers.http._template import Renderer, TemplateError
from agentcore.llm.providers.http.converters import BUILTIN
from tests.llm.http._fakes import FakeOllama
from tests.llm.http.conftest import agent_data, ollama_llm


def render(value: Any, **variables: Any) -> Any:
    return Renderer(variables, BUILTIN.__getitem__).render(value)


def test_whole_value_templates_keep_their_json_type() -> None:
    out = render(
        {
            "stream": "{{stream}}",
            "messages": "{{messages}}",
            "n": "{{max_tokens}}",
            "temp": "{{temperature}}",
        },
        stream=True,
        messages=[{"role": "user", "content": "hi"}],
        max_tokens=5,
        temperature=None,
    )
    assert out == {"stream": True, "messages": [{"role": "user", "content": "hi"}], "n": 5}  # null left out


def test_templates_inside_text_and_converters() -> None:
    assert render("Bearer {{api_key}}", api_key="k1") == "Bearer k1"
    assert render("{{ flag }}/{{items}}", flag=False, items=[1, 2]) == "false/[1, 2]"
    assert render("{{key | base64}}", key="a:b") == "YTpi"
    msgs = [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "b"},
        {"role": "user", "content": "c"},
    ]
    assert render("{{messages | last_user_text}}", messages=msgs) == "c"
    assert render("{{messages | json}}", messages=[1]) == "[1]"


def test_unknown_variable_and_converter_name_where() -> None:
    with pytest.raises(TemplateError) as info:
        render({"body": {"x": "{{nope}}"}})
    assert info.value.where == "body.x" and "nope" in info.value.message
    with pytest.raises(TemplateError, match="unknown converter 'nope'"):
        render("{{a | nope}}", a=1)


def test_env_syntax_is_left_to_the_environment() -> None:
    assert render("${HOME}/{{a}}", a="x") == "${HOME}/x"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("choices.0.delta.content", "hi"),
        ("choices.-1.delta.content", "hi"),
        ("choices.1.delta", MISSING),
        ("choices.x", MISSING),
        ("usage", None),
        ("usage.total", MISSING),
    ],
)
def test_dotted_paths(path: str, expected: Any) -> None:
    data = {"choices": [{"delta": {"content": "hi"}}], "usage": None}
    assert get_path(data, path) == expected or get_path(data, path) is expected


async def _chunks(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def _frames(parts: list[bytes], framing: str) -> list[str]:
    return [f async for f in frames(_chunks(parts), framing)]


@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=30))
async def test_lines_split_anywhere_are_joined(cuts: list[int]) -> None:
    data = '{"a": "é€"}\r\n{"b": 2}\n\n{"c": 3}'.encode()
    parts: list[bytes] = []
    pos = 0
    for cut in cuts:
        parts.append(data[pos : pos + cut])
        pos += cut
    parts.append(data[pos:])
    assert await _frames(parts, "ndjson") == ['{"a": "é€"}', '{"b": 2}', '{"c": 3}']


async def test_sse_events_join_their_data_lines() -> None:
    data = b': hello\nevent: x\ndata: {"a":\ndata: 1}\n\nid: 7\ndata:{"b":2}\n\n'
    assert await _frames([data], "sse") == ['{"a":\n1}', '{"b":2}']


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("==", "system", True),
        ("!=", "system", False),
        ("in", ["user", "system"], True),
        ("contains", "yst", True),
        ("exists", None, True),
        ("exists", False, False),
    ],
)
def test_chunk_filter_ops(op: str, value: Any, expected: bool) -> None:
    rule = HttpChunkFilter.model_validate({"path": "delta.role", "op": op, "value": value})
    assert compare({"delta": {"role": "system"}}, rule) is expected


def test_chunk_filter_on_an_absent_path() -> None:
    assert compare({}, HttpChunkFilter(path="delta.role", op="!=", value="x"))
    assert not compare({}, HttpChunkFilter(path="delta.role", op="==", value="x"))


async def test_user_converter_from_a_local_tools_module(ollama: FakeOllama, tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "shout.py").write_text(
        "from agentcore.llm.providers.http import converter\n\n"
        "@converter(name='shout')\n"
        "def loud(value):\n"
        "    return str(value).upper()\n",
        encoding="utf-8",
    )
    llm = ollama_llm(ollama.url)
    llm["http"]["chat"]["body"]["prompt"] = "{{messages | last_user_text | shout}}"
    data = agent_data(llm, tmp_path)
    data["localTools"] = [str(tools)]
    ollama.push("done")
    async with Agent(load_config_from_dict(data, base_dir=tmp_path)) as agent:
        await agent.run("quiet words")
    assert ollama.requests[0].json()["prompt"] == "QUIET WORDS"


async def test_unknown_converter_names_the_key(ollama: FakeOllama, tmp_path: Path) -> None:
    llm = ollama_llm(ollama.url)
    llm["http"]["chat"]["body"]["prompt"] = "{{messages | nope}}"
    async with Agent(load_config_from_dict(agent_data(llm, tmp_path), base_dir=tmp_path)) as agent:
        with pytest.raises(ConfigError) as info:
            await agent.run("hi")
    assert "llm.http.chat.body.prompt" in str(info.value) and "unknown converter 'nope'" in str(info.value)
