"""Writes to a SQLite file from one dedicated thread per file: stdlib ``sqlite3``, group commits.

Writing through SQLAlchemy + aiosqlite costs a thread hop per statement plus expression building
(~1-4 ms a commit), and two writers on one file (the session store and the call log) wait for
each other in SQLite's busy handler, which sleeps milliseconds at a time. Here every write to a
file goes to one thread with one connection (WAL, ``synchronous=NORMAL``): the event loop hands it
a job and awaits a future; the thread runs every job queued meanwhile in one ``BEGIN IMMEDIATE``
transaction and commits once. ``BEGIN IMMEDIATE`` takes the write lock before anything is read,
which keeps read-then-write jobs (sequence numbers) correct when several processes share the file.
Reads and schema set-up stay on SQLAlchemy (``open_database`` must have run first).

A small write (a session append: a few rows, no fsync with ``synchronous=NORMAL``, ~0.1 ms) may run
on the caller's thread instead (``run(..., inline=True)``) when the writer is idle: the hand-off to
the thread and the wake-up back cost two context switches, 1-3 ms each on a loaded machine, ten
times the write. It goes inline only when nothing is queued and the connection is free, with a
zero busy timeout: if another process holds the write lock it goes to the thread (which waits
for it) instead of blocking the event loop. WAL checkpoints (which fsync) never run inline: auto-checkpoint is on only
while the thread commits, and the thread also checkpoints after every ``_CHECKPOINT_EVERY`` commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

T = TypeVar("T")
_IDLE_CLOSE_S = 10.0
#: commits between two passive WAL checkpoints (SQLite's own default is ~1000 pages, about as often)
_CHECKPOINT_EVERY = 200
Work = Callable[[sqlite3.Connection], Any]


@dataclass(slots=True)
class _Job:
    work: Work | None  # None: no work, a checkpoint poke
    loop: asyncio.AbstractEventLoop | None
    future: asyncio.Future[Any] | None


def _resolve(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the awaiting task was cancelled
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def sqlite_time(value: datetime) -> str:
    """``value`` in SQLAlchemy's SQLite DATETIME format (its reads parse what we write)."""
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")  # strftime's format, faster


class SQLiteWriter:
    """The writer thread of one SQLite database file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.pid = os.getpid()
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._conn: sqlite3.Connection | None = None
        # Held by whoever uses the connection: the thread for a batch, or an inline write.
        self._using = threading.Lock()
        self._commits = 0  # since the last checkpoint
        self._last_used = time.monotonic()
        # Daemon: a process exiting mid-commit loses only the write in flight, which nobody awaits.
        self._thread = threading.Thread(target=self._run, name="agentcore-sqlite-writer", daemon=True)
        self._thread.start()

    async def run(self, work: Callable[[sqlite3.Connection], T], *, inline: bool = False) -> T:
        """Run ``work(conn)`` inside a write transaction on the writer thread; its result once committed.

        ``inline``: a small job (never a bulk insert) that may run right here when the writer is idle.
        """
        if inline and self._jobs.empty() and self._using.acquire(blocking=False):
            try:
                done, value = self._inline(work)
            finally:
                self._using.release()
            if done:
                return value
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put(_Job(work, loop, future))
        return await future

    def _inline(self, work: Callable[[sqlite3.Connection], T]) -> tuple[bool, Any]:
        """``(True, result)`` once committed here; ``(False, None)`` when the thread must do it."""
        if not self._jobs.empty():  # queued while we took the lock: keep the order
            return False, None
        try:
            conn = self._connect()
            conn.execute("PRAGMA busy_timeout=0")
            try:
                conn.execute("BEGIN IMMEDIATE")
            finally:
                conn.execute("PRAGMA busy_timeout=30000")
        except sqlite3.Error:
            return False, None  # locked by another process (or cannot open): the thread waits for it
        try:
            result = work(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            self._last_used = time.monotonic()
        self._commits += 1
        if self._commits == _CHECKPOINT_EVERY:  # once: the count only grows under the lock
            self._jobs.put(_Job(None, None, None))  # the thread checkpoints, off the event loop
        return True, result

    # ---- the writer thread ----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA wal_autocheckpoint=0")  # see _checkpoint
            self._conn = conn
        return self._conn

    def _run(self) -> None:
        while True:
            try:
                batch = [self._jobs.get(timeout=_IDLE_CLOSE_S)]
            except queue.Empty:
                with self._using:
                    if time.monotonic() - self._last_used >= _IDLE_CLOSE_S:
                        self._close_idle()
                continue
            with self._using:
                while True:
                    try:
                        batch.append(self._jobs.get_nowait())
                    except queue.Empty:
                        break
                jobs = [job for job in batch if job.work is not None]
                outcomes = self._commit(jobs) if jobs else []
                self._last_used = time.monotonic()
                if self._commits >= _CHECKPOINT_EVERY:
                    self._checkpoint()
            for job, (ok, value) in zip(jobs, outcomes, strict=True):
                assert job.loop is not None and job.future is not None
                # A closed event loop raises RuntimeError: nobody is waiting for that job any more.
                with contextlib.suppress(RuntimeError):
                    job.loop.call_soon_threadsafe(_resolve, job.future, ok, value)

    def _close_idle(self) -> None:
        # Idle: release the file (its descriptors, WAL lock); the next job reconnects.
        if self._conn is not None:
            self._checkpoint()
            self._conn.close()
            self._conn = None

    def _checkpoint(self) -> None:
        """A passive checkpoint (what auto-checkpoint would do), here rather than in an inline commit."""
        self._commits = 0
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):  # busy readers: the next one catches up
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _commit(self, batch: list[_Job]) -> list[tuple[bool, Any]]:
        try:
            conn = self._connect()
        except Exception as exc:
            return [(False, exc)] * len(batch)
        self._commits += 1
        # On this thread SQLite's own page-count auto-checkpoint applies (a bulk call-log batch
        # can write thousands of pages); it is off only for the inline commits.
        conn.execute("PRAGMA wal_autocheckpoint=1000")
        try:
            return self._commit_on(conn, batch)
        finally:
            conn.execute("PRAGMA wal_autocheckpoint=0")

    def _commit_on(self, conn: sqlite3.Connection, batch: list[_Job]) -> list[tuple[bool, Any]]:
        try:
            return [(True, r) for r in self._transaction(conn, batch)]
        except Exception as exc:
            if len(batch) == 1:
                return [(False, exc)]
        # One job failed the shared transaction: run each alone so only that one fails.
        results: list[tuple[bool, Any]] = []
        for job in batch:
            try:
                results.append((True, self._transaction(conn, [job])[0]))
            except Exception as exc:
                results.append((False, exc))
        return results

    def _transaction(self, conn: sqlite3.Connection, batch: list[_Job]) -> list[Any]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            results = [job.work(conn) for job in batch if job.work is not None]
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return results


_writers: dict[str, SQLiteWriter] = {}
_lock = threading.Lock()


def writer_for(url: str) -> SQLiteWriter | None:
    """The writer of a SQLite file URL (``sqlite+aiosqlite:///path``); None for other databases."""
    if not url.startswith("sqlite") or ":///" not in url or "?" in url:
        return None
    path = url.split(":///", 1)[1]
    if not path:
        return None
    with _lock:
        found = _writers.get(path)
        if found is None or found.pid != os.getpid():  # a forked child has no writer thread
            found = _writers[path] = SQLiteWriter(path)
        return found
