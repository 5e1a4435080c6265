"""Reading the call log back: usage grouped by model/module/user/day/session, totals, and traces."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from agentcore.tracing.writer import utcnow

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Table
    from sqlalchemy.ext.asyncio import AsyncEngine

    Where = Callable[[Table], ColumnElement[bool]]

GroupBy = Literal["model", "module", "user", "day", "session", "agent", "profile", "target", "key"]
GROUPS: tuple[str, ...] = ("model", "module", "user", "day", "session", "agent", "profile", "target", "key")
_SINCE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_TOKENS = (
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "total_tokens",
)


def parse_since(text: str | None) -> datetime | None:
    """``7d``/``12h``/``30m``/``2w`` as the UTC time that long ago; None for None."""
    if text is None:
        return None
    match = _SINCE.match(text)
    if match is None:
        raise ValueError(f"cannot read --since {text!r}: use a number and a unit, e.g. 30m, 12h, 7d, 2w")
    return utcnow() - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100); None when there are no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


async def _engine(url: str) -> AsyncEngine:
    from agentcore.storage.db import open_database
    from agentcore.tracing import calllog

    calllog.register()
    return await open_database(url)


async def _select(url: str, where: list[Where], *columns: str) -> list[Any]:
    from sqlalchemy import select

    from agentcore.tracing.calllog import CALLS as table

    engine = await _engine(url)
    stmt = select(*(table.c[c] for c in columns)).where(*[w(table) for w in where])
    async with engine.connect() as conn:
        return list((await conn.execute(stmt)).all())


_ANY: Any = object()


def _filters(
    since: datetime | None, session_id: str | None = _ANY, agent_id: str | None = None
) -> list[Where]:
    where: list[Where] = []
    if since is not None:
        where.append(lambda t: t.c.created_at >= since)
    if agent_id is not None:
        where.append(lambda t: t.c.agent_id == agent_id)
    if session_id is None:
        where.append(lambda t: t.c.session_id.is_(None))
    elif session_id is not _ANY:
        where.append(lambda t: t.c.session_id == session_id)
    return where


def _key(by: str, row: Any) -> str:
    if by == "model":
        return f"{row.provider}/{row.model}"
    if by == "day":
        return row.created_at.date().isoformat()
    if by == "key":  # the gateway's API key (a tag of each request it serves)
        value = _tag(row.tags, "key_id")
    else:
        value = {
            "module": row.module,
            "user": row.user_id,
            "session": row.session_id,
            "agent": row.agent,
            "profile": row.profile,
            "target": row.target,
        }[by]
    return value if value is not None else "(none)"


def _tag(tags: str | None, name: str) -> str | None:
    if not tags:
        return None
    try:
        value = json.loads(tags).get(name)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


@dataclass
class _Group:
    """Totals of a group of rows. Unknown figures are counted, never added as 0: tokens sum the
    reported rows (``unreported_requests`` did not report any), and the cost is a number only when
    every row is priced (else ``cost_usd`` is None and ``cost_usd_priced`` is the known part).
    Cache hits count as requests and spend nothing: their original tokens and cost are what they
    saved (``cache_saved_usd`` follows the same rule as the cost)."""

    requests: int = 0
    errors: int = 0
    cancelled: int = 0
    tokens: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_TOKENS, 0))
    cost: float = 0.0
    unpriced: int = 0
    unreported: int = 0
    cache_hits: int = 0
    saved_prompt: int = 0
    saved_completion: int = 0
    saved: float = 0.0
    unpriced_hits: int = 0
    latencies: list[float] = field(default_factory=list[float])

    def add(self, row: Any) -> None:
        self.requests += 1
        if row.status == "cache_hit":  # answered from the response cache: nothing was spent
            self.cache_hits += 1
            self.saved_prompt += row.prompt_tokens or 0
            self.saved_completion += row.completion_tokens or 0
            if row.saved_usd is None:
                self.unpriced_hits += 1
            else:
                self.saved += row.saved_usd
            self.latencies.append(row.latency_ms)
            return
        self.errors += row.status == "error"
        self.cancelled += row.status == "cancelled"
        if row.usage_reported:
            for name in _TOKENS:
                self.tokens[name] += getattr(row, name) or 0
        else:
            self.unreported += 1
        if row.cost_usd is None:
            self.unpriced += 1
        else:
            self.cost += row.cost_usd
        self.latencies.append(row.latency_ms)

    def as_dict(self) -> dict[str, Any]:
        p50, p95 = percentile(self.latencies, 50), percentile(self.latencies, 95)
        priced = round(self.cost, 10)
        saved = round(self.saved, 10)
        return {
            "requests": self.requests,
            "errors": self.errors,
            "cancelled": self.cancelled,
            **self.tokens,
            "unreported_requests": self.unreported,
            "cost_usd": priced if not self.unpriced else None,
            "cost_usd_priced": priced,
            "unpriced_requests": self.unpriced,
            "cache_hits": self.cache_hits,
            "cache_saved_tokens": self.saved_prompt + self.saved_completion,
            "cache_saved_prompt_tokens": self.saved_prompt,
            "cache_saved_completion_tokens": self.saved_completion,
            "cache_saved_usd": saved if not self.unpriced_hits else None,
            "cache_saved_usd_priced": saved,
            "cache_unpriced_hits": self.unpriced_hits,
            "p50_latency_ms": round(p50, 1) if p50 is not None else None,
            "p95_latency_ms": round(p95, 1) if p95 is not None else None,
        }


_USAGE_COLUMNS = (
    "provider",
    "model",
    "agent",
    "usage_reported",
    "module",
    "user_id",
    "session_id",
    "profile",
    "target",
    "tags",
    "status",
    *_TOKENS,
    "cost_usd",
    "saved_usd",
    "latency_ms",
    "created_at",
)


async def usage_by(url: str, by: str = "model", since: str | None = None) -> list[dict[str, Any]]:
    """One dict per group: requests, errors, tokens, cost, p50/p95 latency; most requests first."""
    if by not in GROUPS:
        raise ValueError(f"cannot group by {by!r}: choose one of {', '.join(GROUPS)}")
    rows = await _select(url, _filters(parse_since(since)), *_USAGE_COLUMNS)
    groups: dict[str, _Group] = {}
    for row in rows:
        groups.setdefault(_key(by, row), _Group()).add(row)
    out = [{by: key, **group.as_dict()} for key, group in groups.items()]
    out.sort(key=lambda r: (str(r[by]) if by == "day" else "", -int(r["requests"])))
    return out


async def totals(
    url: str,
    *,
    session_id: str | None = _ANY,
    since: str | datetime | None = None,
    agent_id: str | None = None,
) -> dict[str, Any]:
    """Totals over every call, one session's (``None``: calls outside any session), and/or one
    Agent instance's (``agent_id``)."""
    start = parse_since(since) if isinstance(since, str) or since is None else since
    rows = await _select(url, _filters(start, session_id, agent_id), *_USAGE_COLUMNS)
    group = _Group()
    for row in rows:
        group.add(row)
    return group.as_dict()


async def last_trace_id(url: str) -> str | None:
    """The trace of the most recent run (or, failing that, of the latest traced call)."""
    from sqlalchemy import select

    from agentcore.tracing.calllog import CALLS as calls
    from agentcore.tracing.calllog import SPANS as spans

    engine = await _engine(url)
    async with engine.connect() as conn:
        for table in (spans, calls):
            stmt = (
                select(table.c.trace_id)
                .where(table.c.trace_id.is_not(None))
                .order_by(table.c.created_at.desc())
                .limit(1)
            )
            found = (await conn.execute(stmt)).scalar()
            if found:
                return str(found)
    return None


async def trace_tree(url: str, trace_id: str) -> list[dict[str, Any]]:
    """The runs, LLM calls and tool calls of one trace as a tree (roots first, by start time)."""
    from sqlalchemy import select

    from agentcore.tracing.calllog import CALLS as calls
    from agentcore.tracing.calllog import SPANS as spans

    engine = await _engine(url)
    nodes: dict[str, dict[str, Any]] = {}
    async with engine.connect() as conn:
        for row in await conn.execute(select(spans).where(spans.c.trace_id == trace_id)):
            nodes[row.id] = {
                "kind": row.kind,
                "id": row.id,
                "parent_id": row.parent_id,
                "name": row.name,
                "status": row.status,
                "latency_ms": row.latency_ms,
                "session_id": row.session_id,
                "started_at": row.created_at,
                "children": [],
            }
        for row in await conn.execute(select(calls).where(calls.c.trace_id == trace_id)):
            nodes[row.id] = {
                "kind": "llm",
                "id": row.id,
                "parent_id": row.parent_call_id,
                "name": f"{row.provider}/{row.model}",
                "purpose": row.purpose,
                "status": row.status,
                "latency_ms": row.latency_ms,
                "time_to_first_token_ms": row.time_to_first_token_ms,
                "prompt_tokens": row.prompt_tokens,
                "completion_tokens": row.completion_tokens,
                "cached_tokens": row.cached_tokens,
                "cache_write_tokens": row.cache_write_tokens,
                "usage_reported": row.usage_reported,
                "agent": row.agent,
                "cost_usd": row.cost_usd,
                "saved_usd": row.saved_usd,
                "error_kind": row.error_kind,
                "finish_reason": row.finish_reason,
                "attempt": row.attempt,
                "error": row.error_message,
                "started_at": row.created_at,
                "children": [],
            }
    roots: list[dict[str, Any]] = []
    for node in sorted(nodes.values(), key=lambda n: n["started_at"]):
        parent = nodes.get(node["parent_id"] or "")
        (parent["children"] if parent is not None else roots).append(node)
    return roots
