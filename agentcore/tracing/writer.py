"""The background writer: call-log rows go through a bounded queue and are inserted in batches.

``submit`` is all the event loop pays per row (an append; no await, no I/O). A writer task drains
the queue into the database; rows that arrive while a batch is being written form the next batch.
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

    def __init__(self, url: str | None = None, *, max_queue: int = 10_000, batch_size: int = 1_000) -> None:
        from agentcore.storage.db import resolve_url

        self.url = resolve_url(url)
        self.max_queue = max_queue
        self.batch_size = batch_size
        self.written = 0
        self.dropped = 0
        self.failed = 0
        self._queue: deque[tuple[Kind, Item]] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._batch: list[tuple[Kind, Item]] | None = None  # being written now
        self._waiters: list[asyncio.Future[None]] = []
        self._closing = False
        self._warned = False
        self._engine: AsyncEngine | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # memory:// is one shared SQLite connection: a background commit interleaved with the session
        # store's statements on it breaks both. There, rows wait for flush()/close() (or a full batch).
        self._deferred = self.url == "sqlite+aiosqlite://"

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
            if not self._deferred or len(self._queue) >= self.batch_size:
                self._start()
        elif not self._wake.is_set():
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
        if self._engine is not None and not self.url.endswith("://"):
            # Pooled aiosqlite connections hold non-daemon threads; release them (the engine stays usable).
            await self._engine.dispose()
        self._closing = False

    # ---- the writer task ------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            while True:
                if not self._queue:
                    self._release_waiters()
                    if self._closing or self._deferred:
                        return
                    self._wake.clear()
                    await self._wake.wait()
                    continue
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
        from sqlalchemy import insert

        from agentcore.tracing.calllog import CALLS, SPANS

        try:
            calls = [_materialise(item) for kind, item in batch if kind == "call"]
            spans = [_materialise(item) for kind, item in batch if kind == "span"]
            engine = await self._open()
            async with engine.begin() as conn:
                if calls:
                    await conn.execute(insert(CALLS), calls)
                    await _update_aggregates(conn, calls)
                if spans:
                    await conn.execute(insert(SPANS), spans)
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


async def _update_aggregates(conn: AsyncConnection, calls: list[dict[str, Any]]) -> None:
    from sqlalchemy import update

    from agentcore.tracing.calllog import MODEL_USAGE as table

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
    counters = ("requests", "errors", "cost_usd", *_AGGREGATED)
    insert_fn = _dialect_insert(conn.dialect.name)
    for agg in totals.values():
        if insert_fn is not None:
            stmt = insert_fn(table).values(**agg)
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c.provider, table.c.model],
                set_={
                    **{c: table.c[c] + stmt.excluded[c] for c in counters},
                    "last_used_at": stmt.excluded.last_used_at,
                },
            )
            await conn.execute(stmt)
            continue
        result = await conn.execute(
            update(table)
            .where(table.c.provider == agg["provider"], table.c.model == agg["model"])
            .values(**{c: table.c[c] + agg[c] for c in counters}, last_used_at=agg["last_used_at"])
        )
        if not result.rowcount:
            from sqlalchemy import insert

            await conn.execute(insert(table).values(**agg))


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
