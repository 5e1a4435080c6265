"""Database fixtures: every storage test runs on SQLite and on PostgreSQL.

PostgreSQL runs on 127.0.0.1:5432 (see .ci/run and the README). Each test gets its own schema
(``?schema=`` in the URL), dropped afterwards, so parallel runs never collide. When PostgreSQL is
not reachable its parametrisations skip locally and fail in CI (``CI`` set).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from agentcore.storage.db import dispose_engines

PG_DSN = os.environ.get("AGENTCORE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_reachable() -> str | None:
    import asyncpg

    async def probe() -> None:
        conn = await asyncpg.connect(PG_DSN, timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


_pg_error: list[str | None] = []


def pg_or_skip() -> None:
    """Skip (locally) or fail (in CI) when PostgreSQL is not reachable."""
    if not _pg_error:
        _pg_error.append(_pg_reachable())
    error = _pg_error[0]
    if error is not None:
        message = f"PostgreSQL at {PG_DSN} is not reachable ({error}); .ci/run sets it up"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


class Db:
    """A test database: its agentcore URL plus synchronous helpers to look at the raw rows."""

    def __init__(self, kind: str, url: str, *, path: Path | None = None, schema: str | None = None) -> None:
        self.kind = kind
        self.url = url
        self.path = path
        self.schema = schema

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Run ``sql`` (``?`` placeholders) on a separate connection; safe from any thread."""
        if self.path is not None:
            with sqlite3.connect(self.path, timeout=30) as conn:
                return [tuple(r) for r in conn.execute(sql, args).fetchall()]
        import asyncpg

        pg_sql = sql
        for i in range(1, len(args) + 1):
            pg_sql = pg_sql.replace("?", f"${i}", 1)

        async def run() -> list[tuple[Any, ...]]:
            conn = await asyncpg.connect(PG_DSN, server_settings={"search_path": self.schema or "public"})
            try:
                return [tuple(r) for r in await conn.fetch(pg_sql, *args)]
            finally:
                await conn.close()

        # Own thread and loop: callers may be inside a running event loop (or the fake's thread).
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, run()).result()

    def rows(self, session: str) -> list[tuple[Any, ...]]:
        """(id, seq, role, content) of a session's message rows, in seq order."""
        return self.query(
            "SELECT m.id, m.seq, m.role, m.content FROM agentcore_messages m "
            "JOIN agentcore_sessions s ON s.id = m.session_id WHERE s.name = ? ORDER BY m.seq",
            session,
        )


def _drop_schema(schema: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(PG_DSN)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()

    asyncio.run(run())


def make_db(kind: str, tmp_path: Path) -> Iterator[Db]:
    """A fresh database of ``kind`` ("sqlite" or "postgres"), cleaned up afterwards."""
    if kind == "sqlite":
        path = tmp_path / "agentcore.db"
        yield Db(kind, f"sqlite+aiosqlite:///{path}", path=path)
        return
    pg_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    base = PG_DSN.replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield Db(kind, f"{base}?schema={schema}", schema=schema)
    finally:
        _drop_schema(schema)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    """The database under test, once per backend."""
    yield from make_db(request.param, tmp_path)


@pytest.fixture(autouse=True)
async def _close_engines() -> AsyncIterator[None]:
    yield
    await dispose_engines()
