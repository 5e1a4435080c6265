"""Formatting for the pages: null-aware cost, tokens, times and periods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from agentcore.dashboard._queries import FILTER_COLUMNS, BadRequest, Filters

PERIODS: dict[str, tuple[timedelta | None, str]] = {
    "1h": (timedelta(hours=1), "minute"),
    "24h": (timedelta(days=1), "hour"),
    "7d": (timedelta(days=7), "hour"),
    "30d": (timedelta(days=30), "day"),
    "all": (None, "day"),
}
PERIOD_LABELS = {"1h": "last hour", "24h": "last day", "7d": "last 7 days", "30d": "last 30 days",
                 "all": "all time", "custom": "custom"}  # fmt: skip


@dataclass(frozen=True)
class View:
    """What the URL asks for: the period, its chart unit and the filters."""

    period: str
    start: datetime | None
    end: datetime | None
    unit: str
    filters: Filters
    params: dict[str, str]  # period and filter parameters, to carry into links


def _parse_time(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadRequest(
            f"cannot read {name}={text!r}: use a date like 2026-01-31 or 2026-01-31T14:00"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def read_view(query: Any, default_period: str = "24h", now: datetime | None = None) -> View:
    """The period and filters of a request's query string (``from``/``to`` are UTC)."""
    now = now or datetime.now(UTC)
    period = query.get("period") or default_period
    params: dict[str, str] = {"period": period}
    if period == "custom":
        if not query.get("from"):
            raise BadRequest("a custom period needs from= (and optionally to=)")
        start = _parse_time(query["from"], "from")
        end = _parse_time(query["to"], "to") if query.get("to") else None
        params["from"] = query["from"]
        if query.get("to"):
            params["to"] = query["to"]
        seconds = ((end or now) - start).total_seconds()
        unit = "minute" if seconds <= 3 * 3600 else "hour" if seconds <= 8 * 86400 else "day"
    elif period in PERIODS:
        delta, unit = PERIODS[period]
        start, end = (now - delta if delta else None), None
    else:
        raise BadRequest(f"unknown period {period!r}: choose one of {', '.join([*PERIODS, 'custom'])}")
    equal = {k: str(query[k]) for k in FILTER_COLUMNS if query.get(k)}
    params.update(equal)
    return View(period, start, end, unit, Filters(start, end, equal), params)


def usd(value: float) -> str:
    """Dollars with enough decimals that a cheap call does not read as $0.0000."""
    return f"${value:,.4f}" if value >= 0.01 or value == 0 else f"${value:.6f}"


def cost_text(fig: dict[str, Any]) -> str:
    """A group's cost: a number only when every call is priced; never $0 for unknown."""
    unpriced = int(fig.get("unpriced_requests") or 0)
    if fig.get("cost_usd") is not None:
        return usd(float(fig["cost_usd"]))
    priced = float(fig.get("cost_usd_priced") or 0.0)
    if not priced:
        return f"unknown ({unpriced} unpriced)"
    return f"{usd(priced)} + {unpriced} unpriced"


def call_cost(row: dict[str, Any]) -> str:
    """One call's cost cell."""
    if row.get("usage_reported") is False or row.get("usage_reported") == 0:
        return "usage not reported"
    if row.get("cost_usd") is None:
        return "unpriced" if row.get("status") == "success" else "—"
    return usd(float(row["cost_usd"]))


def num(value: Any) -> str:
    return "—" if value is None else f"{int(value):,}"


def ms(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value / 1000:,.2f} s" if value >= 10_000 else f"{value:,.0f} ms"


def when(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def bucket_keys(view: View, unit: str, now: datetime | None = None) -> list[str] | None:
    """Every bucket of the period (so a quiet hour shows as zero), or None when unbounded."""
    if view.start is None:
        return None
    step = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}[unit]
    fmt = {"minute": "%Y-%m-%d %H:%M", "hour": "%Y-%m-%d %H", "day": "%Y-%m-%d"}[unit]
    end = view.end or now or datetime.now(UTC)
    cur = view.start.astimezone(UTC)
    cur = {"minute": cur.replace(second=0, microsecond=0), "hour": cur.replace(minute=0, second=0, microsecond=0),
           "day": cur.replace(hour=0, minute=0, second=0, microsecond=0)}[unit]  # fmt: skip
    keys: list[str] = []
    while cur <= end and len(keys) < 2000:
        keys.append(cur.strftime(fmt))
        cur += step
    return keys
