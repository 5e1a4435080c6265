"""Dashboard: every page's server time on a call log of 1,000,000 rows (SQLite and PostgreSQL).

Rows are generated with ``executemany`` (SQLite) / ``COPY`` (PostgreSQL) over 30 days, 20 users,
8 models, 2,000 sessions and 5% errors; 2% of rows unpriced. Each page is requested through the
ASGI app in process (httpx transport), so the figure is the app's time: queries and rendering.
Target: every page < 300 ms.
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.api import Row, median, p90

GROUP = "dashboard page time (1M call-log rows)"
TARGET_MS = 300.0
PG_DSN = os.environ.get("AGENTCORE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
MODELS = [("openai", "gpt-4o-mini"), ("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4-5"),
          ("anthropic", "claude-haiku-4-5"), ("openai", "gpt-5"), ("openai", "o3"),
          ("deepseek", "deepseek-chat"), ("openai", "my-local-model")]  # fmt: skip
COLUMNS = ("id", "trace_id", "session_id", "module", "user_id", "provider", "model", "purpose", "stream",
           "messages_count", "prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens",
           "total_tokens", "cost_usd", "latency_ms", "time_to_first_token_ms", "status", "error_type",
           "error_message", "attempt", "retries", "created_at")  # fmt: skip


def make_rows(n: int, *, days: int = 30, seed: int = 7) -> list[tuple[Any, ...]]:
    """``n`` call-log rows spread over the last ``days`` days (values in ``COLUMNS`` order)."""
    rnd = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None)
    span = days * 86400
    out: list[tuple[Any, ...]] = []
    for i in range(n):
        provider, model = MODELS[i % len(MODELS)]
        error = rnd.random() < 0.05
        prompt, completion = rnd.randint(50, 5000), rnd.randint(10, 800)
        unpriced = model == "my-local-model"
        stream = i % 3 == 0
        out.append((
            uuid.UUID(int=rnd.getrandbits(128)).hex, uuid.UUID(int=rnd.getrandbits(128)).hex,
            f"s{rnd.randrange(2000)}", f"mod{i % 5}", f"user{rnd.randrange(20)}", provider, model, "turn",
            stream, 3, prompt, completion, prompt // 4, 0, prompt + completion,
            None if unpriced or error else (prompt * 1.5e-7 + completion * 6e-7),
            rnd.uniform(200, 9000), rnd.uniform(100, 900) if stream else None,
            "error" if error else "success", "rate_limit" if error else None,
            "429 too many" if error else None, 1, 0, now - timedelta(seconds=rnd.uniform(0, span)),
        ))  # fmt: skip
    out.sort(key=lambda r: r[-1])  # the writer appends in time order
    return out


def fill_sqlite(path: Path, rows: list[tuple[Any, ...]]) -> None:
    with sqlite3.connect(path) as conn:
        # Bulk load: drop the indexes, insert, then rebuild them (one sort each, not 1M inserts each).
        indexes = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'llm_call_logs' AND sql IS NOT NULL"
        ).fetchall()
        for (sql,) in indexes:
            conn.execute(f"DROP INDEX {sql.split(' ON ')[0].split()[-1]}")
        conn.execute("PRAGMA cache_size = -400000")
        marks = ", ".join("?" * len(COLUMNS))
        conn.executemany(
            f"INSERT INTO llm_call_logs ({', '.join(COLUMNS)}) VALUES ({marks})",
            [(*r[:-1], r[-1].strftime("%Y-%m-%d %H:%M:%S.%f")) for r in rows],
        )
        for (sql,) in indexes:
            conn.execute(sql)
        conn.execute("ANALYZE")


async def fill_pg(schema: str, rows: list[tuple[Any, ...]]) -> None:
    import asyncpg  # pyright: ignore[reportMissingTypeStubs]

    conn: Any = await asyncpg.connect(PG_DSN, server_settings={"search_path": schema})  # pyright: ignore[reportUnknownVariableType]
    try:
        await conn.copy_records_to_table("llm_call_logs", records=rows, columns=list(COLUMNS))
        await conn.execute("ANALYZE llm_call_logs")
    finally:
        await conn.close()


PAGES = (
    ("overview 24h", "/?period=24h"),
    ("overview 7d", "/?period=7d"),
    ("overview 30d", "/?period=30d"),
    ("overview 7d, one user", "/?period=7d&user=user3"),
    ("overview 30d, by session", "/?period=30d&by=session"),
    ("calls, first page", "/calls?period=30d"),
    ("calls, user+model filter", "/calls?period=30d&user=user3&model=gpt-4o"),
    ("calls, errors only", "/calls?period=7d&status=error"),
    ("traces", "/traces"),
    ("sessions", "/sessions"),
)


async def _measure(url: str, label: str, rounds: int) -> list[Row]:
    import httpx2 as httpx

    from agentcore.dashboard import _rollup, create_dashboard_app
    from agentcore.storage.db import open_database

    rows: list[Row] = []
    # The hourly rollup is built once (then one settled hour at a time): timed on its own.
    start = time.perf_counter()
    await _rollup.refresh(await open_database(url))
    build = (time.perf_counter() - start) * 1000
    rows.append(Row(GROUP, f"{label}: rollup build (one-time)", build, note="first open of a big log"))
    app = create_dashboard_app(url)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for name, path in PAGES:
            times: list[float] = []
            for i in range(rounds + 1):
                start = time.perf_counter()
                response = await client.get(path)
                elapsed = (time.perf_counter() - start) * 1000
                assert response.status_code == 200, (path, response.status_code)
                if i:  # the first request opens the database and warms the caches
                    times.append(elapsed)
            med = median(times)
            rows.append(Row(GROUP, f"{label}: {name}", med, p90(times), target=f"< {TARGET_MS:.0f} ms",
                            met=med < TARGET_MS))  # fmt: skip
    return rows


async def run(quick: bool) -> list[Row]:
    """Every page's median time on SQLite and on PostgreSQL (when reachable)."""
    from agentcore.dashboard import _schema
    from agentcore.storage.db import dispose_engines, open_database

    _schema.register()
    n = 200_000 if quick else 1_000_000
    rounds = 3 if quick else 5
    rows_data = make_rows(n)
    out: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dash.db"
        url = f"sqlite+aiosqlite:///{path}"
        await open_database(url)
        await dispose_engines()
        fill_sqlite(path, rows_data)
        out += await _measure(url, "SQLite", rounds)
        await dispose_engines()
    try:
        import asyncpg  # pyright: ignore[reportMissingTypeStubs]

        schema = f"bench_dash_{uuid.uuid4().hex[:8]}"
        conn: Any = await asyncpg.connect(PG_DSN)  # pyright: ignore[reportUnknownVariableType]
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.close()
    except Exception as exc:  # PostgreSQL absent: SQLite figures only
        out.append(Row(GROUP, "PostgreSQL", 0.0, note=f"skipped: {type(exc).__name__}"))
        return out
    url = f"{PG_DSN.replace('postgresql://', 'postgresql+asyncpg://')}?schema={schema}"
    try:
        await open_database(url)
        await fill_pg(schema, rows_data)
        out += await _measure(url, "PostgreSQL", rounds)
    finally:
        await dispose_engines()
        conn = await asyncpg.connect(PG_DSN)  # pyright: ignore[reportUnknownVariableType]
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()
    return out
