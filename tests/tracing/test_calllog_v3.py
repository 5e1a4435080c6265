"""Schema ``calllog`` v3 (what cache hits saved): a real v2 database, as v2 wrote it on SQLite and on
PostgreSQL, upgraded in place - every row kept, the model totals no longer counting hits as spent,
the same columns as a new database, and new rows written afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from agentcore.storage.db import dispose_engines, open_database
from agentcore.tracing.query import usage_by
from agentcore.tracing.writer import CallLogWriter
from tests.storage.conftest import Db, make_db
from tests.tracing.test_calllog import call_row


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    yield from make_db(request.param, tmp_path)


@pytest.fixture(autouse=True)
async def _close_engines() -> AsyncIterator[None]:
    yield
    await dispose_engines()


_V2_INDEXED = (
    "agent_id",
    "created_at",
    "module",
    "session_id",
    "model",
    "status",
    "trace_id",
    "agent",
    "user_id",
)


def _v2_ddl(timestamp: str) -> list[str]:
    """The v2 tables exactly as v2's ``create_all`` made them (``timestamp``: the dialect's type)."""
    return [
        f"""CREATE TABLE llm_call_logs (
            id VARCHAR(32) NOT NULL, trace_id VARCHAR(32), parent_call_id VARCHAR(32),
            session_id VARCHAR(200), agent VARCHAR(200), agent_id VARCHAR(32), module VARCHAR(200),
            user_id VARCHAR(200), tags VARCHAR, provider VARCHAR(50) NOT NULL, model VARCHAR(200) NOT NULL,
            profile VARCHAR(200), target VARCHAR(200), failover BOOLEAN NOT NULL, base_url_host VARCHAR(255),
            purpose VARCHAR(20) NOT NULL, stream BOOLEAN NOT NULL, messages_count INTEGER NOT NULL,
            usage_reported BOOLEAN NOT NULL, prompt_tokens INTEGER, completion_tokens INTEGER,
            cached_tokens INTEGER, cache_write_tokens INTEGER, cache_write_1h_tokens INTEGER,
            reasoning_tokens INTEGER, total_tokens INTEGER, cost_usd FLOAT, latency_ms FLOAT NOT NULL,
            time_to_first_token_ms FLOAT, status VARCHAR(20) NOT NULL, error_kind VARCHAR(50),
            error_type VARCHAR(100), error_message VARCHAR, finish_reason VARCHAR(50),
            attempt INTEGER NOT NULL, retries INTEGER NOT NULL, request_body VARCHAR, response_body VARCHAR,
            created_at {timestamp} NOT NULL, PRIMARY KEY (id))""",
        *(f"CREATE INDEX ix_llm_call_logs_{c} ON llm_call_logs ({c})" for c in _V2_INDEXED),
        f"""CREATE TABLE llm_model_usage (
            provider VARCHAR(50) NOT NULL, model VARCHAR(200) NOT NULL, requests INTEGER NOT NULL,
            errors INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
            cached_tokens INTEGER NOT NULL, cache_write_tokens INTEGER NOT NULL,
            reasoning_tokens INTEGER NOT NULL, unreported_requests INTEGER NOT NULL,
            unpriced_requests INTEGER NOT NULL, cost_usd_priced FLOAT NOT NULL, cost_usd FLOAT,
            last_used_at {timestamp}, PRIMARY KEY (provider, model))""",
        f"""CREATE TABLE trace_spans (
            id VARCHAR(32) NOT NULL, trace_id VARCHAR(32) NOT NULL, parent_id VARCHAR(32),
            kind VARCHAR(20) NOT NULL, name VARCHAR(200) NOT NULL, session_id VARCHAR(200),
            module VARCHAR(200), user_id VARCHAR(200), status VARCHAR(20) NOT NULL, latency_ms FLOAT NOT NULL,
            detail VARCHAR, created_at {timestamp} NOT NULL, PRIMARY KEY (id))""",
        "CREATE INDEX ix_trace_spans_created_at ON trace_spans (created_at)",
        "CREATE INDEX ix_trace_spans_trace_id ON trace_spans (trace_id)",
        "CREATE TABLE agentcore_schema (name VARCHAR(64) PRIMARY KEY, version INTEGER NOT NULL)",
        "INSERT INTO agentcore_schema (name, version) VALUES ('calllog', 2)",
    ]


def _v2_call(i: int, status: str, model: str, tokens: tuple[int, int, int] | None, cost: float | None) -> str:
    """A v2 row; a v2 cache hit had the original tokens and cost 0."""
    reported = tokens is not None
    p, c, cached = tokens if tokens is not None else (None, None, None)
    values = ", ".join("NULL" if v is None else str(v) for v in (p, c, cached, cost))
    return (
        "INSERT INTO llm_call_logs (id, provider, model, failover, purpose, stream, messages_count, "
        "usage_reported, prompt_tokens, completion_tokens, cached_tokens, cost_usd, latency_ms, status, "
        f"attempt, retries, created_at, session_id) VALUES ('{i:032x}', 'openai', '{model}', (1 = 0), "
        f"'turn', (1 = 0), 1, {'(1 = 1)' if reported else '(1 = 0)'}, {values}, 5.0, '{status}', 1, 0, "
        f"'2025-12-01 10:00:0{i}', 's1')"
    )


# The v2 totals of those rows: the hits' tokens counted as spent, the unreported hit as unreported.
_V2_TOTALS = [
    "INSERT INTO llm_model_usage VALUES ('openai', 'gpt-4o-mini', 3, 0, 200, 40, 10, 0, 0, 1, 0, 0.5, 0.5, "
    "'2025-12-01 10:00:03')",
    "INSERT INTO llm_model_usage VALUES ('openai', 'mystery', 1, 0, 50, 5, 0, 0, 0, 0, 1, 0.0, NULL, "
    "'2025-12-01 10:00:04')",
]


async def _run_sql(url: str, statements: list[str]) -> None:
    from sqlalchemy import text

    from agentcore.storage.db import get_engine

    engine = get_engine(url)
    async with engine.begin() as conn:
        for sql in statements:
            await conn.execute(text(sql))


async def _columns(url: str) -> dict[str, set[tuple[str, bool]]]:
    from sqlalchemy import inspect

    engine = await open_database(url)

    def read(conn: Any) -> dict[str, set[tuple[str, bool]]]:
        inspector = inspect(conn)
        return {
            t: {(c["name"], bool(c["nullable"])) for c in inspector.get_columns(t)}
            for t in ("llm_call_logs", "llm_model_usage", "trace_spans")
        }

    async with engine.connect() as conn:
        return await conn.run_sync(read)


async def test_v2_database_is_upgraded_in_place(db: Db, tmp_path: Path) -> None:
    from sqlalchemy import select

    from agentcore.tracing.calllog import CALLS, MODEL_USAGE

    timestamp = "DATETIME" if db.kind == "sqlite" else "TIMESTAMP WITH TIME ZONE"
    rows = [
        _v2_call(1, "success", "gpt-4o-mini", (100, 20, 10), 0.5),
        _v2_call(2, "cache_hit", "gpt-4o-mini", (100, 20, 10), 0.0),
        _v2_call(3, "cache_hit", "gpt-4o-mini", None, 0.0),  # the original call reported no usage
        _v2_call(4, "success", "mystery", (50, 5, 0), None),
    ]
    schema = [f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'] if db.schema else []
    await _run_sql(db.url, [*schema, *_v2_ddl(timestamp), *rows, *_V2_TOTALS])
    await dispose_engines()

    engine = await open_database(db.url)
    async with engine.connect() as conn:
        calls = (await conn.execute(select(CALLS).order_by(CALLS.c.id))).all()
        usage = {r.model: r for r in (await conn.execute(select(MODEL_USAGE))).all()}
    assert db.query("SELECT version FROM agentcore_schema WHERE name = 'calllog'") == [(3,)]
    # Every row kept; v2 never stored what a hit saved: unknown, not $0.
    assert [(r.status, r.prompt_tokens, r.cost_usd, r.saved_usd) for r in calls] == [
        ("success", 100, 0.5, None),
        ("cache_hit", 100, 0.0, None),
        ("cache_hit", None, 0.0, None),
        ("success", 50, None, None),
    ]
    mini = usage["gpt-4o-mini"]
    # The hits' tokens moved from spent to saved; requests still count them.
    assert (mini.requests, mini.prompt_tokens, mini.completion_tokens, mini.cached_tokens) == (3, 100, 20, 0)
    assert (mini.unreported_requests, mini.cost_usd, mini.cost_usd_priced) == (0, 0.5, 0.5)
    assert (mini.cache_hits, mini.saved_prompt_tokens, mini.saved_completion_tokens) == (2, 100, 20)
    assert (mini.unpriced_hits, mini.saved_usd_priced, mini.saved_usd) == (2, 0.0, None)
    mystery = usage["mystery"]
    assert (mystery.prompt_tokens, mystery.cost_usd, mystery.cache_hits, mystery.saved_usd) == (
        50,
        None,
        0,
        0.0,
    )

    # The same columns as a database created by v3.
    if db.schema is None:
        assert await _columns(db.url) == await _columns(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    else:
        fresh = f"{db.schema}_fresh"
        try:
            assert await _columns(db.url) == await _columns(db.url.replace(db.schema, fresh))
        finally:
            db.query(f'DROP SCHEMA IF EXISTS "{fresh}" CASCADE')

    # The upgraded tables take new rows, and the totals go on from the upgraded figures.
    writer = CallLogWriter(db.url)
    hit = {**call_row(9), "status": "cache_hit", "cost_usd": 0.0, "saved_usd": 0.25, "usage_reported": True}
    writer.submit("call", hit)
    await writer.close()
    assert writer.written == 1
    [(hits, unpriced, priced, saved, prompt)] = db.query(
        "SELECT cache_hits, unpriced_hits, saved_usd_priced, saved_usd, prompt_tokens FROM llm_model_usage "
        "WHERE model = 'gpt-4o-mini'"
    )
    assert (hits, unpriced, priced, saved, prompt) == (3, 2, 0.25, None, 100)
    [group] = [g for g in await usage_by(db.url, "model") if g["model"] == "openai/gpt-4o-mini"]
    assert (group["cache_hits"], group["cache_saved_tokens"], group["cache_unpriced_hits"]) == (3, 132, 2)
    assert (group["cache_saved_usd"], group["cache_saved_usd_priced"]) == (None, 0.25)
    assert (group["prompt_tokens"], group["cost_usd"]) == (100, 0.5)
