"""Dashboard: every page's time on a call log of 1,000,000 rows (SQLite and PostgreSQL).

The rows (30 days, 20 users, 8 models, 3 profiles, 4 agents, 10 gateway keys, 2,000 sessions, 5%
errors, the local model unpriced) are generated once and cached under ``bench/out`` as ages, not
times; each run copies them into a fresh database ending *now* (SQL ``INSERT ... SELECT`` on SQLite,
``COPY`` on PostgreSQL). Each page is requested through the ASGI app in process (httpx transport);
two figures per page: the wall time the client saw and the app's own ``Server-Timing`` (a
``perf_counter`` inside the request), which separates the server's work from a loaded machine.
Target: every page < 300 ms.
"""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench._common import OUT
from bench.api import Row, median, p90

GROUP = "dashboard page time (1M call-log rows)"
TARGET_MS = 300.0
PG_DSN = os.environ.get("AGENTCORE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
MODELS = [("openai", "gpt-4o-mini"), ("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4-5"),
          ("anthropic", "claude-haiku-4-5"), ("openai", "gpt-5"), ("openai", "o3"),
          ("deepseek", "deepseek-chat"), ("openai", "my-local-model")]  # fmt: skip
COLUMNS = ("id", "trace_id", "session_id", "agent", "module", "user_id", "tags", "provider", "model",
           "profile", "target", "purpose", "stream", "messages_count", "prompt_tokens",
           "completion_tokens", "cached_tokens", "reasoning_tokens", "total_tokens", "cost_usd",
           "latency_ms", "time_to_first_token_ms", "status", "error_type", "error_message", "attempt",
           "retries")  # fmt: skip
CACHE_VERSION = 2  # bump when make_rows changes


def make_rows(n: int, *, days: int = 30, seed: int = 7) -> list[tuple[Any, ...]]:
    """``n`` call-log rows over ``days`` days: ``COLUMNS`` values then the age in seconds, oldest first."""
    rnd = random.Random(seed)
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
            f"s{rnd.randrange(2000)}", f"agent{i % 4}", f"mod{i % 5}", f"user{rnd.randrange(20)}",
            json.dumps({"key_id": f"key{rnd.randrange(10)}"}), provider, model, f"profile{i % 3}",
            f"{provider}-{model}", "turn", stream, 3, prompt, completion, prompt // 4, 0,
            prompt + completion, None if unpriced or error else (prompt * 1.5e-7 + completion * 6e-7),
            rnd.uniform(200, 9000), rnd.uniform(100, 900) if stream else None,
            "error" if error else "success", "rate_limit" if error else None,
            "429 too many" if error else None, 1, 0, rnd.uniform(0, span),
        ))  # fmt: skip
    out.sort(key=lambda r: -r[-1])  # the writer appends in time order
    return out


def cached_rows(n: int) -> Path:
    """A SQLite file with the generated rows (table ``gen``), built on first use."""
    path = OUT / f"dashboard-rows-{n}-v{CACHE_VERSION}.sqlite"
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    with sqlite3.connect(tmp) as conn:
        conn.execute(f"CREATE TABLE gen ({', '.join(COLUMNS)}, age_s REAL)")
        marks = ", ".join("?" * (len(COLUMNS) + 1))
        conn.executemany(f"INSERT INTO gen VALUES ({marks})", make_rows(n))
    tmp.rename(path)
    return path


def fill_sqlite(path: Path, cache: Path, now: datetime) -> None:
    """Copy the cached rows into the call log of ``path``, the youngest ending at ``now``."""
    epoch = now.timestamp()
    with sqlite3.connect(path) as conn:
        # Bulk load: drop the indexes, insert, then rebuild them (one sort each, not 1M inserts each).
        indexes = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'llm_call_logs' AND sql IS NOT NULL"
        ).fetchall()
        for (sql,) in indexes:
            conn.execute(f"DROP INDEX {sql.split(' ON ')[0].split()[-1]}")
        conn.execute("PRAGMA cache_size = -400000")
        conn.execute("ATTACH DATABASE ? AS cache", (str(cache),))
        # The text form SQLAlchemy stores (microseconds, no zone).
        stamp = ("strftime('%Y-%m-%d %H:%M:%S', :e - age_s, 'unixepoch') || "
                 "printf('.%06d', CAST(((:e - age_s) - CAST(:e - age_s AS INTEGER)) * 1000000 AS INTEGER))")  # fmt: skip
        cols = ", ".join(COLUMNS)
        conn.execute(
            f"INSERT INTO llm_call_logs ({cols}, failover, usage_reported, created_at) "
            f"SELECT {cols}, 0, 1, {stamp} FROM cache.gen ORDER BY rowid",
            {"e": epoch},
        )
        conn.commit()
        conn.execute("DETACH DATABASE cache")
        for (sql,) in indexes:
            conn.execute(sql)
        conn.execute("ANALYZE")


async def fill_pg(schema: str, cache: Path, now: datetime) -> None:
    import asyncpg  # pyright: ignore[reportMissingTypeStubs]

    naive = now.replace(tzinfo=None)
    stream = COLUMNS.index("stream")  # SQLite hands back 0/1 for the boolean column
    with sqlite3.connect(cache) as src:
        records: list[tuple[Any, ...]] = [
            (*r[:stream], bool(r[stream]), *r[stream + 1 : -1], False, True, naive - timedelta(seconds=r[-1]))
            for r in src.execute("SELECT * FROM gen ORDER BY rowid")
        ]
    conn: Any = await asyncpg.connect(PG_DSN, server_settings={"search_path": schema})  # pyright: ignore[reportUnknownVariableType]
    try:
        await conn.copy_records_to_table(
            "llm_call_logs", records=records, columns=[*COLUMNS, "failover", "usage_reported", "created_at"]
        )
        await conn.execute("ANALYZE llm_call_logs")
    finally:
        await conn.close()


def pages(now: datetime, deep_cursor: str, trace_id: str) -> list[tuple[str, str]]:
    """(name, path) of every page measured."""
    start = (now - timedelta(days=3, hours=5, minutes=17)).strftime("%Y-%m-%dT%H:%M")
    end = (now - timedelta(hours=7, minutes=41)).strftime("%Y-%m-%dT%H:%M")
    custom = f"period=custom&from={start}&to={end}"
    out: list[tuple[str, str]] = []
    for period in ("period=1h", "period=24h", "period=7d", "period=30d", custom):
        label = period.split("&")[0].removeprefix("period=")
        out += [(f"overview {label}", f"/?{period}"), (f"overview {label}, one user", f"/?{period}&user=user3"),
                (f"overview {label}, one model", f"/?{period}&provider=openai&model=gpt-4o")]  # fmt: skip
    out += [
        ("overview 30d, by key", "/?period=30d&by=key"),
        ("overview 30d, by profile", "/?period=30d&by=profile"),
        ("overview 30d, by session", "/?period=30d&by=session"),
        ("calls, first page", "/calls?period=30d"),
        ("calls, deep page (half-way down the log)", f"/calls?period=30d&after={deep_cursor}"),
        ("calls, user+model filter", "/calls?period=30d&user=user3&model=gpt-4o"),
        ("calls, errors only", "/calls?period=7d&status=error"),
        ("calls, one key", "/calls?period=30d&key=key4"),
        ("trace", f"/traces/{trace_id}"),
        ("traces", "/traces"),
        ("sessions", "/sessions"),
    ]
    return out


async def _probe(url: str) -> tuple[str, str]:
    """A cursor half-way down the call log and one trace id."""
    from sqlalchemy import text

    from agentcore.storage.db import open_database

    engine = await open_database(url)
    async with engine.connect() as conn:
        n = (await conn.execute(text("SELECT count(*) FROM llm_call_logs"))).scalar_one()
        row = (
            await conn.execute(
                text("SELECT created_at, id, trace_id FROM llm_call_logs ORDER BY created_at DESC, id DESC "
                     "LIMIT 1 OFFSET :o"), {"o": n // 2}
            )
        ).one()  # fmt: skip
    when = row[0] if isinstance(row[0], datetime) else datetime.fromisoformat(str(row[0]))
    return quote(f"{when.replace(tzinfo=UTC).isoformat()}~{row[1]}"), str(row[2])


def _server_ms(response: Any, name: str = "app") -> float:
    found = re.search(rf"{name};dur=([\d.]+)", response.headers.get("server-timing", ""))
    return float(found.group(1)) if found else float("nan")


async def _measure(url: str, label: str, rounds: int, now: datetime) -> list[Row]:
    import httpx2 as httpx

    from agentcore.dashboard import _rollup, create_dashboard_app
    from agentcore.storage.db import open_database

    rows: list[Row] = []
    # The hourly rollup is built once (then one settled hour at a time): timed on its own.
    start = time.perf_counter()
    await _rollup.refresh(await open_database(url))
    build = (time.perf_counter() - start) * 1000
    rows.append(Row(GROUP, f"{label}: rollup build (one-time)", build, note="first open of a big log"))
    cursor, trace_id = await _probe(url)
    app = create_dashboard_app(url)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for name, path in pages(now, cursor, trace_id):
            wall: list[float] = []
            server: list[float] = []
            cpu: list[float] = []
            for i in range(rounds + 1):
                start = time.perf_counter()
                response = await client.get(path)
                elapsed = (time.perf_counter() - start) * 1000
                assert response.status_code == 200, (path, response.status_code, response.text[:300])
                if i:  # the first request opens the database and warms the caches
                    wall.append(elapsed)
                    server.append(_server_ms(response))
                    cpu.append(_server_ms(response, "cpu"))
            med = median(server)
            rows.append(Row(GROUP, f"{label}: {name}", med, p90(server), target=f"< {TARGET_MS:.0f} ms",
                            met=med < TARGET_MS,
                            note=f"CPU {median(cpu):.0f} ms; client wall {median(wall):.0f} ms"))  # fmt: skip
    return rows


async def run(quick: bool) -> list[Row]:
    """Every page's median server time on SQLite and on PostgreSQL (when reachable)."""
    from agentcore.dashboard import _schema
    from agentcore.storage.db import dispose_engines, open_database
    from agentcore.tracing import calllog

    calllog.register()
    _schema.register()
    n = 200_000 if quick else 1_000_000
    rounds = 3 if quick else 7
    cache = cached_rows(n)
    now = datetime.now(UTC)
    out: list[Row] = []
    only = os.environ.get("BENCH_DASHBOARD_DB", "sqlite,postgresql").split(",")
    if "sqlite" in only:
        with tempfile.TemporaryDirectory(dir=OUT) as tmp:
            path = Path(tmp) / "dash.db"
            url = f"sqlite+aiosqlite:///{path}"
            await open_database(url)
            await dispose_engines()
            fill_sqlite(path, cache, now)
            out += await _measure(url, "SQLite", rounds, now)
            await dispose_engines()
    if "postgresql" not in only:
        return out
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
        await fill_pg(schema, cache, now)
        out += await _measure(url, "PostgreSQL", rounds, now)
    finally:
        await dispose_engines()
        conn = await asyncpg.connect(PG_DSN)  # pyright: ignore[reportUnknownVariableType]
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()
    return out
