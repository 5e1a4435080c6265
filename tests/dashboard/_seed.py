"""Call-log data for the dashboard tests: real agent runs against the fake OpenAI server (traces,
sessions, stored bodies, a retried error) plus rows of a model without a price."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agentcore import Agent, call_context, tool
from tests.fakes import FakeOpenAI
from tests.helpers import openai_config


@tool
async def add(a: int, b: int) -> str:
    """Add two integers."""
    return str(a + b)


async def agent_runs(fake: FakeOpenAI, tmp_path: Path, url: str) -> None:
    """Three users' runs: alice (tool call, two sessions), bob (a 500 then success), carol (one turn)."""
    config = openai_config(fake.url, tmp_path)
    config.storage.url = url
    config.logging.store_content = True
    async with Agent(config, tools=[add]) as agent:
        fake.reply_tool_calls([("add", {"a": 2, "b": 3})], usage=(120, 18, 0, 0))
        fake.reply_text("2 + 3 = 5", usage=(160, 9, 64, 0))
        with call_context("billing", user_id="alice"):
            await agent.run("what is 2 + 3?", session="alice-1")
        fake.reply_text("hello alice", usage=(90, 5, 0, 0))
        with call_context("billing", user_id="alice"):
            await agent.run("say hello", session="alice-2")
        fake.reply_error(500, message="upstream exploded")
        fake.reply_text("fine now", usage=(70, 4, 0, 0))
        with call_context("support", user_id="bob"):
            await agent.run("are you ok?", session="bob-1")
        fake.reply_text("hi carol", usage=(50, 3, 0, 0))
        with call_context("support", user_id="carol"):
            await agent.run("hi", session="carol-1")


UNPRICED_COLUMNS = ("id", "provider", "model", "module", "user_id", "session_id", "status", "prompt_tokens",
                    "completion_tokens", "total_tokens", "cost_usd", "latency_ms", "created_at")  # fmt: skip


def unpriced_rows(
    n: int, *, user: str = "dave", ago: timedelta = timedelta(minutes=5)
) -> list[tuple[Any, ...]]:
    """``n`` successful calls of a model with no known price (cost NULL)."""
    when = datetime.now(UTC) - ago
    return [
        (uuid.uuid4().hex, "openai", "my-local-model", "labs", user, None, "success", 300, 20, 320, None,
         400.0 + i, when)
        for i in range(n)
    ]  # fmt: skip


async def insert(url: str, rows: list[tuple[Any, ...]], columns: tuple[str, ...] = UNPRICED_COLUMNS) -> None:
    from sqlalchemy import insert as sa_insert

    from agentcore.storage.db import open_database
    from agentcore.tracing.calllog import CALLS

    engine = await open_database(url)
    async with engine.begin() as conn:
        await conn.execute(sa_insert(CALLS), [dict(zip(columns, r, strict=True)) for r in rows])


def sqlite_path(url: str) -> Path:
    return Path(url.split(":///", 1)[1])


def sqlite_rows(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(sqlite_path(url)) as conn:
        return conn.execute(sql, args).fetchall()


KEYED_COLUMNS = (*UNPRICED_COLUMNS, "profile", "target", "tags")


def keyed_rows() -> list[tuple[Any, ...]]:
    """Priced calls served by the gateway under two API keys (the ``key_id`` tag) and profiles."""
    when = datetime.now(UTC) - timedelta(minutes=7)
    out: list[tuple[Any, ...]] = []
    for i, key in enumerate(("k-red", "k-blue", "k-blue", "k-red", "k-blue")):
        out.append((uuid.uuid4().hex, "openai", "gpt-4o-mini", "gateway", "erin", None, "success",
                    1000 + 100 * i, 50, 1050 + 100 * i, 0.0005, 300.0 + i, when, f"p-{key}", "primary",
                    f'{{"key_id": "{key}", "route": "chat"}}'))  # fmt: skip
    return out
