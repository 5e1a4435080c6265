"""The background writer: call-log rows go through a bounded queue and are inserted in batches.

``submit`` is all the event loop pays per row (an append; no await, no I/O). A writer task drains
the queue into the database; rows that arrive while a batch is being written form the next batch.
A batch lingers up to ``linger_s`` for more rows (``flush``, ``close`` and a full batch cut it
short): a few large transactions instead of one per LLM call, so the call log barely competes with
the session store for the database (on SQLite: its one writer thread) and for the event loop.
A full queue drops the row, counts it and warns - the run is never blocked or failed by logging.
``close`` (and cancellation of the task when the loop shuts down, e.g. on Ctrl-C) writes every
queued row first.

Nothing is lost silently: rows are fitted to their columns first (over-long text truncated, NUL
and lone surrogates escaped); a batch the database refuses is retried row by row, so only the bad
row is lost; a lost row, and the count of rows dropped by a full queue, go to the spill file
(``$AGENTCORE_HOME/calllog-spill.jsonl``, one JSON object a line) with an error log line.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from agentcore._redact import redact_text
from agentcore.logs import get_logger
from agentcore.tracing import _schema
from agentcore.tracing._sql import sqlite_write, statements, update_aggregates

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

log = get_logger("agentcore.tracing")

Kind = Literal["call", "span"]


class RowSource(Protocol):
    """Something that builds its row when the writer gets to it (keeps that work off the hot path)."""

    def row(self) -> dict[str, Any]:
        """The row to insert."""
        ...


Item = dict[str, Any] | RowSource
Rows = list[tuple[Kind, dict[str, Any]]]
SPILL_FILE = "calllog-spill.jsonl"


class CallLogWriter:
    """Batches call-log and span rows into the database at ``url`` (a configured storage URL)."""

    def __init__(
        self,
        url: str | None = None,
        *,
        max_queue: int = 10_000,
        batch_size: int = 1_000,
        linger_s: float = 0.2,
        spill_path: Path | None = None,
    ) -> None:
        from agentcore.storage.db import agentcore_home, resolve_url

        self.url = resolve_url(url)
        self.spill_path = spill_path or agentcore_home() / SPILL_FILE
        self.spilled = 0  # rows (or drop counts) written to the spill file
        self._dropped_spilled = 0
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
        self._batch: Rows | None = None  # being written now
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
        # A task of an earlier loop (the agent was used from another ``asyncio.run``) ended with it.
        if task is not None and task.get_loop() is asyncio.get_running_loop():
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
        items = [self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))]
        batch: Rows = []
        for kind, item in items:
            try:
                batch.append((kind, fit_row(kind, _materialise(item))))
            except Exception as exc:  # a row that cannot even be built: say so, keep the others
                self._lost([], f"row not built: {type(exc).__name__}: {exc}")
        self._batch = batch
        await self._write(batch)
        self._batch = None
        self._spill_dropped()

    def _release_waiters(self) -> None:
        self._warned = False if not self._queue else self._warned
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _write(self, batch: Rows) -> None:
        if not batch:
            return
        try:
            await self._insert(batch)
            self.written += len(batch)
            return
        except Exception as exc:  # logging must never break the agent
            if len(batch) == 1:
                self._lost(batch, _describe(exc))
                return
        # One bad row (a value the database refuses) must not take its batch with it.
        for one in batch:
            try:
                await self._insert([one])
                self.written += 1
            except Exception as exc:
                self._lost([one], _describe(exc))

    async def _insert(self, batch: Rows) -> None:
        calls = [row for kind, row in batch if kind == "call"]
        spans = [row for kind, row in batch if kind == "span"]
        if self._sqlite is not None:
            # The file's writer thread: no lock contention with the session store's appends.
            await self._ensure_schema()
            await self._sqlite.run(lambda conn: sqlite_write(conn, calls, spans))
            return
        engine = await self._open()
        stmts = statements(engine.dialect.name)
        async with engine.begin() as conn:
            if calls:
                await conn.execute(stmts.calls, calls)
                await update_aggregates(conn, stmts, calls)
            if spans:
                await conn.execute(stmts.spans, spans)

    def _lost(self, rows: Rows, error: str) -> None:
        """Rows the database did not take: counted, logged as an error, kept in the spill file."""
        self.failed += max(len(rows), 1)
        spilled = self._spill(
            [{"reason": "write_failed", "error": error, "kind": k, "row": r} for k, r in rows]
        )
        log.error(
            "calllog.write_failed",
            rows=len(rows),
            error=error,
            ids=[r.get("id") for _, r in rows][:20],
            spill_file=str(self.spill_path) if spilled else None,
        )

    def _spill_dropped(self) -> None:
        """Rows dropped by a full queue since the last report: one spill record and an error line."""
        dropped = self.dropped - self._dropped_spilled
        if dropped <= 0:
            return
        self._dropped_spilled = self.dropped
        spilled = self._spill([{"reason": "queue_full", "dropped": dropped}])
        log.error(
            "calllog.rows_dropped",
            rows=dropped,
            hint="the call-log queue was full",
            spill_file=str(self.spill_path) if spilled else None,
        )

    def _spill(self, records: list[dict[str, Any]]) -> bool:
        if not records:
            return False
        at = utcnow().isoformat()
        lines = "".join(
            json.dumps({"at": at, **record}, ensure_ascii=False, default=str) + "\n" for record in records
        )
        try:
            self.spill_path.parent.mkdir(parents=True, exist_ok=True)
            with self.spill_path.open("a", encoding="utf-8", errors="backslashreplace") as file:
                file.write(lines)
        except OSError as exc:
            log.error("calllog.spill_failed", path=str(self.spill_path), error=str(exc.strerror))
            return False
        self.spilled += len(records)
        return True

    async def _open(self) -> AsyncEngine:
        if self._engine is None:
            from agentcore.storage.db import open_database

            _schema.register()
            self._engine = await open_database(self.url)
        return self._engine

    async def _ensure_schema(self) -> None:
        # SQLite file: a plain sqlite3 version check; SQLAlchemy loads only to create or upgrade.
        from agentcore.storage.db import ensure_schemas

        _schema.register()
        await ensure_schemas(self.url)


def _materialise(item: Item) -> dict[str, Any]:
    return item if isinstance(item, dict) else item.row()


def _describe(exc: BaseException) -> str:
    # Only the first line: database errors append the SQL and its parameters (message content).
    text = f"{type(exc).__name__}: {exc}".split("\n", 1)[0]
    return redact_text(text)[:500]


_text_columns: dict[Kind, tuple[tuple[str, int | None], ...]] = {}


def _columns(kind: Kind) -> tuple[tuple[str, int | None], ...]:
    """(name, max length or None) of the table's text columns."""
    found = _text_columns.get(kind)
    if found is None:
        found = _text_columns[kind] = _schema.text_columns(_schema.CALLS if kind == "call" else _schema.SPANS)
    return found


def clean_text(value: str) -> str:
    """``value`` as any database can store it: NUL and lone surrogates escaped (readably)."""
    if "\x00" in value:
        value = value.replace("\x00", "\\x00")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def fit_row(kind: Kind, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with every text value storable and within its column's length (truncated, marked)."""
    for name, limit in _columns(kind):
        value = row.get(name)
        if type(value) is not str:
            continue
        if value.isascii() and "\x00" not in value and (limit is None or len(value) <= limit):
            continue  # the common case, checked without copying
        text = clean_text(value)
        if limit is not None and len(text) > limit:
            text = text[: limit - 1] + "\u2026"
        row[name] = text
    return row


def tags_json(tags: dict[str, str] | None) -> str | None:
    """Tags as stored in the ``tags`` column."""
    return json.dumps(tags, ensure_ascii=False, sort_keys=True) if tags else None


def utcnow() -> datetime:
    """UTC now (timezone-aware), the form every call-log time is stored in."""
    return datetime.now(UTC)
