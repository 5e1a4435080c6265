"""Hourly pre-aggregates of the call log, so long periods render fast on millions of rows.

``dash_usage_hourly`` holds, per hour and per dimension value (everything, one model, profile,
target, module, user, gateway key, agent or status), the same sums the overview shows plus latency
histograms. It is a cache: built from ``llm_call_logs`` on demand, up to hours that ended
``SETTLE`` ago (the writer stores a row when its call ends, so a recent hour may still grow); the
rest of a period is read from the raw rows. Its layout follows ``_queries.TOKEN_COLUMNS``: when that list changes the table is rebuilt.
Percentiles read from it are approximate (histogram buckets ~12% wide) and shown as such.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, literal, select, text

from agentcore.dashboard._queries import GROUP_COLUMNS, NOT_REPORTED, TOKEN_COLUMNS, UNPRICED
from agentcore.tracing.calllog import CALLS

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

TABLE = "dash_usage_hourly"
STATE = "dash_rollup_state"
SETTLE = timedelta(hours=2)
# Dimension -> call-log column: every breakdown group but the session (one row per session and
# hour would be nearly as many rows as the log), and the status filter. "all" has the value "".
DIMS: dict[str, ColumnElement[Any]] = {
    **{name: column for name, column in GROUP_COLUMNS.items() if name != "session"},
    "status": CALLS.c.status,
}
# Latency histogram upper bounds (ms): 1 ms .. ~50 min, x1.25 per bucket.
BOUNDS: tuple[float, ...] = tuple(round(1.25**i, 3) for i in range(0, 70))
NONE = "(none)"
SUMS = ("requests", "errors", *(n for n, _ in TOKEN_COLUMNS), "cost_priced", "unpriced", "not_reported",
        "latency_sum", "ttft_count")  # fmt: skip
LAYOUT = hashlib.sha256(json.dumps([SUMS, BOUNDS, sorted(DIMS)]).encode()).hexdigest()[:16]


def hour_of(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H")


def hist_percentile(hist: dict[int, int], q: float) -> float | None:
    """Nearest-rank percentile from a histogram: the geometric middle of the bucket it falls in."""
    n = sum(hist.values())
    if not n:
        return None
    rank = max(1, math.ceil(n * q / 100))
    seen = 0
    for b in sorted(hist):
        seen += hist[b]
        if seen >= rank:
            low = BOUNDS[b - 1] if b else 0.0
            return round(math.sqrt(max(low, 0.5) * BOUNDS[b]), 1)
    return None


def ddl(pg: bool) -> list[str]:
    real = "DOUBLE PRECISION" if pg else "REAL"
    sums = ", ".join(
        f"{s} {real if s in ('cost_priced', 'latency_sum') else 'BIGINT'} NOT NULL DEFAULT 0" for s in SUMS
    )
    return [
        f"CREATE TABLE IF NOT EXISTS {STATE} (name VARCHAR(32) PRIMARY KEY, layout VARCHAR(32), upto VARCHAR(13))",
        f"CREATE TABLE IF NOT EXISTS {TABLE} (hour VARCHAR(13) NOT NULL, dim VARCHAR(16) NOT NULL, "
        f"value VARCHAR(200) NOT NULL, provider VARCHAR(50) NOT NULL, {sums}, lat_hist TEXT, ttft_hist TEXT, "
        "PRIMARY KEY (dim, value, provider, hour))",
    ]


class Acc:
    __slots__ = ("lat", "sums", "ttft")

    def __init__(self) -> None:
        self.sums: dict[str, float] = dict.fromkeys(SUMS, 0)
        self.lat: dict[int, int] = {}
        self.ttft: dict[int, int] = {}


async def refresh(engine: AsyncEngine, now: datetime | None = None) -> str | None:
    """Roll up every settled hour not rolled up yet; the first hour *not* covered (None: nothing yet)."""

    pg = engine.dialect.name == "postgresql"
    settled = hour_of((now or datetime.now(UTC)) - SETTLE)
    async with engine.begin() as conn:
        for statement in ddl(pg):
            await conn.execute(text(statement))
        if pg:  # one worker rolls up at a time; the others wait and find it done
            await conn.execute(text("SELECT pg_advisory_xact_lock(872315)"))
        state = (await conn.execute(text(f"SELECT layout, upto FROM {STATE} WHERE name = 'calls'"))).first()
        upto: str | None = None
        if state is not None and state[0] == LAYOUT:
            upto = state[1]
        elif state is not None:
            await conn.execute(text(f"DELETE FROM {TABLE}"))
        if upto is not None and upto >= settled:
            return upto
        where = [CALLS.c.created_at < hour_start(settled)]
        if upto is not None:
            where.append(CALLS.c.created_at >= hour_start(upto))
        accs = await _aggregate(conn, pg, where)
        await _store(conn, accs)
        await conn.execute(text(f"DELETE FROM {STATE} WHERE name = 'calls'"))
        await conn.execute(
            text(f"INSERT INTO {STATE} (name, layout, upto) VALUES ('calls', :l, :u)"),
            {"l": LAYOUT, "u": settled},
        )
    return settled


def hour_start(hour: str) -> datetime:
    return datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC)


def bucket_sql(column: Any) -> Any:
    """The histogram bucket of a value: the index of the first bound >= it (the last for larger
    values), as a binary search of nested CASEs (7 comparisons a row, not 70)."""

    def search(low: int, high: int) -> Any:  # the answer is in [low, high]
        if low == high:
            return low
        mid = (low + high) // 2
        return case((column <= BOUNDS[mid], search(low, mid)), else_=search(mid + 1, high))

    return case((column.is_(None), None), else_=search(0, len(BOUNDS) - 1))


def measures() -> list[Any]:
    """The sums of ``SUMS`` over a set of call-log rows, labelled by name."""
    return [
        func.count().label("requests"),
        func.sum(case_(CALLS.c.status == "error")).label("errors"),
        *(func.sum(CALLS.c[n]).label(n) for n, _ in TOKEN_COLUMNS),
        func.sum(CALLS.c.cost_usd).label("cost_priced"),
        func.sum(case_(UNPRICED)).label("unpriced"),
        (func.sum(case_(NOT_REPORTED)) if NOT_REPORTED is not None else literal(0)).label("not_reported"),
        func.sum(CALLS.c.latency_ms).label("latency_sum"),
        func.count(CALLS.c.time_to_first_token_ms).label("ttft_count"),
    ]


def hour_sql(pg: bool) -> Any:
    return (
        func.to_char(CALLS.c.created_at, "YYYY-MM-DD HH24") if pg else func.substr(CALLS.c.created_at, 1, 13)
    )


async def _aggregate(
    conn: AsyncConnection, pg: bool, where: list[Any]
) -> dict[tuple[str, str, str, str], Acc]:
    """The rollup rows of the matching call-log rows, summed by the database (a few scans per
    dimension instead of every row through Python)."""
    hour = hour_sql(pg)
    accs: dict[tuple[str, str, str, str], Acc] = {}
    for dim in ("all", *DIMS):
        if dim == "all":
            keys: list[Any] = [hour.label("h"), literal("").label("v"), literal("").label("p")]
            groups: list[Any] = [hour]
        else:
            column = DIMS[dim]
            provider = CALLS.c.provider if dim == "model" else literal("")
            keys = [hour.label("h"), column.label("v"), provider.label("p")]
            groups = [hour, column, *([provider] if dim == "model" else [])]
        result = await conn.execute(select(*keys, *measures()).where(*where).group_by(*groups))
        for row in result:
            # Values are cut to the column's 200 characters: two that share those are merged.
            acc = accs.setdefault((row.h, dim, NONE if row.v is None else str(row.v)[:200], row.p), Acc())
            m = row._mapping
            for name in SUMS:
                acc.sums[name] += m[name] or 0
        for hist, value in (("lat", CALLS.c.latency_ms), ("ttft", CALLS.c.time_to_first_token_ms)):
            b = bucket_sql(value)
            stmt = select(*keys, b.label("b"), func.count().label("n")).where(*where, value.is_not(None))
            result = await conn.execute(stmt.group_by(*groups, b))
            for row in result:
                acc = accs.get((row.h, dim, NONE if row.v is None else str(row.v)[:200], row.p))
                if acc is not None:
                    counts: dict[int, int] = getattr(acc, hist)
                    counts[int(row.b)] = counts.get(int(row.b), 0) + int(row.n)
    return accs


def case_(condition: Any) -> Any:
    return case((condition, 1), else_=0)


async def _store(conn: AsyncConnection, accs: dict[tuple[str, str, str, str], Acc]) -> None:
    if not accs:
        return
    names = ["hour", "dim", "value", "provider", *SUMS, "lat_hist", "ttft_hist"]
    sql = text(f"INSERT INTO {TABLE} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})")
    rows: list[dict[str, Any]] = []
    for (hour, dim, value, provider), acc in accs.items():
        rows.append({"hour": hour, "dim": dim, "value": value[:200], "provider": provider, **acc.sums,
                     "lat_hist": json.dumps(acc.lat), "ttft_hist": json.dumps(acc.ttft)})  # fmt: skip
    for i in range(0, len(rows), 2000):
        await conn.execute(sql, rows[i : i + 2000])


def _where(dim: str, value: str, provider: str | None, first: str, last: str) -> tuple[str, dict[str, Any]]:
    where = "dim = :dim AND hour >= :first AND hour < :last"
    params: dict[str, Any] = {"dim": dim, "first": first, "last": last}
    if value != "*":
        where += " AND value = :value"
        params["value"] = value
    if provider is not None:
        where += " AND provider = :provider"
        params["provider"] = provider
    return where, params


async def sums(
    engine: AsyncEngine, dim: str, value: str, provider: str | None, first: str, last: str, group: str = ""
) -> list[Any]:
    """Summed rollup rows of one dimension value (``value="*"``: every value) for hours in
    [first, last), grouped by ``group`` (column names, e.g. ``"hour"``; empty: one row)."""
    where, params = _where(dim, value, provider, first, last)
    cols = ", ".join(f"SUM({s}) AS {s}" for s in SUMS)
    sql = f"SELECT {group + ', ' if group else ''}{cols} FROM {TABLE} WHERE {where}"
    if group:
        sql += f" GROUP BY {group}"
    async with engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).all())


async def hists(
    engine: AsyncEngine, dim: str, value: str, provider: str | None, first: str, last: str
) -> list[Any]:
    """The latency and time-to-first-token histograms of the matching rollup rows."""
    where, params = _where(dim, value, provider, first, last)
    async with engine.connect() as conn:
        return list(
            (await conn.execute(text(f"SELECT lat_hist, ttft_hist FROM {TABLE} WHERE {where}"), params)).all()
        )


async def suggestions(
    engine: AsyncEngine, names: tuple[str, ...], now: datetime | None = None, limit: int = 50
) -> dict[str, list[str]]:
    """The most used values of each filter over the last week, for the Calls page's suggestions:
    the rollup's settled hours plus the raw rows after them (without a rollup: the last day's
    rows). Any value can still be typed."""
    from agentcore.dashboard._queries import FILTER_COLUMNS

    now = now or datetime.now(UTC)
    out: dict[str, list[str]] = {}
    async with engine.connect() as conn:
        state = (await conn.execute(text(f"SELECT layout, upto FROM {STATE} WHERE name = 'calls'"))).first()
        rolled = state is not None and state[0] == LAYOUT
        raw_since = now - timedelta(days=1)
        if state is not None and rolled:
            raw_since = max(raw_since, hour_start(state[1]))
        for name in names:
            counts: dict[str, int] = {}
            if rolled and name in DIMS:
                sql = (f"SELECT value, SUM(requests) FROM {TABLE} WHERE dim = :d AND hour >= :h "
                       "AND value <> :none GROUP BY value")  # fmt: skip
                params = {"d": name, "h": hour_of(now - timedelta(days=7)), "none": NONE}
                for value, n in await conn.execute(text(sql), params):
                    counts[str(value)] = int(n)
            column = FILTER_COLUMNS[name]
            stmt = select(column, func.count()).where(CALLS.c.created_at >= raw_since, column.is_not(None))
            for value, n in await conn.execute(stmt.group_by(column)):
                counts[str(value)] = counts.get(str(value), 0) + int(n)
            out[name] = sorted(counts, key=lambda v: -counts[v])[:limit]
    return out
