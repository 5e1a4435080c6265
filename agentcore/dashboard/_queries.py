"""Every SQL query of the dashboard, and the column lists they read.

The call-log table grows columns over time (cache writes, usage_reported, profile/target, the
gateway's key): the lists below name the columns the dashboard knows and keep those the table has,
so a new column shows up here, in one place, without touching the pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import String, and_, case, false, func, literal_column, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from agentcore.tracing.calllog import CALLS, SPANS

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Table
    from sqlalchemy.ext.asyncio import AsyncEngine

# ---- column lists (the one place to extend at a schema change) ----------------------------------

# Token columns summed on the overview, in display order, with their labels.
TOKEN_COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (name, label)
    for name, label in (
        ("prompt_tokens", "prompt"),
        ("completion_tokens", "completion"),
        ("cached_tokens", "cached"),
        ("cache_write_tokens", "cache write"),
        ("cache_write_1h_tokens", "cache write 1h"),
        ("reasoning_tokens", "reasoning"),
        ("total_tokens", "total"),
    )
    if name in CALLS.c
)


class KeyId(FunctionElement[str]):
    """The gateway's API key of a call: the ``key_id`` string in its ``tags`` JSON, as
    ``usage --by key`` reads it (anything else, or tags that are not JSON, is no key)."""

    type = String()
    name = "agentcore_key_id"
    inherit_cache = True


@compiles(KeyId)
def _key_id_sqlite(element: KeyId, compiler: Any, **kw: Any) -> str:
    # CASE, not AND: SQLite evaluates both sides of AND, and json_type() raises on malformed JSON.
    tags = compiler.process(next(iter(element.clauses)), **kw)
    return (f"CASE WHEN json_valid({tags}) THEN CASE WHEN json_type({tags}, '$.key_id') = 'text' "
            f"THEN json_extract({tags}, '$.key_id') END END")  # fmt: skip


@compiles(KeyId, "postgresql")
def _key_id_pg(element: KeyId, compiler: Any, **kw: Any) -> str:
    # The cast raises on text that is not JSON: only tags naming a key_id are cast (agentcore
    # writes them with json.dumps), and from PostgreSQL 16 only valid JSON at all.
    tags = compiler.process(next(iter(element.clauses)), **kw)
    version: Any = getattr(compiler.dialect, "server_version_info", None)
    valid = f" AND pg_input_is_valid({tags}, 'json')" if version and int(version[0]) >= 16 else ""
    return (f"CASE WHEN strpos({tags}, '\"key_id\"') > 0{valid} THEN "
            f"CASE WHEN json_typeof(CAST({tags} AS JSON) -> 'key_id') = 'string' "
            f"THEN CAST({tags} AS JSON) ->> 'key_id' END END")  # fmt: skip


# Breakdown groups: the names and order of ``agentcore usage --by`` (less ``day``: the charts).
GROUP_COLUMNS: dict[str, ColumnElement[Any]] = {
    "model": CALLS.c.model,
    "profile": CALLS.c.profile,
    "target": CALLS.c.target,
    "module": CALLS.c.module,
    "user": CALLS.c.user_id,
    "key": KeyId(CALLS.c.tags),
    "session": CALLS.c.session_id,
    "agent": CALLS.c.agent,
}

# Equality filters of the Calls page and the overview (URL parameter -> column).
FILTER_COLUMNS: dict[str, ColumnElement[Any]] = {
    "provider": CALLS.c.provider,
    "status": CALLS.c.status,
    **GROUP_COLUMNS,
    "trace": CALLS.c.trace_id,
}

# Columns of one row on the Calls page.
CALL_LIST_COLUMNS: tuple[str, ...] = tuple(
    c
    for c in (
        "id",
        "trace_id",
        "created_at",
        "status",
        "provider",
        "model",
        "profile",
        "target",
        "module",
        "user_id",
        "session_id",
        "prompt_tokens",
        "completion_tokens",
        "cached_tokens",
        "cache_write_tokens",
        "reasoning_tokens",
        "usage_reported",
        "cost_usd",
        "latency_ms",
        "time_to_first_token_ms",
        "error_type",
        "error_message",
        "attempt",
    )
    if c in CALLS.c
)

# Columns of an LLM node in a trace (bodies included: they are only present with storeContent).
TRACE_CALL_COLUMNS: tuple[str, ...] = tuple(
    c
    for c in (
        *CALL_LIST_COLUMNS,
        "parent_call_id",
        "purpose",
        "stream",
        "finish_reason",
        "failover",
        "base_url_host",
        "request_body",
        "response_body",
    )
    if c in CALLS.c and c not in ("trace_id",)
)

# A row counts as unpriced when it has no cost. Only successful rows are counted, as
# ``tracing.query`` does (a failed attempt may have billed nothing); keep the two in step.
UNPRICED: ColumnElement[bool] = and_(CALLS.c.cost_usd.is_(None), CALLS.c.status == "success")
# Rows the provider sent no usage for (column added by the accounting work; absent: none known).
NOT_REPORTED: ColumnElement[bool] | None = (
    CALLS.c.usage_reported == false() if "usage_reported" in CALLS.c else None
)

PAGE_SIZE = 50


class BadRequest(ValueError):
    """A query parameter the page cannot use (shown to the user, status 400)."""


def parse_cursor(cursor: str) -> tuple[datetime, str]:
    """A keyset cursor ``<ISO time>~<id>`` (a ``+`` of the zone read back as a space is accepted)."""
    stamp, _, key = cursor.partition("~")
    try:
        return _time(datetime.fromisoformat(stamp.replace(" ", "+"))), key
    except ValueError:
        raise BadRequest(f"after={cursor!r} is not a page cursor: follow the page's own links") from None


def keyset(time: Any, key: Any, when: datetime, after: str) -> list[ColumnElement[bool]]:
    """Rows after (``time``, ``key``) = (``when``, ``after``), newest first. The plain ``time <=``
    term is what lets the database seek its (time, key) index: with the OR alone SQLite reads
    every older row and sorts them (seconds deep into a million rows)."""
    return [time <= when, or_(time < when, key < after)]


# ---- filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """A period and equality filters; the same object drives the overview and the Calls page."""

    start: datetime | None = None
    end: datetime | None = None
    equal: dict[str, str] = field(default_factory=dict[str, str])

    def where(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.start is not None:
            out.append(CALLS.c.created_at >= self.start)
        if self.end is not None:
            out.append(CALLS.c.created_at < self.end)
        for name, value in self.equal.items():
            column = FILTER_COLUMNS[name]
            out.append(column.is_(None) if value == "(none)" else column == value)
        return out

    def without(self, name: str) -> Filters:
        return replace(self, equal={k: v for k, v in self.equal.items() if k != name})


def _table(model: Any) -> Table:
    # SQLModel sets __table__ at class creation; its stubs do not declare it.
    return cast("Table", getattr(model, "__table__"))  # noqa: B009


def _is_pg(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


def _time(value: Any) -> Any:
    # SQLite hands back naive UTC datetimes (or strings from raw SQL); PostgreSQL naive UTC too.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return value


# ---- overview ---------------------------------------------------------------------------------


def _aggregates() -> list[Any]:
    cols: list[Any] = [
        func.count().label("requests"),
        func.coalesce(func.sum(case((CALLS.c.status == "error", 1), else_=0)), 0).label("errors"),
    ]
    cols += [func.coalesce(func.sum(CALLS.c[name]), 0).label(name) for name, _ in TOKEN_COLUMNS]
    cols += [
        func.sum(CALLS.c.cost_usd).label("cost_priced"),
        func.coalesce(func.sum(case((UNPRICED, 1), else_=0)), 0).label("unpriced"),
        func.sum(CALLS.c.latency_ms).label("latency_sum"),
    ]
    if NOT_REPORTED is not None:
        cols.append(func.coalesce(func.sum(case((NOT_REPORTED, 1), else_=0)), 0).label("not_reported"))
    return cols


def _figures(row: Any) -> dict[str, Any]:
    data = dict(row._mapping)
    requests = int(data["requests"] or 0)
    unpriced = int(data.pop("unpriced") or 0)
    priced = float(data.pop("cost_priced") or 0.0)
    latency_sum = data.pop("latency_sum")
    out: dict[str, Any] = {
        "requests": requests,
        "errors": int(data["errors"] or 0),
        **{name: int(data[name] or 0) for name, _ in TOKEN_COLUMNS},
        # Null-aware: a number only when every row is priced; otherwise the priced part and a count.
        "cost_usd": round(priced, 6) if not unpriced else None,
        "cost_usd_priced": round(priced, 6),
        "unpriced_requests": unpriced,
        "usage_not_reported": int(data.get("not_reported") or 0),
        "avg_latency_ms": round(float(latency_sum) / requests, 1) if requests and latency_sum else None,
    }
    return out


async def overview(engine: AsyncEngine, flt: Filters, exact_max: int | None = None) -> dict[str, Any]:
    """Totals for the period and filters: the figures of ``agentcore usage --json`` and more.

    Percentiles are None when more than ``exact_max`` rows match (reading them all would be slow).
    """
    from agentcore.tracing.query import percentile

    where = flt.where()
    ttft = CALLS.c.time_to_first_token_ms
    timings: list[Any] = []
    async with engine.connect() as conn:
        row = (await conn.execute(select(*_aggregates()).where(*where))).one()
        out = _figures(row)
        if exact_max is None or out["requests"] <= exact_max:
            # Percentiles the way ``usage`` computes them (nearest rank), from one narrow read.
            timings = list((await conn.execute(select(CALLS.c.latency_ms, ttft).where(*where))).all())
    latencies = [t[0] for t in timings if t[0] is not None]
    firsts = [t[1] for t in timings if t[1] is not None]
    for name, values in (("latency_ms", latencies), ("ttft_ms", firsts)):
        for q in (50, 95):
            value = percentile(values, q)
            out[f"p{q}_{name}"] = round(value, 1) if value is not None else None
    return out


def bucket_sql(engine: AsyncEngine, unit: str) -> Any:
    """The start of the minute/hour/day of ``created_at`` as text (``YYYY-MM-DD HH:MM``)."""
    if _is_pg(engine):
        fmt = {"minute": "YYYY-MM-DD HH24:MI", "hour": "YYYY-MM-DD HH24", "day": "YYYY-MM-DD"}[unit]
        return func.to_char(CALLS.c.created_at, fmt)
    width = {"minute": 16, "hour": 13, "day": 10}[unit]
    return func.substr(CALLS.c.created_at, 1, width)


async def series(engine: AsyncEngine, flt: Filters, unit: str) -> list[dict[str, Any]]:
    """Per minute/hour/day: requests, errors, tokens, priced cost, unpriced count, average latency."""
    bucket = bucket_sql(engine, unit).label("bucket")
    stmt = select(bucket, *_aggregates()).where(*flt.where()).group_by(literal_column("bucket"))
    stmt = stmt.order_by(literal_column("bucket"))
    async with engine.connect() as conn:
        rows = (await conn.execute(stmt)).all()
    return [{"bucket": str(r.bucket), **_figures(r)} for r in rows]


async def breakdown(engine: AsyncEngine, flt: Filters, by: str, limit: int = 25) -> list[dict[str, Any]]:
    """One row per group (most requests first), with the same figures as the overview."""
    if by not in GROUP_COLUMNS:
        raise ValueError(f"cannot group by {by!r}: choose one of {', '.join(GROUP_COLUMNS)}")
    keys = [CALLS.c.provider, CALLS.c.model] if by == "model" else [GROUP_COLUMNS[by].label("g")]
    stmt = (
        select(*keys, *_aggregates())
        .where(*flt.where())
        .group_by(*keys)
        .order_by(func.count().desc())
        .limit(limit)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(stmt)).all()
    out: list[dict[str, Any]] = []
    for r in rows:
        m = r._mapping
        if by == "model":
            group, filters = f"{m['provider']}/{m['model']}", {"provider": m["provider"], "model": m["model"]}
        else:
            value = m["g"]
            group = value if value is not None else "(none)"
            filters = {by: group}
        out.append({"group": group, "filters": filters, **_figures(r)})
    return out


# ---- calls ------------------------------------------------------------------------------------


def _cursor_where(cursor: str | None) -> list[ColumnElement[bool]]:
    """Keyset pagination on (created_at, id), newest first: rows after the cursor's row."""
    if not cursor:
        return []
    when, call_id = parse_cursor(cursor)
    return keyset(CALLS.c.created_at, CALLS.c.id, when, call_id)


async def calls_page(
    engine: AsyncEngine, flt: Filters, cursor: str | None = None, size: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of call-log rows, newest first, and the cursor of the next page (None: last)."""
    cols = [CALLS.c[c] for c in CALL_LIST_COLUMNS]
    stmt = (
        select(*cols)
        .where(*flt.where(), *_cursor_where(cursor))
        .order_by(CALLS.c.created_at.desc(), CALLS.c.id.desc())
        .limit(size + 1)
    )
    async with engine.connect() as conn:
        rows = [dict(r._mapping) for r in (await conn.execute(stmt)).all()]
    for r in rows:
        r["created_at"] = _time(r["created_at"])
    more = len(rows) > size
    rows = rows[:size]
    nxt = f"{rows[-1]['created_at'].isoformat()}~{rows[-1]['id']}" if more and rows else None
    return rows, nxt


# ---- traces -----------------------------------------------------------------------------------


async def recent_traces(
    engine: AsyncEngine, cursor: str | None = None, size: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], str | None]:
    """Root runs, newest first (keyset on created_at, id)."""
    where: list[ColumnElement[bool]] = [SPANS.c.kind == "run", SPANS.c.parent_id.is_(None)]
    if cursor:
        when, span_id = parse_cursor(cursor)
        where += keyset(SPANS.c.created_at, SPANS.c.id, when, span_id)
    stmt = select(SPANS).where(*where).order_by(SPANS.c.created_at.desc(), SPANS.c.id.desc()).limit(size + 1)
    async with engine.connect() as conn:
        rows = [dict(r._mapping) for r in (await conn.execute(stmt)).all()]
    for r in rows:
        r["created_at"] = _time(r["created_at"])
    more = len(rows) > size
    rows = rows[:size]
    nxt = f"{rows[-1]['created_at'].isoformat()}~{rows[-1]['id']}" if more and rows else None
    return rows, nxt


async def trace_rows(engine: AsyncEngine, trace_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The spans (runs, tools) and the LLM call rows of one trace."""
    async with engine.connect() as conn:
        spans = [
            dict(r._mapping) for r in await conn.execute(select(SPANS).where(SPANS.c.trace_id == trace_id))
        ]
        cols = [CALLS.c[c] for c in TRACE_CALL_COLUMNS]
        calls = [
            dict(r._mapping) for r in await conn.execute(select(*cols).where(CALLS.c.trace_id == trace_id))
        ]
    for r in (*spans, *calls):
        r["created_at"] = _time(r["created_at"])
    return spans, calls


async def trace_of_call(engine: AsyncEngine, call_id: str) -> str | None:
    async with engine.connect() as conn:
        return (await conn.execute(select(CALLS.c.trace_id).where(CALLS.c.id == call_id))).scalar()


# ---- sessions ---------------------------------------------------------------------------------


async def sessions_page(
    engine: AsyncEngine, cursor: str | None = None, size: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], str | None]:
    """Sessions, most recently used first (keyset on updated_at, id)."""
    from agentcore.context._store_tables import SessionRow

    s = _table(SessionRow)
    where: list[Any] = []
    if cursor:
        when, sid = parse_cursor(cursor)
        where += keyset(s.c.updated_at, s.c.id, when, sid)
    stmt = select(s).where(*where).order_by(s.c.updated_at.desc(), s.c.id.desc()).limit(size + 1)
    async with engine.connect() as conn:
        rows = [dict(r._mapping) for r in (await conn.execute(stmt)).all()]
    for r in rows:
        r["updated_at"] = _time(r["updated_at"])
        r["created_at"] = _time(r["created_at"])
    more = len(rows) > size
    rows = rows[:size]
    nxt = f"{rows[-1]['updated_at'].isoformat()}~{rows[-1]['id']}" if more and rows else None
    return rows, nxt


async def session_messages(
    engine: AsyncEngine, name: str, after_seq: int = 0, size: int = 200
) -> tuple[dict[str, Any] | None, list[dict[str, Any]], int | None]:
    """A session (by name), a page of its stored messages in order, and the next page's seq."""
    from agentcore.context._store_tables import MessageRow, SessionRow

    s, m = _table(SessionRow), _table(MessageRow)
    async with engine.connect() as conn:
        found = (await conn.execute(select(s).where(s.c.name == name))).first()
        if found is None:
            return None, [], None
        session = dict(found._mapping)
        stmt = (
            select(m)
            .where(m.c.session_id == session["id"], m.c.seq > after_seq)
            .order_by(m.c.seq)
            .limit(size + 1)
        )
        rows = [dict(r._mapping) for r in (await conn.execute(stmt)).all()]
    more = len(rows) > size
    rows = rows[:size]
    return session, rows, (int(rows[-1]["seq"]) if more and rows else None)
