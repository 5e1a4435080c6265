"""The call-log tables on SQLite and PostgreSQL: the v1 -> v3 upgrade in place (v2 -> v3: in
test_calllog_v3.py), one bad row never takes its batch with it, and nothing is lost without a
durable trace (spill file + error line)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from agentcore.storage.db import dispose_engines, open_database
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


_V1_DDL = [
    """CREATE TABLE llm_call_logs (
        id VARCHAR(32) NOT NULL PRIMARY KEY, trace_id VARCHAR(32), parent_call_id VARCHAR(32),
        session_id VARCHAR(200), module VARCHAR(200), user_id VARCHAR(200), tags VARCHAR,
        provider VARCHAR(50) NOT NULL, model VARCHAR(200) NOT NULL, purpose VARCHAR(20) NOT NULL,
        stream BOOLEAN NOT NULL, messages_count INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL,
        total_tokens INTEGER NOT NULL, cost_usd FLOAT, latency_ms FLOAT NOT NULL, time_to_first_token_ms FLOAT,
        status VARCHAR(20) NOT NULL, error_type VARCHAR(100), error_message VARCHAR,
        finish_reason VARCHAR(50), attempt INTEGER NOT NULL, retries INTEGER NOT NULL,
        request_body VARCHAR, response_body VARCHAR, created_at TIMESTAMP NOT NULL)""",
    "CREATE INDEX ix_llm_call_logs_trace_id ON llm_call_logs (trace_id)",
    "CREATE INDEX ix_llm_call_logs_session_id ON llm_call_logs (session_id)",
    "CREATE INDEX ix_llm_call_logs_model ON llm_call_logs (model)",
    "CREATE INDEX ix_llm_call_logs_status ON llm_call_logs (status)",
    "CREATE INDEX ix_llm_call_logs_created_at ON llm_call_logs (created_at)",
    """CREATE TABLE llm_model_usage (
        provider VARCHAR(50) NOT NULL, model VARCHAR(200) NOT NULL, requests INTEGER NOT NULL,
        errors INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
        cached_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL, cost_usd FLOAT NOT NULL,
        last_used_at TIMESTAMP, PRIMARY KEY (provider, model))""",
    "CREATE TABLE agentcore_schema (name VARCHAR(64) PRIMARY KEY, version INTEGER NOT NULL)",
    "INSERT INTO agentcore_schema (name, version) VALUES ('calllog', 1)",
]


def _v1_row(i: int, status: str, prompt: int, completion: int, cost: float | None, model: str) -> str:
    return (
        "INSERT INTO llm_call_logs (id, provider, model, purpose, stream, messages_count, prompt_tokens, "
        "completion_tokens, cached_tokens, reasoning_tokens, total_tokens, cost_usd, latency_ms, status, "
        f"attempt, retries, created_at, session_id) VALUES ('{i:032x}', 'openai', '{model}', 'turn', "
        f"(1 = 0), 1, {prompt}, {completion}, 0, 0, {prompt + completion}, "
        f"{'NULL' if cost is None else cost}, 5.0, '{status}', 1, 0, '2025-11-01 10:00:0{i}', 's1')"
    )


async def _run_sql(url: str, statements: list[str]) -> None:
    from sqlalchemy import text

    from agentcore.storage.db import get_engine

    engine = get_engine(url)
    async with engine.begin() as conn:
        for sql in statements:
            await conn.execute(text(sql))


async def test_v1_database_is_upgraded_in_place(db: Db) -> None:
    from sqlalchemy import select

    from agentcore.tracing.calllog import CALLS, MODEL_USAGE

    v1_rows = [
        _v1_row(1, "success", 100, 20, 0.5, "gpt-4o-mini"),
        _v1_row(2, "error", 0, 0, None, "gpt-4o-mini"),  # v1 wrote 0 tokens for "no usage"
        _v1_row(3, "success", 50, 5, None, "mystery"),
    ]
    schema = [f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'] if db.schema else []
    await _run_sql(db.url, [*schema, *_V1_DDL, *v1_rows])
    await dispose_engines()
    engine = await open_database(db.url)
    async with engine.connect() as conn:
        got = (await conn.execute(select(CALLS).order_by(CALLS.c.id))).all()
        usage = {r.model: r for r in (await conn.execute(select(MODEL_USAGE))).all()}
    assert [(r.status, r.usage_reported, r.prompt_tokens, r.completion_tokens, r.cost_usd) for r in got] == [
        ("success", True, 100, 20, 0.5),
        ("error", False, None, None, None),
        ("success", True, 50, 5, None),
    ]
    assert {r.session_id for r in got} == {"s1"} and not any(r.failover for r in got)
    mini = usage["gpt-4o-mini"]
    assert (mini.requests, mini.errors, mini.prompt_tokens, mini.unreported_requests, mini.unpriced_requests) == (
        2, 1, 100, 1, 1,
    )  # fmt: skip
    assert (mini.cost_usd, mini.cost_usd_priced) == (None, 0.5)
    assert usage["mystery"].cost_usd is None
    assert (mini.cache_hits, mini.saved_usd, mini.unpriced_hits) == (0, 0.0, 0)  # v1 had no cache
    assert db.query("SELECT version FROM agentcore_schema WHERE name = 'calllog'") == [(3,)]
    # The upgraded tables take new rows (indexes and columns in place).
    writer = CallLogWriter(db.url)
    writer.submit("call", {**call_row(9), "agent": "a", "usage_reported": True})
    await writer.close()
    assert writer.written == 1 and db.query("SELECT COUNT(*) FROM llm_call_logs") == [(4,)]


async def test_a_bad_row_is_lost_alone_and_spilled(
    db: Db, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from agentcore.logs import ensure_logging

    ensure_logging()
    logging.getLogger("agentcore").addHandler(caplog.handler)
    spill = tmp_path / "spill.jsonl"
    writer = CallLogWriter(db.url, spill_path=spill)
    writer.submit("call", call_row(1))
    await writer.flush()
    # 20 rows in one batch: a session name over 200 characters (truncated, kept), a NUL and a lone
    # surrogate (escaped, kept), and a duplicate id (refused by the database: the only row lost).
    batch = [call_row(i) for i in range(100, 117)]
    batch.append({**call_row(200), "session_id": "s" * 300, "module": "nul\x00here"})
    batch.append({**call_row(201), "error_message": "bad \udcff byte", "model": "m" * 250})
    batch.append(call_row(1))
    for row in batch:
        writer.submit("call", row)
    await writer.close()
    logging.getLogger("agentcore").removeHandler(caplog.handler)
    assert (writer.written, writer.failed) == (20, 1)
    assert db.query("SELECT COUNT(*) FROM llm_call_logs") == [(20,)]
    [(session, module)] = db.query("SELECT session_id, module FROM llm_call_logs WHERE id = ?", f"{200:032x}")
    assert len(session) == 200 and session.endswith("\u2026") and module == "nul\\x00here"
    [(message, model)] = db.query(
        "SELECT error_message, model FROM llm_call_logs WHERE id = ?", f"{201:032x}"
    )
    assert message == "bad \\udcff byte" and len(model) == 200
    [record] = [json.loads(line) for line in spill.read_text().splitlines()]
    assert record["reason"] == "write_failed" and record["row"]["id"] == f"{1:032x}"
    assert any("calllog.write_failed" in str(r.msg) and r.levelno == logging.ERROR for r in caplog.records)


async def test_a_full_queue_leaves_a_spill_record(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from agentcore.logs import ensure_logging

    ensure_logging()
    logging.getLogger("agentcore").addHandler(caplog.handler)
    spill = tmp_path / "spill.jsonl"
    writer = CallLogWriter(f"sqlite:///{tmp_path / 'q.db'}", max_queue=5, spill_path=spill)
    accepted = [writer.submit("call", call_row(i)) for i in range(8)]
    await writer.close()
    logging.getLogger("agentcore").removeHandler(caplog.handler)
    assert accepted.count(False) == 3 and writer.written == 5
    [record] = [json.loads(line) for line in spill.read_text().splitlines()]
    assert (record["reason"], record["dropped"]) == ("queue_full", 3)
    assert any("calllog.rows_dropped" in str(r.msg) for r in caplog.records)
