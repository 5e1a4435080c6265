"""The background writer: call-log rows go through a bounded queue and are inserted in batches.

``submit`` is all the event loop pays per row (an append; no await, no I/O). A writer task drains
the queue into the database; rows that arrive while a batch is being written form the next batch.
A batch lingers up to ``linger_s`` for more rows (``flush``, ``close`` and a full batch cut it
short): a few large transactions instead of one per LLM call, so the call log barely competes with
the session store for the database (on SQLite: its one writer thread) and for the event loop.
A full queue drops the row, counts it and warns - the run is never blocked or failed by logging.
``close`` (and cancellation of the task when the loop shuts down, e.g. on Ctrl-C) writes every
queued row first.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

import structlog

from agentcore._redact import redact_text

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = structlog.get_logger("agentcore.tracing")

Kind = Literal["call", "span"]


class RowSource(Protocol):
    """Something that builds its row when the writer gets to it (keeps that work off the hot path)."""

    def row(self) -> dict[str, Any]:
        """The row to insert."""
        ...


Item = dict[str, Any] | RowSource
_AGGREGATED = ("prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens")


class CallLogWriter:
    """Batches call-log and span rows into the database at ``url`` (a configured storage URL)."""

    def __init__(
        self,
        url: str | None = None,
        *,
        max_queue: int = 10_000,
        batch_size: int = 1_000,
        linger_s: float = 0.2,
    ) -> None:
        from agentcore.storage.db import resolve_url

        self.url = resolve_url(url)
        self.max_queue = max_queue
        self.batch_size = batch_size
        self.written = 0
        self.dropped = 0
        self.failed = 0
        self._queue: deque[tuple[Kind, Item]] = deque()
        self.linger_s = linger_s
        self._lingering = False
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._batch: list[tuple[Kind, Item]] | None = None  # being written now
        self._waiters: list[asyncio.Future[None]] = []
        self._closing = False
        self._warned = False
        self._engine: AsyncEngine | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        from agentcore.storage.sqlite_writer import writer_for

        self._sqlite = writer_for(self.url)

    # ---- the hot path ---------------------------------------------------------------------

    def submit(self, kind: Kind, row: Item) -> bool:
        """Queue ``row`` (a dict, or an object whose ``row()`` builds one later); False (and counted
        as dropped) when the queue is full."""
        if len(self._queue) >= self.max_queue:
            self.dropped += 1
            if not self._warned:
                self._warned = True
                log.warning(
                    "calllog.queue_full",
                    max_queue=self.max_queue,
                    hint="rows are being dropped; the database is slower than the calls",
                )
            return False
        self._queue.append((kind, row))
        if self._task is None or self._task.done():
            self._start()
        elif not self._wake.is_set() and (not self._lingering or len(self._queue) >= self.batch_size):
            self._wake.set()
        return True

    # ---- lifecycle ------------------------------------------------------------------------

    def _start(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop yet: the rows wait for the first flush/close on a loop
        if loop is not self._loop:  # a new event loop (run_sync): loop-bound objects start afresh
            self._loop = loop
            self._wake = asyncio.Event()
            self._engine = None
            self._batch = None
        # A fresh context: the task must not inherit (and keep alive) the first caller's call context.
        self._task = loop.create_task(
            self._run(), name="agentcore-calllog-writer", context=contextvars.Context()
        )
        self._wake.set()

    @property
    def pending(self) -> int:
        """Rows queued and not yet written."""
        return len(self._queue)

    async def flush(self) -> None:
        """Wait until every row queued so far is in the database."""
        if self._task is None or self._task.done():
            self._task = None
            if not self._queue:
                return
            self._start()
        if not self._queue and self._batch is None:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._wake.set()
        await waiter

    async def close(self) -> None:
        """Write everything queued, then stop the writer task."""
        self._closing = True
        if self._queue and (self._task is None or self._task.done()):
            self._start()
        task, self._task = self._task, None
        if task is not None:
            self._wake.set()
            await task
        if self._engine is not None:
            # Pooled aiosqlite connections hold non-daemon threads; release them (the engine stays usable).
            await self._engine.dispose()
        self._closing = False

    # ---- the writer task ------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            while True:
                if not self._queue:
                    self._release_waiters()
                    if self._closing:
                        return
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                if (
                    self.linger_s > 0
                    and not (self._closing or self._waiters)
                    and len(self._queue) < self.batch_size
                ):
                    await self._linger()
                await self._write_next()
        except asyncio.CancelledError:
            # The loop is shutting down (Ctrl-C, end of asyncio.run): finish what is queued.
            # The batch interrupted mid-write was rolled back with its transaction: write it again.
            # (Not a separate shielded task: asyncio.run cancels every task, that one too.)
            batch, self._batch = self._batch, None
            if batch is not None:
                await self._write(batch)
            while self._queue:
                await self._write_next()
            self._release_waiters()
            raise

    async def _linger(self) -> None:
        self._lingering = True
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), self.linger_s)
        except TimeoutError:
            pass
        finally:
            self._lingering = False

    async def _write_next(self) -> None:
        batch = [self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))]
        self._batch = batch
        await self._write(batch)
        self._batch = None

    def _release_waiters(self) -> None:
        self._warned = False if not self._queue else self._warned
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _write(self, batch: list[tuple[Kind, Item]]) -> None:
        try:
            calls = [_materialise(item) for kind, item in batch if kind == "call"]
            spans = [_materialise(item) for kind, item in batch if kind == "span"]
            engine = await self._open()
            if self._sqlite is not None:
                # The file's writer thread: no lock contention with the session store's appends.
                await self._sqlite.run(lambda conn: _sqlite_write(conn, calls, spans))
                self.written += len(batch)
                return
            stmts = _statements(engine.dialect.name)
            async with engine.begin() as conn:
                if calls:
                    await conn.execute(stmts.calls, calls)
                    await _update_aggregates(conn, stmts, calls)
                if spans:
                    await conn.execute(stmts.spans, spans)
            self.written += len(batch)
        except Exception as exc:  # logging must never break the agent
            self.failed += len(batch)
            log.warning(
                "calllog.write_failed",
                rows=len(batch),
                error=redact_text(f"{type(exc).__name__}: {exc}")[:500],
            )

    async def _open(self) -> AsyncEngine:
        if self._engine is None:
            from agentcore.storage.db import open_database
            from agentcore.tracing import calllog

            calllog.register()
            self._engine = await open_database(self.url)
        return self._engine


class _SQLiteSQL:
    """The SQLite statements, built once from the tables: positional inserts and the upsert."""

    def __init__(self) -> None:
        from agentcore.tracing.calllog import CALLS, MODEL_USAGE, SPANS

        self.calls = _insert_sql(CALLS)
        self.spans = _insert_sql(SPANS)
        counters = ("requests", "errors", "cost_usd", *_AGGREGATED)
        updates = ", ".join(
            [f"{c} = {c} + excluded.{c}" for c in counters] + ["last_used_at = excluded.last_used_at"]
        )
        self.upsert = (
            _insert_sql(MODEL_USAGE)[0] + f" ON CONFLICT (provider, model) DO UPDATE SET {updates}",
            _insert_sql(MODEL_USAGE)[1],
        )


def _insert_sql(table: Any) -> tuple[str, list[tuple[str, Any]]]:
    """``INSERT`` with ``?`` placeholders, and (column, default) in placeholder order."""
    columns = [(c.name, c.default.arg if c.default is not None else None) for c in table.columns]
    names = ", ".join(n for n, _ in columns)
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table.name} ({names}) VALUES ({marks})", columns


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        from agentcore.storage.sqlite_writer import sqlite_time

        return sqlite_time(value.astimezone(UTC) if value.tzinfo else value)
    return int(value) if isinstance(value, bool) else value


def _sqlite_params(columns: list[tuple[str, Any]], rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [tuple(_sqlite_value(row.get(n, d)) for n, d in columns) for row in rows]


_sqlite_sql: list[_SQLiteSQL] = []


def _sqlite_write(conn: Any, calls: list[dict[str, Any]], spans: list[dict[str, Any]]) -> None:
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
        from sqlalchemy import bindparam, insert, update

        from agentcore.tracing.calllog import CALLS, MODEL_USAGE, SPANS

        self.calls: Any = insert(CALLS)
        self.spans: Any = insert(SPANS)
        counters = ("requests", "errors", "cost_usd", *_AGGREGATED)
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
                    "last_used_at": stmt.excluded.last_used_at,
                },
            )
        # Other dialects: update, then insert the models that had no row.
        self.update: Any = (
            update(table)
            .where(table.c.provider == bindparam("p_provider"), table.c.model == bindparam("p_model"))
            .values(
                **{c: table.c[c] + bindparam(c) for c in counters}, last_used_at=bindparam("last_used_at")
            )
        )
        self.insert_usage: Any = insert(table)


_statements_by_dialect: dict[str, _Statements] = {}


def _statements(dialect: str) -> _Statements:
    found = _statements_by_dialect.get(dialect)
    if found is None:
        found = _statements_by_dialect[dialect] = _Statements(dialect)
    return found


def _totals(calls: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The batch's calls folded into one totals row per (provider, model)."""
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
                "cost_usd": 0.0,
                "last_used_at": row["created_at"],
                **dict.fromkeys(_AGGREGATED, 0),
            }
        agg["requests"] += 1
        agg["errors"] += row["status"] == "error"
        agg["cost_usd"] += row["cost_usd"] or 0.0
        agg["last_used_at"] = max(agg["last_used_at"], row["created_at"])
        for name in _AGGREGATED:
            agg[name] += row[name]
    return totals


async def _update_aggregates(conn: AsyncConnection, stmts: _Statements, calls: list[dict[str, Any]]) -> None:
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


def _materialise(item: Item) -> dict[str, Any]:
    return item if isinstance(item, dict) else item.row()


def tags_json(tags: dict[str, str] | None) -> str | None:
    """Tags as stored in the ``tags`` column."""
    return json.dumps(tags, ensure_ascii=False, sort_keys=True) if tags else None


def utcnow() -> datetime:
    """UTC now (timezone-aware), the form every call-log time is stored in."""
    return datetime.now(UTC)
