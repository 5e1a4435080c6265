"""Hourly pre-aggregates of the call log, so long periods render fast on millions of rows.

``dash_usage_hourly`` holds, per hour and per dimension value (everything, one model, one module,
one user, one status), the same sums the overview shows plus latency histograms. It is a cache:
built from ``llm_call_logs`` on demand, up to hours that ended ``SETTLE`` ago (the writer stores a
row when its call ends, so a recent hour may still grow); the rest of a period is read from the raw
rows. Its layout follows ``_queries.TOKEN_COLUMNS``: when that list changes the table is rebuilt.
Percentiles read from it are approximate (histogram buckets ~12% wide) and shown as such.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from agentcore.dashboard._queries import TOKEN_COLUMNS
from agentcore.tracing.calllog import CALLS

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

TABLE = "dash_usage_hourly"
STATE = "dash_rollup_state"
SETTLE = timedelta(hours=2)
# Dimension -> call-log column. "all" has the value "".
DIMS: dict[str, str] = {"model": "model", "module": "module", "user": "user_id", "status": "status"}
# Latency histogram upper bounds (ms): 1 ms .. ~50 min, x1.25 per bucket.
BOUNDS: tuple[float, ...] = tuple(round(1.25**i, 3) for i in range(0, 70))
NONE = "(none)"
SUMS = ("requests", "errors", *(n for n, _ in TOKEN_COLUMNS), "cost_priced", "unpriced", "not_reported",
        "latency_sum", "ttft_count")  # fmt: skip
LAYOUT = hashlib.sha256(json.dumps([SUMS, BOUNDS, sorted(DIMS)]).encode()).hexdigest()[:16]


def hour_of(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H")


def _bucket(value: float) -> int:
    return min(bisect.bisect_left(BOUNDS, value), len(BOUNDS) - 1)


def hist_add(hist: dict[int, int], value: float | None) -> None:
    if value is not None:
        b = _bucket(value)
        hist[b] = hist.get(b, 0) + 1


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


def _ddl(pg: bool) -> list[str]:
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


_REPORTED = "usage_reported" in CALLS.c


class Acc:
    __slots__ = ("lat", "sums", "ttft")

    def __init__(self) -> None:
        self.sums: dict[str, float] = dict.fromkeys(SUMS, 0)
        self.lat: dict[int, int] = {}
        self.ttft: dict[int, int] = {}


def add_row(acc: Acc, row: Any) -> None:
    s = acc.sums
    s["requests"] += 1
    s["errors"] += row.status == "error"
    for name, _ in TOKEN_COLUMNS:
        s[name] += getattr(row, name) or 0
    if row.cost_usd is None:
        s["unpriced"] += row.status == "success"  # as _queries.UNPRICED
    else:
        s["cost_priced"] += row.cost_usd
    if _REPORTED and row.usage_reported is not None and not row.usage_reported:
        s["not_reported"] += 1
    s["latency_sum"] += row.latency_ms or 0.0
    if row.time_to_first_token_ms is not None:
        s["ttft_count"] += 1
    hist_add(acc.lat, row.latency_ms)
    hist_add(acc.ttft, row.time_to_first_token_ms)


async def refresh(engine: AsyncEngine, now: datetime | None = None) -> str | None:
    """Roll up every settled hour not rolled up yet; the first hour *not* covered (None: nothing yet)."""

    pg = engine.dialect.name == "postgresql"
    settled = hour_of((now or datetime.now(UTC)) - SETTLE)
    async with engine.begin() as conn:
        for ddl in _ddl(pg):
            await conn.execute(text(ddl))
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


def _bucket_sql(column: Any) -> Any:
    """``_bucket`` in SQL: the index of the first bound >= the value."""
    from sqlalchemy import case

    return case(*((column <= bound, i) for i, bound in enumerate(BOUNDS[:-1])), else_=len(BOUNDS) - 1)


async def _aggregate(
    conn: AsyncConnection, pg: bool, where: list[Any]
) -> dict[tuple[str, str, str, str], Acc]:
    """The rollup rows of the matching call-log rows, summed by the database (a few scans per
    dimension instead of every row through Python)."""
    from sqlalchemy import func, literal, select

    from agentcore.dashboard._queries import NOT_REPORTED, UNPRICED

    hour = (
        func.to_char(CALLS.c.created_at, "YYYY-MM-DD HH24") if pg else func.substr(CALLS.c.created_at, 1, 13)
    )
    measures = [
        func.count().label("requests"),
        func.sum(case_(CALLS.c.status == "error")).label("errors"),
        *(func.sum(CALLS.c[n]).label(n) for n, _ in TOKEN_COLUMNS),
        func.sum(CALLS.c.cost_usd).label("cost_priced"),
        func.sum(case_(UNPRICED)).label("unpriced"),
        (func.sum(case_(NOT_REPORTED)) if NOT_REPORTED is not None else literal(0)).label("not_reported"),
        func.sum(CALLS.c.latency_ms).label("latency_sum"),
        func.count(CALLS.c.time_to_first_token_ms).label("ttft_count"),
    ]
    accs: dict[tuple[str, str, str, str], Acc] = {}
    for dim in ("all", *DIMS):
        if dim == "all":
            keys: list[Any] = [hour.label("h"), literal("").label("v"), literal("").label("p")]
        else:
            column = CALLS.c[DIMS[dim]]
            provider = CALLS.c.provider if dim == "model" else literal("")
            keys = [hour.label("h"), column.label("v"), provider.label("p")]
        groups = [k for k in keys[: 3 if dim == "model" else 2]] if dim != "all" else [keys[0]]
        result = await conn.execute(select(*keys, *measures).where(*where).group_by(*groups))
        for row in result:
            acc = accs[(row.h, dim, NONE if row.v is None else str(row.v), row.p)] = Acc()
            m = row._mapping
            for name in SUMS:
                acc.sums[name] = m[name] or 0
        for hist, value in (("lat", CALLS.c.latency_ms), ("ttft", CALLS.c.time_to_first_token_ms)):
            b = _bucket_sql(value).label("b")
            stmt = select(*keys, b, func.count().label("n")).where(*where, value.is_not(None))
            result = await conn.execute(stmt.group_by(*groups, b))
            for row in result:
                acc = accs.get((row.h, dim, NONE if row.v is None else str(row.v), row.p))
                if acc is not None:
                    getattr(acc, hist)[int(row.b)] = int(row.n)
    return accs


def case_(condition: Any) -> Any:
    from sqlalchemy import case

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
