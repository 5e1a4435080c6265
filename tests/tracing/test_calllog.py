"""The call log end to end: real SDKs over real HTTP against the fakes, rows read back from SQLite."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from agentcore import Agent, ProviderError, call_context, tool
from agentcore.llm.events import TextDelta
from agentcore.tracing.query import totals, trace_tree
from agentcore.tracing.writer import CallLogWriter, utcnow
from tests.conftest import SCANNED_DATABASES
from tests.fakes import FakeAnthropic, FakeOpenAI
from tests.helpers import openai_config


def db_url(tmp_path: Path) -> str:
    SCANNED_DATABASES.append(tmp_path / "calls.db")
    return f"sqlite:///{tmp_path / 'calls.db'}"


async def rows(url: str) -> list[Any]:
    from sqlalchemy import select

    from agentcore.storage.db import open_database, resolve_url
    from agentcore.tracing.calllog import CALLS as table

    engine = await open_database(resolve_url(url))
    async with engine.connect() as conn:
        return list((await conn.execute(select(table).order_by(table.c.created_at))).all())


def tokens(row: Any) -> tuple[int, int, int, int]:
    return (row.prompt_tokens, row.completion_tokens, row.cached_tokens, row.reasoning_tokens)


@pytest.mark.parametrize("stream", [False, True])
async def test_openai_rows_carry_the_servers_usage(
    fake_openai: FakeOpenAI, tmp_path: Path, stream: bool
) -> None:
    fake_openai.reply_tool_calls([("add", {"a": 1, "b": 2})], usage=(40, 9, 8, 3))
    fake_openai.reply_text("3", usage=(61, 2, 32, 0))

    @tool
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    config = openai_config(fake_openai.url, tmp_path)
    config.storage.url = db_url(tmp_path)
    async with Agent(config, tools=[add]) as agent:
        with call_context("recipes", user_id="u1", team="x"):
            if stream:
                async for _ in agent.stream("1+2?", session="s1"):
                    pass
            else:
                await agent.run("1+2?", session="s1")
    got = await rows(config.storage.url)
    assert [tokens(r) for r in got] == [(40, 9, 8, 3), (61, 2, 32, 0)]
    assert {(r.module, r.user_id, r.session_id, r.status, r.stream) for r in got} == {
        ("recipes", "u1", "s1", "success", stream)
    }
    assert [r.finish_reason for r in got] == ["tool_calls", "stop"]
    assert got[0].trace_id == got[1].trace_id is not None
    assert got[0].tags == '{"team": "x"}'
    assert all(r.cost_usd is not None and r.cost_usd > 0 for r in got)
    if stream:
        assert all(r.time_to_first_token_ms is not None for r in got)
    else:
        assert all(r.time_to_first_token_ms is None for r in got)
    tree = await trace_tree(config.storage.url.replace("sqlite://", "sqlite+aiosqlite://"), got[0].trace_id)
    [run] = tree
    assert run["kind"] == "run"
    assert [c["kind"] for c in run["children"]] == ["llm", "llm"]
    assert [c["kind"] for c in run["children"][0]["children"]] == ["tool"]


@pytest.mark.parametrize("stream", [False, True])
async def test_anthropic_rows_carry_the_servers_usage(
    fake_anthropic: FakeAnthropic, tmp_path: Path, stream: bool
) -> None:
    fake_anthropic.reply_text("hi", usage=(33, 7))
    config = openai_config("http://unused", tmp_path)
    config.llm.provider = "anthropic"
    config.llm.model = "claude-sonnet-4-5"
    config.llm.base_url = fake_anthropic.url
    config.llm.api_key = "sk-ant-test-0123456789abcdef"
    config.storage.url = db_url(tmp_path)
    async with Agent(config) as agent:
        if stream:
            async for _ in agent.stream("hello"):
                pass
        else:
            await agent.run("hello")
    [row] = await rows(config.storage.url)
    assert (row.provider, row.prompt_tokens, row.completion_tokens, row.status) == (
        "anthropic",
        33,
        7,
        "success",
    )
    assert row.cost_usd == pytest.approx((33 * 3 + 7 * 15) / 1e6)


async def test_failed_and_retried_calls_leave_one_row_per_attempt(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.reply_error(503, message="overloaded")
    fake_openai.reply_text("ok", usage=(5, 1))
    fake_openai.reply_error(400, message="bad request")
    config = openai_config(fake_openai.url, tmp_path, retry={"baseDelay": 0})
    config.storage.url = db_url(tmp_path)
    async with Agent(config) as agent:
        await agent.run("first")
        with pytest.raises(ProviderError):
            await agent.run("second")
    got = await rows(config.storage.url)
    assert [(r.status, r.attempt, r.retries) for r in got] == [
        ("error", 1, 0),
        ("success", 2, 1),
        ("error", 1, 0),
    ]
    assert got[0].error_type and "overloaded" in (got[0].error_message or "")
    assert tokens(got[1]) == (5, 1, 0, 0)
    assert got[0].cost_usd is None and got[2].trace_id != got[0].trace_id


async def test_direct_generate_and_cancelled_stream_leave_rows(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.reply_text("side answer", usage=(3, 2))
    fake_openai.reply_text("a long streamed answer " * 20, usage=(9, 9))
    fake_openai.chunk_delay_s = 0.01
    config = openai_config(fake_openai.url, tmp_path)
    config.storage.url = db_url(tmp_path)
    async with Agent(config) as agent:
        assert await agent.service.direct_generate("q") == "side answer"

        async def consume() -> None:
            async for event in agent.stream("go"):
                if isinstance(event, TextDelta):
                    first.set()

        first = asyncio.Event()
        task = asyncio.create_task(consume())
        await asyncio.wait_for(first.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    got = await rows(config.storage.url)
    assert [(r.purpose, r.status) for r in got] == [("direct", "success"), ("turn", "cancelled")]


async def test_concurrent_runs_keep_their_contexts_apart(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.set_default("ok")
    config = openai_config(fake_openai.url, tmp_path)
    config.storage.url = db_url(tmp_path)
    async with Agent(config) as agent:

        async def one(user: str) -> None:
            with call_context("mod-" + user, user_id=user):
                await agent.run("hi " + user, session=user)
                await agent.run("again " + user, session=user)

        await asyncio.gather(*(one(f"u{i}") for i in range(5)))
    got = await rows(config.storage.url)
    assert len(got) == 10
    assert all(r.module == "mod-" + r.user_id and r.session_id == r.user_id for r in got)
    assert len({r.trace_id for r in got}) == 10  # one trace per run


async def test_agent_called_from_a_tool_is_a_child_of_that_tool_call(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    config = openai_config(fake_openai.url, tmp_path)
    config.storage.url = db_url(tmp_path)
    inner = Agent(config)

    @tool
    async def ask_expert(question: str) -> str:
        """Ask another agent."""
        return (await inner.run(question)).text

    fake_openai.reply_tool_calls([("ask_expert", {"question": "why?"})])
    fake_openai.reply_text("because", usage=(1, 1))
    fake_openai.reply_text("expert says because")
    async with Agent(config, tools=[ask_expert]) as outer:
        await outer.run("ask")
    await inner.close()
    got = await rows(config.storage.url)
    assert len({r.trace_id for r in got}) == 1
    [tree] = await trace_tree(config.storage.url.replace("sqlite://", "sqlite+aiosqlite://"), got[0].trace_id)
    tool_node = tree["children"][0]["children"][0]
    assert tool_node["kind"] == "tool" and tool_node["name"] == "ask_expert"
    nested_run = tool_node["children"][0]
    assert nested_run["kind"] == "run" and nested_run["children"][0]["kind"] == "llm"


def call_row(i: int) -> dict[str, Any]:
    return {
        "id": f"{i:032x}", "trace_id": None, "parent_call_id": None, "session_id": None, "module": "bench",
        "user_id": None, "tags": None, "provider": "openai", "model": "gpt-4o-mini", "purpose": "turn",
        "stream": False, "messages_count": 1, "prompt_tokens": 10, "completion_tokens": 2, "cached_tokens": 0,
        "reasoning_tokens": 0, "total_tokens": 12, "cost_usd": 0.5, "latency_ms": 1.0,
        "time_to_first_token_ms": None, "status": "success", "error_type": None, "error_message": None,
        "finish_reason": "stop", "attempt": 1, "retries": 0, "request_body": None, "response_body": None,
        "created_at": utcnow(),
    }  # fmt: skip


async def test_close_with_a_full_queue_in_flight_loses_nothing(tmp_path: Path) -> None:
    writer = CallLogWriter(db_url(tmp_path), max_queue=3000, batch_size=200)
    for i in range(3000):
        assert writer.submit("call", call_row(i))
    await asyncio.sleep(0)  # let the first batch start: the queue is full and a write is in flight
    await writer.close()
    assert (writer.written, writer.dropped, writer.failed) == (3000, 0, 0)
    assert len(await rows(writer.url)) == 3000
    result = await totals(writer.url)
    assert result["requests"] == 3000 and result["cost_usd"] == pytest.approx(1500)


async def test_a_full_queue_drops_counts_and_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from agentcore.logs import ensure_logging

    ensure_logging()  # what an Agent or the CLI does first: structlog through stdlib logging
    logging.getLogger("agentcore").addHandler(caplog.handler)  # our loggers do not propagate
    writer = CallLogWriter(db_url(tmp_path), max_queue=10)
    accepted = [writer.submit("call", call_row(i)) for i in range(15)]  # no await: the writer cannot run
    assert accepted == [True] * 10 + [False] * 5
    assert writer.dropped == 5
    await writer.close()
    assert writer.written == 10
    logging.getLogger("agentcore").removeHandler(caplog.handler)
    assert any("calllog.queue_full" in str(r.msg) for r in caplog.records)


async def test_model_aggregates_are_kept_current(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    from sqlalchemy import select

    from agentcore.storage.db import open_database
    from agentcore.tracing.calllog import MODEL_USAGE

    fake_openai.reply_text("a", usage=(10, 1))
    fake_openai.reply_error(400)
    config = openai_config(fake_openai.url, tmp_path)
    config.storage.url = db_url(tmp_path)
    async with Agent(config) as agent:
        await agent.run("x")
        with pytest.raises(ProviderError):
            await agent.run("y")
    engine = await open_database(CallLogWriter(config.storage.url).url)
    async with engine.connect() as conn:
        [agg] = (await conn.execute(select(MODEL_USAGE))).all()
    assert (agg.model, agg.requests, agg.errors, agg.prompt_tokens) == ("gpt-4o-mini", 2, 1, 10)
    assert agg.last_used_at is not None


@pytest.mark.parametrize("store", [False, True])
async def test_bodies_are_stored_only_with_store_content_and_redacted(
    fake_openai: FakeOpenAI, tmp_path: Path, store: bool
) -> None:
    fake_openai.reply_text("noted: sk-test-0123456789abcdef, Bearer abcdefghijklmnop", usage=(9, 4))
    config = openai_config(fake_openai.url, tmp_path)
    config.storage.url = db_url(tmp_path)
    config.logging.store_content = store
    async with Agent(config) as agent:
        await agent.run("remember my key sk-test-0123456789abcdef and the recipe for soup")
    [row] = await rows(config.storage.url)
    if not store:
        assert (row.request_body, row.response_body) == (None, None)
        return
    assert row.request_body is not None and row.response_body is not None
    assert "the recipe for soup" in row.request_body and "noted:" in row.response_body
    for body in (row.request_body, row.response_body):
        assert "sk-test-0123456789abcdef" not in body and "abcdefghijklmnop" not in body
        assert "***" in body


async def test_rows_queued_when_the_loop_shuts_down_are_written(tmp_path: Path) -> None:
    # asyncio.run cancels leftover tasks on exit (also what Ctrl-C leads to): the writer must
    # finish its queue instead of losing it.
    url = db_url(tmp_path)

    async def abandon() -> None:
        writer = CallLogWriter(url, batch_size=100)
        for i in range(500):
            writer.submit("call", call_row(i))
        await asyncio.sleep(0)  # the writer starts its first batch; nobody calls close()

    await asyncio.wait_for(asyncio.to_thread(asyncio.run, abandon()), 30)
    assert len(await rows(url)) == 500
