"""The call-log writer's SQL: batch inserts and the null-aware per-model totals (upserts)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from agentcore.tracing._schema import Layout

_AGGREGATED = (
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
)
_SAVED = ("cache_hits", "saved_prompt_tokens", "saved_completion_tokens", "unpriced_hits", "saved_usd_priced")
_COUNTERS = (
    "requests",
    "errors",
    "unreported_requests",
    "unpriced_requests",
    "cost_usd_priced",
    *_AGGREGATED,
    *_SAVED,
)
# Null-aware totals: (total, the sum of its known part, how many rows are unknown).
_NULLABLE = (
    ("cost_usd", "cost_usd_priced", "unpriced_requests"),
    ("saved_usd", "saved_usd_priced", "unpriced_hits"),
)


class _SQLiteSQL:
    """The SQLite statements, built once from the column layouts (no SQLAlchemy on this path):
    positional inserts and the upsert."""

    def __init__(self) -> None:
        from agentcore.tracing import _schema as t

        self.calls = _insert_sql(t.CALLS_TABLE, t.CALLS)
        self.spans = _insert_sql(t.SPANS_TABLE, t.SPANS)
        updates = ", ".join(
            [f"{c} = {c} + excluded.{c}" for c in _COUNTERS]
            + [
                f"{total} = CASE WHEN {unknown} + excluded.{unknown} = 0 "
                f"THEN {known} + excluded.{known} ELSE NULL END"
                for total, known, unknown in _NULLABLE
            ]
            + ["last_used_at = excluded.last_used_at"]
        )
        insert, columns = _insert_sql(t.MODEL_USAGE_TABLE, t.MODEL_USAGE)
        self.upsert = (insert + f" ON CONFLICT (provider, model) DO UPDATE SET {updates}", columns)


def _insert_sql(table: str, layout: Layout) -> tuple[str, list[tuple[str, Any]]]:
    """``INSERT`` with ``?`` placeholders, and (column, default) in placeholder order."""
    columns = [(name, default) for name, default, _ in layout]
    names = ", ".join(n for n, _ in columns)
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({names}) VALUES ({marks})", columns


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        from agentcore.storage.sqlite_writer import sqlite_time

        return sqlite_time(value.astimezone(UTC) if value.tzinfo else value)
    return int(value) if isinstance(value, bool) else value


_TIME_COLUMNS = frozenset({"created_at", "last_used_at"})


def _sqlite_params(columns: list[tuple[str, Any]], rows: list[dict[str, Any]]) -> list[list[Any]]:
    # Only the times need converting (sqlite3 stores bools as 0/1 itself): ~40 columns a row,
    # so a per-value conversion call showed up in the writer's throughput.
    times = [i for i, (name, _) in enumerate(columns) if name in _TIME_COLUMNS]
    out: list[list[Any]] = []
    for row in rows:
        values = [row.get(n, d) for n, d in columns]
        for i in times:
            values[i] = _sqlite_value(values[i])
        out.append(values)
    return out


_sqlite_sql: list[_SQLiteSQL] = []


def sqlite_write(conn: Any, calls: list[dict[str, Any]], spans: list[dict[str, Any]]) -> None:
    """One batch on the SQLite writer thread (inside its transaction): rows, then model totals."""
    if not _sqlite_sql:
        _sqlite_sql.append(_SQLiteSQL())
    sql = _sqlite_sql[0]
    if calls:
        conn.executemany(sql.calls[0], _sqlite_params(sql.calls[1], calls))
        conn.executemany(sql.upsert[0], _sqlite_params(sql.upsert[1], list(_totals(calls).values())))
    if spans:
        conn.executemany(sql.spans[0], _sqlite_params(sql.spans[1], spans))


class _Statements:
    """The writer's statements for one dialect, built once (building them per batch showed up in
    the profiles); SQLAlchemy then reuses their compiled form from its cache."""

    def __init__(self, dialect: str) -> None:
        from sqlalchemy import bindparam, case, insert, null, update

        from agentcore.tracing.calllog import CALLS, MODEL_USAGE, SPANS

        self.calls: Any = insert(CALLS)
        self.spans: Any = insert(SPANS)
        counters = _COUNTERS
        table = MODEL_USAGE
        self.upsert: Any = None
        insert_fn = _dialect_insert(dialect)
        if insert_fn is not None:
            # One executemany per batch: the totals of every model in the batch in one statement.
            stmt = insert_fn(table)
            self.upsert = stmt.on_conflict_do_update(
                index_elements=[table.c.provider, table.c.model],
                set_={
                    **{c: table.c[c] + stmt.excluded[c] for c in counters},
                    **{
                        total: case(
                            (
                                table.c[unknown] + stmt.excluded[unknown] == 0,
                                table.c[known] + stmt.excluded[known],
                            ),
                            else_=null(),
                        )
                        for total, known, unknown in _NULLABLE
                    },
                    "last_used_at": stmt.excluded.last_used_at,
                },
            )
        # Other dialects: update, then insert the models that had no row.
        self.update: Any = (
            update(table)
            .where(table.c.provider == bindparam("p_provider"), table.c.model == bindparam("p_model"))
            .values(
                **{c: table.c[c] + bindparam(c) for c in counters},
                **{
                    total: case(
                        (
                            table.c[unknown] + bindparam(unknown) == 0,
                            table.c[known] + bindparam(known),
                        ),
                        else_=null(),
                    )
                    for total, known, unknown in _NULLABLE
                },
                last_used_at=bindparam("last_used_at"),
            )
        )
        self.insert_usage: Any = insert(table)


_statements_by_dialect: dict[str, _Statements] = {}


def statements(dialect: str) -> _Statements:
    found = _statements_by_dialect.get(dialect)
    if found is None:
        found = _statements_by_dialect[dialect] = _Statements(dialect)
    return found


def _totals(calls: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The batch's calls folded into one totals row per (provider, model); unknown figures are
    counted as unreported/unpriced, never added as 0. A cache hit spent nothing: its tokens and
    cost go to the saved counters, not to the spent ones."""
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    for row in calls:
        key = (row["provider"], row["model"])
        agg = totals.get(key)
        if agg is None:
            agg = totals[key] = {
                "provider": key[0],
                "model": key[1],
                "requests": 0,
                "errors": 0,
                "unreported_requests": 0,
                "unpriced_requests": 0,
                "cost_usd_priced": 0.0,
                "cost_usd": None,
                "last_used_at": row["created_at"],
                **dict.fromkeys(_AGGREGATED, 0),
                **dict.fromkeys(_SAVED, 0),
                "saved_usd_priced": 0.0,
                "saved_usd": None,
            }
        agg["requests"] += 1
        agg["last_used_at"] = max(agg["last_used_at"], row["created_at"])
        if row["status"] == "cache_hit":
            _add_hit(agg, row)
            continue
        agg["errors"] += row["status"] == "error"
        agg["unreported_requests"] += not row.get("usage_reported", True)
        cost = row.get("cost_usd")
        if cost is None:
            agg["unpriced_requests"] += 1
        else:
            agg["cost_usd_priced"] += cost
        for name in _AGGREGATED:
            agg[name] += row.get(name) or 0
    for agg in totals.values():
        for total, known, unknown in _NULLABLE:
            agg[total] = agg[known] if not agg[unknown] else None
    return totals


def _add_hit(agg: dict[str, Any], row: dict[str, Any]) -> None:
    agg["cache_hits"] += 1
    agg["saved_prompt_tokens"] += row.get("prompt_tokens") or 0
    agg["saved_completion_tokens"] += row.get("completion_tokens") or 0
    saved = row.get("saved_usd")
    if saved is None:
        agg["unpriced_hits"] += 1
    else:
        agg["saved_usd_priced"] += saved


async def update_aggregates(conn: AsyncConnection, stmts: _Statements, calls: list[dict[str, Any]]) -> None:
    totals = _totals(calls)
    if stmts.upsert is not None:
        await conn.execute(stmts.upsert, list(totals.values()))
        return
    for agg in totals.values():
        params = {"p_provider": agg["provider"], "p_model": agg["model"],
                  **{k: v for k, v in agg.items() if k not in ("provider", "model")}}  # fmt: skip
        result = await conn.execute(stmts.update, params)
        if not result.rowcount:
            await conn.execute(stmts.insert_usage, agg)


def _dialect_insert(dialect: str) -> Callable[[Any], Any] | None:
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert

        return insert
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        return insert
    return None
