"""Per-session turn locks: one turn at a time per session, in this process and across processes.

Three layers, taken in this order and released in reverse:

1. in this process: an ``asyncio.Lock`` per (database, session) and event loop - shared by every
   Agent of the loop, FIFO, no polling. Kept per loop, so a second event loop (another thread, a
   test) has its own and never touches this one's.
2. across processes, by database: PostgreSQL - a session-level advisory lock
   (``pg_try_advisory_lock``) held for the turn on one dedicated connection per database and loop;
   a SQLite file - an ``flock`` on a small lock file per session in ``<db file>.locks/``.
   A SQLite write transaction is deliberately not used: held across LLM calls it would block the
   writes of every other session of the file.
3. the database itself: appends number messages from the session row inside their transaction, and
   the unique (session, seq) constraint refuses a duplicate whatever happens above.

Waiting for another process polls (2 ms doubling to 100 ms) until ``timeout``; ``mode="fail"``
raises ``SessionBusy`` at once instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from agentcore.errors import SessionBusy

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

LockMode = Literal["wait", "fail"]


@dataclass(slots=True)
class _Local:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


_local: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], _Local]] = (
    weakref.WeakKeyDictionary()
)
_pg: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _PgLocks]] = weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def session_lock(
    url: str, sqlite_path: str | None, name: str, *, mode: LockMode = "wait", timeout: float = 300.0
) -> AsyncGenerator[None]:
    """Hold session ``name`` of database ``url`` for one turn (see the module doc)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    table = _local.setdefault(loop, {})
    key = (url, name)
    entry = table.get(key) or table.setdefault(key, _Local())
    entry.users += 1
    try:
        if mode == "fail" and entry.lock.locked():
            raise SessionBusy(name, "another turn of this process is running (context.sessionLockMode: fail)")
        try:
            async with asyncio.timeout_at(deadline):
                await entry.lock.acquire()
        except TimeoutError:
            raise SessionBusy(name, _waited(timeout)) from None
        try:
            async with _cross_process(url, sqlite_path, name, mode, deadline, timeout):
                yield
        finally:
            entry.lock.release()
    finally:
        entry.users -= 1
        if entry.users == 0 and table.get(key) is entry:
            del table[key]


def _waited(timeout: float) -> str:
    return (
        f"another turn still holds it after {timeout:g} s "
        "(raise context.sessionLockTimeout, or use another session)"
    )


async def _poll(
    attempt: Callable[[], Awaitable[bool]], name: str, mode: LockMode, deadline: float, timeout: float
) -> None:
    loop = asyncio.get_running_loop()
    delay = 0.002
    while not await attempt():
        if mode == "fail":
            raise SessionBusy(name, "another process is running a turn on it (context.sessionLockMode: fail)")
        left = deadline - loop.time()
        if left <= 0:
            raise SessionBusy(name, _waited(timeout))
        await asyncio.sleep(min(delay, left))
        delay = min(delay * 2, 0.1)


@contextlib.asynccontextmanager
async def _cross_process(
    url: str, sqlite_path: str | None, name: str, mode: LockMode, deadline: float, timeout: float
) -> AsyncGenerator[None]:
    if url.startswith("postgresql"):
        locks = _pg.setdefault(asyncio.get_running_loop(), {}).get(url)
        if locks is None:
            locks = _pg[asyncio.get_running_loop()][url] = _PgLocks(url)
        key = _pg_key(url, name)
        await _poll(lambda: locks.try_lock(key), name, mode, deadline, timeout)
        try:
            yield
        finally:
            await locks.unlock(key)
        return
    if sqlite_path is None:
        yield  # no file to lock (unusual URLs): the in-process lock and the seq constraint remain
        return
    flock = _FileLock(lock_file(sqlite_path, name))

    async def attempt() -> bool:
        return flock.try_acquire()

    await _poll(attempt, name, mode, deadline, timeout)
    try:
        yield
    finally:
        flock.release()


# ---- SQLite: a lock file per session -----------------------------------------------------


def lock_file(sqlite_path: str, name: str) -> Path:
    """The lock file of session ``name`` of a SQLite database file."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return Path(sqlite_path + ".locks") / f"{digest}.lock"


class _FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        try:
            import fcntl
        except ImportError:  # Windows: no cross-process lock (see docs/sessions.md)
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            # flock locks belong to the open file description: two Agents of one process exclude
            # each other too, unlike fcntl record locks.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the last descriptor releases the flock
            self.fd = None


def remove_lock_files(sqlite_path: str, names: list[str]) -> None:
    """Remove the lock files of deleted sessions (best effort)."""
    for name in names:
        with contextlib.suppress(OSError):
            lock_file(sqlite_path, name).unlink()


# ---- PostgreSQL: advisory locks on one connection per database and loop -----------------


def _pg_key(url: str, name: str) -> int:
    from agentcore.storage.db import _split_schema  # pyright: ignore[reportPrivateUsage]

    _, schema = _split_schema(url)
    digest = hashlib.sha256(f"agentcore-session\0{schema or ''}\0{name}".encode("utf-8", "surrogatepass"))
    return int.from_bytes(digest.digest()[:8], "big", signed=True)


class _PgLocks:
    """Advisory locks held on one autocommit connection; it goes back to the pool when none is held.

    One connection for all sessions of this loop: holding one per turn would take a pooled
    connection per concurrent session and starve the appends that need one too.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: AsyncConnection | None = None
        self.held = 0
        self.guard = asyncio.Lock()

    async def try_lock(self, key: int) -> bool:
        from sqlalchemy import text

        from agentcore.storage.db import open_database

        async with self.guard:
            if self.conn is None:
                engine = await open_database(self.url)
                conn = await engine.connect()
                self.conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = (await self.conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})).scalar()
            if got:
                self.held += 1
            elif self.held == 0:
                await self._close()
            return bool(got)

    async def unlock(self, key: int) -> None:
        from sqlalchemy import text

        async with self.guard:
            self.held -= 1
            try:
                if self.conn is not None:
                    await self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            except Exception:
                # A broken connection: its locks died with it; never return it to the pool.
                if self.conn is not None:
                    with contextlib.suppress(Exception):
                        await self.conn.invalidate()
                self.conn = None
            if self.held == 0:
                await self._close()

    async def _close(self) -> None:
        if self.conn is not None:
            conn, self.conn = self.conn, None
            with contextlib.suppress(Exception):
                await conn.close()
