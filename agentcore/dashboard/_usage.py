"""The overview's figures for a period: exact from the raw rows for short periods and narrow
filters, from the hourly rollup plus the raw rows of the period's partial edge hours otherwise.

Everything is summed by the database (GROUP BY): Python only adds up the few dozen rows of sums
it gets back, whatever the number of calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, literal, or_, select

from agentcore.dashboard import _queries, _rollup
from agentcore.tracing.calllog import CALLS

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.ext.asyncio import AsyncEngine

    from agentcore.dashboard._format import View

# Periods up to this long are read from the raw rows (exact percentiles); a day of a busy log
# (30,000+ rows) already takes longer than the 300 ms page budget that way.
RAW_SPAN = timedelta(hours=6)
# A breakdown by a group the rollup does not hold (session) reads the raw rows of at most this.
GROUP_SPAN = timedelta(hours=6)
# Exact (nearest-rank) percentiles read the latencies of at most this many rows; above, they come
# from a histogram summed in SQL (approximate, shown as such).
EXACT_MAX = 20_000


@dataclass
class Usage:
    figures: dict[str, Any]
    points: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    approximate: bool  # percentiles read from histograms
    groups_since: datetime | None = None  # the breakdown covers only calls since then


def _dim_filter(equal: dict[str, str]) -> tuple[str, str, str | None] | None:
    """The rollup dimension answering these filters, or None when only raw rows can."""
    keys = set(equal)
    if not keys:
        return ("all", "", None)
    if keys == {"provider", "model"}:
        return ("model", equal["model"], equal["provider"])
    if len(keys) == 1:
        (name,) = keys
        if name in _rollup.DIMS:
            return (name, equal[name], None)
    return None


def _figures(acc: _rollup.Acc) -> dict[str, Any]:
    s = acc.sums
    requests = int(s["requests"])
    unpriced = int(s["unpriced"])
    priced = float(s["cost_priced"])
    return {
        "requests": requests,
        "errors": int(s["errors"]),
        **{name: int(s[name]) for name, _ in _queries.TOKEN_COLUMNS},
        "cost_usd": round(priced, 6) if not unpriced else None,
        "cost_usd_priced": round(priced, 6),
        "unpriced_requests": unpriced,
        "usage_not_reported": int(s["not_reported"]),
        "avg_latency_ms": round(s["latency_sum"] / requests, 1) if requests else None,
        "p50_latency_ms": _rollup.hist_percentile(acc.lat, 50),
        "p95_latency_ms": _rollup.hist_percentile(acc.lat, 95),
        "p50_ttft_ms": _rollup.hist_percentile(acc.ttft, 50),
        "p95_ttft_ms": _rollup.hist_percentile(acc.ttft, 95),
    }


def _merge(acc: _rollup.Acc, row: Any) -> None:
    m = row._mapping
    for name in _rollup.SUMS:
        acc.sums[name] += m[name] or 0


def _merge_hists(acc: _rollup.Acc, row: Any) -> None:
    for hist, raw in ((acc.lat, row.lat_hist), (acc.ttft, row.ttft_hist)):
        for b, n in json.loads(raw or "{}").items():
            hist[int(b)] = hist.get(int(b), 0) + n


async def _raw_hists(engine: AsyncEngine, where: list[ColumnElement[bool]], acc: _rollup.Acc) -> None:
    """Add the latency and TTFT histograms of the matching raw rows (one GROUP BY both buckets)."""
    lat = _rollup.bucket_sql(CALLS.c.latency_ms)
    ttft = _rollup.bucket_sql(CALLS.c.time_to_first_token_ms)
    stmt = select(lat.label("lat"), ttft.label("ttft"), func.count().label("n")).where(*where)
    async with engine.connect() as conn:
        for row in await conn.execute(stmt.group_by(lat, ttft)):
            for hist, b in ((acc.lat, row.lat), (acc.ttft, row.ttft)):
                if b is not None:
                    hist[int(b)] = hist.get(int(b), 0) + int(row.n)


def _group_keys(by: str) -> tuple[list[Any], list[Any]]:
    """(selected, grouped) expressions of a breakdown: labelled ``v`` (value) and ``p`` (provider)."""
    if by == "model":
        return [CALLS.c.model.label("v"), CALLS.c.provider.label("p")], [CALLS.c.model, CALLS.c.provider]
    column = _queries.GROUP_COLUMNS[by]
    return [column.label("v"), literal("").label("p")], [column]


async def from_rollup(engine: AsyncEngine, view: View, by: str, now: datetime | None = None) -> Usage | None:
    """The overview from the rollup, or None when the raw rows should (and quickly can) answer."""
    now = now or datetime.now(UTC)
    start, end = view.start, view.end or now
    if start is not None and end - start <= RAW_SPAN:
        return None
    dim = _dim_filter(view.filters.equal)
    if dim is None:
        return None
    upto = await _rollup.refresh(engine, now)
    if upto is None:
        return None
    first = (
        _rollup.hour_of(start + timedelta(minutes=59, seconds=59, microseconds=999999)) if start else "0000"
    )
    last = min(_rollup.hour_of(end), upto) if view.end else upto
    if first >= last:
        return None
    first_dt = _rollup.hour_start(first) if start else None
    last_dt = _rollup.hour_start(last)
    # The raw rows outside the whole hours: the partial first hour and everything from ``last``.
    tail = [CALLS.c.created_at >= last_dt, *([CALLS.c.created_at < view.end] if view.end else [])]
    spans: list[ColumnElement[bool]] = [and_(*tail)]
    if start is not None and first_dt is not None and first_dt > start:
        spans.append(and_(CALLS.c.created_at >= start, CALLS.c.created_at < first_dt))
    edge = [or_(*spans) if len(spans) > 1 else spans[0], *_queries.Filters(equal=view.filters.equal).where()]

    d, value, provider = dim
    total = _rollup.Acc()
    series: dict[str, _rollup.Acc] = {}
    for row in await _rollup.hists(engine, d, value, provider, first, last):
        _merge_hists(total, row)
    for row in await _rollup.sums(engine, d, value, provider, first, last, group="hour"):
        _merge(total, row)
        key = row.hour[:10] if view.unit == "day" else row.hour  # rollup hours read "YYYY-MM-DD HH"
        _merge(series.setdefault(key, _rollup.Acc()), row)
    # The raw edges in one GROUP BY (bucket of the chart, group of the breakdown): the total,
    # the series and the breakdown are sums of its few rows.
    rolled_groups = by in _rollup.DIMS and d in ("all", by)
    bucket = _queries.bucket_sql(engine, view.unit)
    selected, grouped = (
        _group_keys(by) if rolled_groups else ([literal("").label("v"), literal("").label("p")], [])
    )
    stmt = (
        select(bucket.label("bucket"), *selected, *_rollup.measures()).where(*edge).group_by(bucket, *grouped)
    )
    async with engine.connect() as conn:
        edge_rows = list(await conn.execute(stmt))
    for row in edge_rows:
        _merge(total, row)
        _merge(series.setdefault(str(row.bucket), _rollup.Acc()), row)
    await _raw_hists(engine, edge, total)
    points = [{"bucket": k, **_figures(series[k])} for k in sorted(series)]

    groups: list[dict[str, Any]] | None = None
    if rolled_groups:
        accs: dict[tuple[str, str], _rollup.Acc] = {}
        rows = await _rollup.sums(
            engine, by, value if d == by else "*", provider, first, last, "value, provider"
        )
        for row in rows:
            _merge(accs.setdefault((row.value, row.provider), _rollup.Acc()), row)
        for row in edge_rows:
            key = (_rollup.NONE if row.v is None else str(row.v)[:200], row.p)
            _merge(accs.setdefault(key, _rollup.Acc()), row)
        ranked = sorted(accs.items(), key=lambda kv: -kv[1].sums["requests"])[:25]
        groups = []
        for (v, p), acc in ranked:
            if by == "model":
                label, filters = f"{p}/{v}", {"provider": p, "model": v}
            else:
                label, filters = v, {by: v}
            groups.append({"group": label, "filters": filters, **_figures(acc)})
    since: datetime | None = None
    if groups is None:
        # A group the rollup does not hold (session): the raw rows of the last GROUP_SPAN only.
        since = end - GROUP_SPAN if start is None or end - start > GROUP_SPAN else start
        narrow = _queries.Filters(since, view.end, view.filters.equal)
        groups = await _queries.breakdown(engine, narrow, by)
    partial = since if since is not None and since != start else None
    return Usage(_figures(total), points, groups, approximate=True, groups_since=partial)


async def usage(engine: AsyncEngine, view: View, by: str) -> Usage:
    """The overview's figures, series and breakdown for the view."""
    rolled = await from_rollup(engine, view, by)
    if rolled is not None:
        return rolled
    figures = await _queries.overview(engine, view.filters, exact_max=EXACT_MAX)
    approximate = False
    if figures["p50_latency_ms"] is None and figures["requests"] > EXACT_MAX:
        # Too many rows to read their latencies: percentiles from a histogram summed in SQL.
        acc = _rollup.Acc()
        await _raw_hists(engine, view.filters.where(), acc)
        figures.update({k: v for k, v in _figures(acc).items() if k.startswith("p")})
        approximate = True
    points = await _queries.series(engine, view.filters, view.unit)
    groups = await _queries.breakdown(engine, view.filters, by)
    return Usage(figures, points, groups, approximate=approximate)
