"""The dashboard's indexes and its hourly rollup, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2 as httpx

from agentcore.dashboard import _rollup, _schema, create_dashboard_app
from tests.dashboard import _seed
from tests.storage.conftest import Db


def _index_names(db: Db) -> set[str]:
    if db.kind == "sqlite":
        rows = db.query("SELECT name FROM sqlite_master WHERE type = 'index'")
    else:
        rows = db.query("SELECT indexname FROM pg_indexes WHERE schemaname = ?", db.schema)
    return {str(r[0]) for r in rows}


async def test_a_call_log_from_before_the_dashboard_gets_its_indexes_in_place(db: Db) -> None:
    from agentcore.storage import db as storage
    from agentcore.storage.db import dispose_engines, open_database

    # The previous version: the call-log schema only, with rows in it.
    saved = storage._SCHEMAS.pop(_schema.SCHEMA_NAME, None)  # pyright: ignore[reportPrivateUsage]
    try:
        storage._ready.clear()  # pyright: ignore[reportPrivateUsage]
        await open_database(db.url)
        await _seed.insert(db.url, _seed.unpriced_rows(4, user="erin"))
        await dispose_engines()
    finally:
        if saved is not None:
            storage._SCHEMAS[_schema.SCHEMA_NAME] = saved  # pyright: ignore[reportPrivateUsage]
    assert not {name for name, _, _ in _schema.INDEXES} & _index_names(db)
    assert db.query("SELECT version FROM agentcore_schema WHERE name = 'dashboard'") == []

    storage._ready.clear()  # pyright: ignore[reportPrivateUsage]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_dashboard_app(db.url)), base_url="http://t"
    ) as c:
        page = (await c.get("/calls?period=1h&user=erin")).text
    assert len(re.findall(r'<tr class="success"', page)) == 4
    assert {name for name, _, _ in _schema.INDEXES} <= _index_names(db)
    assert db.query("SELECT version FROM agentcore_schema WHERE name = 'dashboard'") == [
        (_schema.SCHEMA_VERSION,)
    ]


V2_INDEXES = {name for name, _, _ in _schema.INDEXES_V2} | {_schema.KEY_INDEX}


async def test_a_v1_dashboard_database_gets_the_v2_indexes_and_rollup_tables_in_place(db: Db) -> None:
    from agentcore.storage import db as storage
    from agentcore.storage.db import dispose_engines

    when = datetime.now(UTC) - timedelta(minutes=5)
    columns = (*_seed.UNPRICED_COLUMNS, "profile", "tags")
    rows = [(*r, "cheap", '{"key_id": "k-blue"}') for r in _seed.unpriced_rows(3, user="erin")]
    rows += [(*r, None, "not json") for r in _seed.unpriced_rows(2, user="erin")]
    await _seed.insert(db.url, rows, columns)
    # Back to the v1 layout: v1 indexes only, no rollup tables, version 1.
    await dispose_engines()
    for name in V2_INDEXES:
        db.query(f"DROP INDEX IF EXISTS {name}")
    db.query(f"DROP TABLE IF EXISTS {_rollup.TABLE}")
    db.query(f"DROP TABLE IF EXISTS {_rollup.STATE}")
    db.query("UPDATE agentcore_schema SET version = 1 WHERE name = 'dashboard'")
    storage._ready.clear()  # pyright: ignore[reportPrivateUsage]
    assert not V2_INDEXES & _index_names(db)

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_dashboard_app(db.url)), base_url="http://t"
    ) as c:
        by_key = (await c.get(f"/calls?period=custom&from={when:%Y-%m-%dT00:00}&key=k-blue")).text
        by_profile = (await c.get("/calls?period=1h&profile=cheap")).text
    assert len(re.findall(r'<tr class="success"', by_key)) == 3
    assert len(re.findall(r'<tr class="success"', by_profile)) == 3
    assert V2_INDEXES - ({_schema.KEY_INDEX} if db.kind != "sqlite" else set()) <= _index_names(db)
    assert db.query("SELECT version FROM agentcore_schema WHERE name = 'dashboard'") == [(2,)]
    assert db.query(f"SELECT count(*) FROM {_rollup.TABLE}") == [(0,)]
    if db.kind == "sqlite":  # the key filter reads its expression index
        from sqlalchemy import select

        from agentcore.dashboard._queries import FILTER_COLUMNS, Filters
        from agentcore.storage.db import open_database
        from agentcore.tracing.calllog import CALLS

        engine = await open_database(db.url)
        stmt = select(CALLS.c.id).where(*Filters(equal={"key": "k-blue"}).where())
        sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
        plan = db.query(f"EXPLAIN QUERY PLAN {sql}")
        assert _schema.KEY_INDEX in str(plan), plan
        assert "key" in FILTER_COLUMNS


async def test_long_periods_read_the_rollup_with_exact_counts_tokens_and_cost(db: Db) -> None:
    now = datetime.now(UTC)
    rows: list[tuple[Any, ...]] = []
    for day in range(6):  # priced rows over 6 days, plus unpriced ones 3 days ago
        for i in range(5):
            rows.append((f"d{day}r{i}", "openai", "gpt-4o-mini", "m", f"u{i % 2}", None,
                         "error" if i == 4 else "success", 100 + i, 10, 110 + i,
                         None if i == 4 else 0.001, 100.0 * (i + 1), now - timedelta(days=day, hours=3)))  # fmt: skip
    rows += _seed.unpriced_rows(2, user="u1", ago=timedelta(days=3))
    rows += _seed.unpriced_rows(1, user="u0", ago=timedelta(minutes=10))  # in the raw tail
    await _seed.insert(db.url, rows)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_dashboard_app(db.url)), base_url="http://t"
    ) as c:
        page = (await c.get("/?period=7d&by=user")).text
        u1 = (await c.get("/?period=7d&user=u1")).text
    assert 'id="approx"' in page  # read from the rollup
    assert re.search(r'data-fig="requests">33<', page)
    assert re.search(r'data-fig="errors">6<', page)
    assert re.search(r'data-fig="prompt_tokens">3,960<', page)
    assert re.search(r'data-fig="cost"[^>]*>\$0\.0240 \+ 3 unpriced<', page)
    # u1: rows 1 and 3 of each day (priced) + 2 unpriced
    assert re.search(r'data-fig="requests">14<', u1)
    assert re.search(r'data-fig="cost"[^>]*>\$0\.0120 \+ 2 unpriced<', u1)
    # The 400 ms latencies dominate p95: the histogram answer is within a bucket (±12%).
    p95 = re.search(r'data-fig="p95">≈ ([\d,]+) ms<', page)
    assert p95 and 400 * 0.88 <= float(p95.group(1).replace(",", "")) <= 500 * 1.12
    count = db.query(f"SELECT count(*) FROM {_rollup.TABLE} WHERE dim = 'all'")[0][0]
    assert count == 7  # one row per settled hour with calls (6 days + the unpriced hour)
