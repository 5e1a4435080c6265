"""Opening the database: URL resolution, engines shared per URL, schema set-up with versions.

``storage.url`` (or ``$AGENTCORE_DB_URL``) selects the database; the default is a SQLite file under
``$AGENTCORE_HOME`` (``~/.agentcore``) in WAL mode. A PostgreSQL URL may carry ``?schema=NAME`` to
keep agentcore's tables in their own schema (created when missing). ``memory://`` is the explicit
throwaway choice: a private SQLite file in a temporary folder, shared by everything in this process
(sessions, call log, any number of connections and tasks, exactly like the file database) and
deleted when the process exits.
A database that cannot be opened is an error naming the URL (password masked) - never a silent
fallback to memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentcore.errors import StorageError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

MEMORY_URL = "memory://"

# name -> (version, upgrade steps). Each owner (sessions, call log) registers its own schema.
Migration = Callable[["AsyncConnection", int], Awaitable[None]]
_SCHEMAS: dict[str, tuple[int, Migration]] = {}
_engines: dict[tuple[str, int], AsyncEngine] = {}
# One reaper per loop with engines: an async generator parked at its ``yield``. ``asyncio.run``
# (``loop.shutdown_asyncgens``) closes it when the loop ends, which disposes that loop's engines, so
# an application calling ``asyncio.run`` many times does not pile up pools (and aiosqlite threads).
_reapers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncGenerator[None]] = (
    weakref.WeakKeyDictionary()
)
_ready: dict[tuple[str, int, str], int] = {}


def agentcore_home() -> Path:
    """``$AGENTCORE_HOME`` or ``~/.agentcore``."""
    return Path(os.environ.get("AGENTCORE_HOME") or Path.home() / ".agentcore").expanduser()


def resolve_url(configured: str | None) -> str:
    """The SQLAlchemy URL to use: config, then ``$AGENTCORE_DB_URL``, then the SQLite default."""
    url = configured or os.environ.get("AGENTCORE_DB_URL")
    if not url:
        return f"sqlite+aiosqlite:///{agentcore_home() / 'agentcore.db'}"
    if url in (MEMORY_URL, "sqlite://", "sqlite+aiosqlite://"):  # the last two: in-memory SQLite URLs
        return f"sqlite+aiosqlite:///{_memory_file()}"
    if url.startswith("sqlite:///") or url.startswith("sqlite://"):
        return url.replace("sqlite://", "sqlite+aiosqlite://", 1)
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


_memory: list[tuple[int, Path]] = []  # (pid, file): a forked child makes its own


def _memory_file() -> Path:
    """This process's throwaway database file (its folder is removed at exit)."""
    if not _memory or _memory[0][0] != os.getpid():
        import atexit
        import shutil
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="agentcore-memory-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _memory[:] = [(os.getpid(), folder / "memory.db")]
    return _memory[0][1]


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    from agentcore._redact import redact_text

    return redact_text(url)


def db_error(exc: BaseException) -> str:
    """A one-line description of a database error without the statement or its parameters.

    SQLAlchemy appends ``[SQL: ...]`` and ``[parameters: ...]`` to its messages: the parameters are
    message content (and may hold anything a tool returned), so they never reach a terminal or log.
    """
    orig = getattr(exc, "orig", None)
    inner: BaseException = orig if isinstance(orig, BaseException) else exc
    message = str(inner).split("[SQL:", 1)[0].split("[parameters:", 1)[0].strip()
    message = message.splitlines()[0] if message else ""
    if len(message) > 300:
        message = message[:300] + "..."
    return mask_url(f"{type(inner).__name__}: {message}" if message else type(inner).__name__)


def register_schema(name: str, version: int, migrate: Migration) -> None:
    """Declare a schema: ``migrate(conn, from_version)`` brings it from ``from_version`` to ``version``."""
    _SCHEMAS[name] = (version, migrate)


def get_engine(url: str) -> AsyncEngine:
    """One engine per URL and event loop (engines keep loop-bound connection pools)."""
    from sqlalchemy import event
    from sqlalchemy.ext.asyncio import create_async_engine

    loop = asyncio.get_running_loop()
    key = (url, id(loop))
    engine = _engines.get(key)
    if engine is not None:
        return engine
    _watch(loop)
    kwargs: dict[str, Any] = {}
    engine_url, schema = _split_schema(url)
    if schema:
        # asyncpg takes server settings per connection: every pooled connection uses the schema.
        if url.startswith("postgresql+asyncpg"):
            kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        else:
            kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path:
            try:
                Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(
                    f"cannot create the database folder for {mask_url(url)}: {exc.strerror}"
                ) from None
        kwargs["connect_args"] = {"timeout": 30}
    try:
        engine = create_async_engine(engine_url, **kwargs)
    except Exception as exc:  # bad driver names, malformed URLs
        raise StorageError(mask_url(f"cannot open the database {url}: {exc}")) from None
    if url.startswith("sqlite"):

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:  # pyright: ignore[reportUnusedFunction]
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    _engines[key] = engine
    return engine


async def _reaper() -> AsyncGenerator[None]:
    try:
        yield
    finally:
        await dispose_engines()


def _watch(loop: asyncio.AbstractEventLoop) -> None:
    """Dispose ``loop``'s engines when the loop shuts down (see ``_reapers``)."""
    if loop in _reapers:
        return
    # A dead loop's id may be reused by a new loop: its leftovers must not be mistaken for ours.
    for key in [k for k in _engines if k[1] == id(loop)]:
        del _engines[key]
    for key in [k for k in _ready if k[1] == id(loop)]:
        del _ready[key]
    reaper = _reaper()
    step = reaper.__anext__()  # registers the generator with the running loop (firstiter hook)
    with contextlib.suppress(StopIteration):
        step.send(None)  # runs it to its ``yield`` without awaiting anything
    _reapers[loop] = reaper


async def open_database(url: str) -> AsyncEngine:
    """The engine for ``url`` with every registered schema created or migrated to its version."""

    engine = get_engine(url)
    loop_id = id(asyncio.get_running_loop())
    pending = [(n, v, m) for n, (v, m) in _SCHEMAS.items() if _ready.get((url, loop_id, n)) != v]
    if not pending:
        return engine
    _, schema = _split_schema(url)
    for attempt in range(3):
        try:
            await _create_schemas(engine, url, schema, pending)
            break
        except StorageError:
            raise
        except Exception as exc:
            # Two processes starting on a new database race to create the tables: the loser
            # sees them on its next attempt.
            if attempt == 2:
                raise StorageError(f"cannot open the database {mask_url(url)}: {db_error(exc)}") from None
            await asyncio.sleep(0.05 * (attempt + 1))
    for name, version, _ in pending:
        _ready[(url, loop_id, name)] = version
    return engine


async def ensure_schemas(url: str) -> None:
    """Every registered schema at its version in ``url``'s database, like ``open_database`` but
    without building an engine when nothing needs doing: a SQLite file already at every version is
    checked with plain ``sqlite3``, so the one-shot path never imports SQLAlchemy. A new file, an
    older (or newer) version or another database takes ``open_database``, which creates, upgrades
    (or refuses) exactly as always."""
    loop = asyncio.get_running_loop()
    pending = [(n, v) for n, (v, _) in _SCHEMAS.items() if _ready.get((url, id(loop), n)) != v]
    if not pending:
        return
    path = sqlite_file(url)
    if path is not None and await asyncio.to_thread(_at_versions, path, pending):
        _watch(loop)
        for name, version in pending:
            _ready[(url, id(loop), name)] = version
        return
    await open_database(url)


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite file URL (``sqlite+aiosqlite:///path``); None for other databases."""
    if not url.startswith("sqlite") or ":///" not in url or "?" in url:
        return None
    return url.split(":///", 1)[1] or None


def _at_versions(path: str, wanted: list[tuple[str, int]]) -> bool:
    """Whether the SQLite file ``path`` exists with every schema in ``wanted`` at exactly its version."""
    import sqlite3

    if not os.path.isfile(path):
        return False
    try:
        conn = sqlite3.connect(path, timeout=30)
        try:
            found = dict(conn.execute("SELECT name, version FROM agentcore_schema").fetchall())
        finally:
            conn.close()
    except sqlite3.Error:  # no schema table yet, or not a database: the full path says which
        return False
    return all(found.get(name) == version for name, version in wanted)


async def _create_schemas(
    engine: AsyncEngine, url: str, schema: str | None, pending: list[tuple[str, int, Migration]]
) -> None:
    from sqlalchemy import text

    if schema:
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    async with engine.begin() as conn:
        if not url.startswith("sqlite"):
            # Serialise concurrent first starts (several processes creating the same tables).
            await conn.execute(text("SELECT pg_advisory_xact_lock(872301)"))
        await conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS agentcore_schema (name VARCHAR(64) PRIMARY KEY, version INTEGER NOT NULL)"
            )
        )
        for name, version, migrate in pending:
            row = (
                await conn.execute(text("SELECT version FROM agentcore_schema WHERE name = :n"), {"n": name})
            ).first()
            current = int(row[0]) if row else 0
            if current < version:
                await migrate(conn, current)
                if row:
                    await conn.execute(
                        text("UPDATE agentcore_schema SET version = :v WHERE name = :n"),
                        {"v": version, "n": name},
                    )
                else:
                    await conn.execute(
                        text("INSERT INTO agentcore_schema (name, version) VALUES (:n, :v)"),
                        {"v": version, "n": name},
                    )
            elif current > version:
                raise StorageError(
                    f"the database {mask_url(url)} has {name} schema v{current}, newer than this agentcore "
                    f"(v{version}); upgrade agentcore"
                )


def _split_schema(url: str) -> tuple[str, str | None]:
    """``url`` without a ``schema=NAME`` query parameter (PostgreSQL only), and that name."""
    if not url.startswith("postgresql") or "schema=" not in url:
        return url, None
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), None)
    if schema is not None and not schema.replace("_", "").isalnum():
        raise StorageError(f"invalid schema name '{schema}' in {mask_url(url)}: use letters, digits and _")
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


async def release(url: str) -> None:
    """Close the pooled connections of ``url``'s engine on this loop (it reconnects when used again)."""
    engine = _engines.get((url, id(asyncio.get_running_loop())))
    if engine is not None:
        await engine.dispose()


async def dispose_engines() -> None:
    """Close the engines created on the running event loop."""
    loop_id = id(asyncio.get_running_loop())
    for key in [k for k in _engines if k[1] == loop_id]:
        engine = _engines.pop(key, None)
        if engine is not None:
            await engine.dispose()
    for key in [k for k in _ready if k[1] == loop_id]:
        del _ready[key]
