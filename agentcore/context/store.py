"""Sessions persisted with sqlmodel: one row per message, appended, never rewritten.

Tables (``_store_tables``): ``agentcore_sessions`` (name, kind, counters, timestamps),
``agentcore_messages`` (one row per message: seq, role, content, tool calls as JSON, cached token
count, timestamp), ``agentcore_summaries`` (compression summaries) and ``agentcore_blobs`` (image
bytes, once per distinct image). Reads go through async engines (aiosqlite / asyncpg); writes to a
SQLite file go through its one writer (``storage.sqlite_writer``): appends run inline when it is idle
(~0.1 ms, no fsync, never waiting for a lock), else on its thread, so the event loop never waits on
another writer.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from agentcore.context import _store_sqlite as lite
from agentcore.context._store_codec import (
    Blob,
    mask,
    message,
    row_values,
)
from agentcore.context._store_schema import NAME_MAX, now
from agentcore.errors import SessionNameInvalid, StorageError
from agentcore.messages import InternalMessage
from agentcore.storage import text as dbtext
from agentcore.storage.db import db_error, ensure_schemas, mask_url, open_database
from agentcore.storage.sqlite_writer import sqlite_time, writer_for

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def check_session_name(name: str) -> str:
    """``name`` when it can be a session name; a one-line error saying why not otherwise."""
    if not name or not name.strip():
        raise SessionNameInvalid("a session name cannot be empty")
    if len(name) > NAME_MAX:
        raise SessionNameInvalid(
            f"session name too long ({len(name)} characters, at most {NAME_MAX}): '{name[:40]}...'"
        )
    problem = dbtext.check_text(name)
    if problem is not None:
        raise SessionNameInvalid(f"invalid session name: {problem}")
    return name


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A stored session."""

    id: str
    name: str
    kind: str
    message_count: int
    created_at: datetime
    updated_at: datetime
    next_seq: int = 0  # the number the next appended message gets (0: unknown)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "name": self.name,
            "kind": self.kind,
            "messages": self.message_count,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Summary:
    """A stored summary of the dropped messages ``from_seq <= seq < upto_seq``."""

    from_seq: int
    upto_seq: int
    text: str
    tokens: int


@dataclass(slots=True)
class Loaded:
    """A session's stored history: messages (with ``cache["seq"]``) and its latest summary."""

    messages: list[InternalMessage]
    summary: Summary | None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _parse_time(value: Any) -> datetime:
    return _aware(value if isinstance(value, datetime) else datetime.fromisoformat(str(value)))


def _lite_info(row: tuple[Any, ...]) -> SessionInfo:
    sid, name, kind, count, created, updated, next_seq = row
    return SessionInfo(sid, name, kind, count, _parse_time(created), _parse_time(updated), next_seq)


def _info(row: Any) -> SessionInfo:
    return SessionInfo(row.id, row.name, row.kind, row.message_count, _aware(row.created_at),
                       _aware(row.updated_at), row.next_seq)  # fmt: skip


class SessionStore:
    """Sessions in one database (``url`` already resolved, see ``storage.db.resolve_url``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._writer = writer_for(url)
        self._ready_loop: int | None = None

    @property
    def sqlite_path(self) -> str | None:
        """The database file when this is a SQLite file database."""
        return self._writer.path if self._writer is not None else None

    async def engine(self) -> AsyncEngine:
        """The engine, with the schema created or migrated on first use."""
        return await open_database(self.url)

    async def _ensure_schema(self) -> None:
        # Checked once per loop before the first sqlite3 read or write; created or migrated
        # (through SQLAlchemy) only when the file is new or at an older version.
        loop_id = id(asyncio.get_running_loop())
        if self._ready_loop != loop_id:
            await ensure_schemas(self.url)
            self._ready_loop = loop_id

    def _error(self, action: str, exc: BaseException) -> StorageError:
        # Never the statement's parameters: they are message content.
        return StorageError(f"cannot {action} in the database {mask_url(self.url)}: {db_error(exc)}")

    async def find(self, name: str) -> SessionInfo | None:
        """The session called ``name``, or None."""
        if dbtext.check_text(name) is not None or len(name) > NAME_MAX:
            return None  # cannot be stored, so it is not
        if self._writer is not None:
            await self._ensure_schema()
            try:
                found = await asyncio.to_thread(lite.find, self._writer.path, name)
            except Exception as exc:
                raise self._error("read sessions", exc) from None
            return _lite_info(found) if found is not None else None
        from sqlalchemy import select

        from agentcore.context._store_tables import S

        engine = await self.engine()
        try:
            async with engine.connect() as conn:
                row = (await conn.execute(select(S).where(S.c.name == name))).first()
        except Exception as exc:
            raise self._error("read sessions", exc) from None
        return _info(row) if row else None

    async def get_or_create(self, name: str, kind: str = "api") -> SessionInfo:
        """The session called ``name``, created when missing (safe against concurrent creators)."""
        check_session_name(name)
        if self._writer is not None:
            await self._ensure_schema()
            stamp = sqlite_time(now())
            new_id = uuid.uuid4().hex
            try:
                row = await self._writer.run(
                    lambda conn: lite.get_or_create(conn, new_id, name, kind, stamp), inline=True
                )
            except Exception as exc:
                raise self._error("create a session", exc) from None
            return _lite_info(row)
        found = await self.find(name)
        if found is not None:
            return found
        from sqlalchemy.exc import IntegrityError

        from agentcore.context._store_tables import S

        engine = await self.engine()
        stamp = now()
        values = {"id": uuid.uuid4().hex, "name": name, "kind": kind, "next_seq": 1, "message_count": 0,
                  "created_at": stamp, "updated_at": stamp}  # fmt: skip
        try:
            async with engine.begin() as conn:
                await conn.execute(S.insert().values(**values))
        except IntegrityError:
            pass  # another task or process created it first
        except Exception as exc:
            raise self._error("create a session", exc) from None
        found = await self.find(name)
        if found is None:
            raise StorageError(f"session '{name}' vanished while it was being created")
        return found

    async def list_sessions(self, kind: str | None = None) -> list[SessionInfo]:
        """Every session, most recently used first."""
        from sqlalchemy import select

        from agentcore.context._store_tables import S

        engine = await self.engine()
        query = select(S).order_by(S.c.updated_at.desc(), S.c.name)
        if kind is not None:
            query = query.where(S.c.kind == kind)
        try:
            async with engine.connect() as conn:
                rows = (await conn.execute(query)).all()
        except Exception as exc:
            raise self._error("list sessions", exc) from None
        return [_info(r) for r in rows]

    async def last(self, kind: str | None = None) -> SessionInfo | None:
        """The most recently used session (of ``kind``)."""
        sessions = await self.list_sessions(kind)
        return sessions[0] if sessions else None

    async def load(self, session_id: str, *, since_seq: int = 0) -> Loaded:
        """The stored messages (seq >= ``since_seq``) and the latest summary of a session."""
        if self._writer is not None:
            await self._ensure_schema()
            try:
                rows, srow, blobs = await asyncio.to_thread(
                    lite.load, self._writer.path, session_id, since_seq
                )
            except Exception as exc:
                raise self._error("load a session", exc) from None
            summary = Summary(srow[0], srow[1], srow[2], srow[3]) if srow else None
            return Loaded([message(r, blobs) for r in rows], summary)
        from agentcore.context import _store_sa as sa

        engine = await self.engine()
        try:
            rows, srow, blobs = await sa.load(engine, session_id, since_seq)
        except Exception as exc:
            raise self._error("load a session", exc) from None
        summary = Summary(srow[0], srow[1], srow[2], srow[3]) if srow else None
        return Loaded([message(r, blobs) for r in rows], summary)

    async def append(
        self,
        session: SessionInfo,
        messages: Sequence[InternalMessage],
        tokens: Sequence[int | None],
        tokenizer: str | None,
    ) -> list[int]:
        """Append ``messages`` in one committed transaction; returns their sequence numbers.

        The session row (next number, count, ``updated_at``) is updated in the same transaction,
        first: that locks it, so concurrent appends to one session (other tasks or processes) get
        consecutive numbers, and the unique (session, seq) constraint refuses any duplicate. A
        session deleted meanwhile (``sessions delete`` from another shell) is recreated under the
        same name. Text the database cannot hold (NUL, lone surrogates) is stored escaped.
        """
        if not messages:
            return []
        k = len(messages)
        await self._ensure_schema()
        blobs: list[Blob] = []
        try:
            if self._writer is not None:
                stamp = sqlite_time(now())
                rows = [row_values(m, t, tokenizer, blobs) for m, t in zip(messages, tokens, strict=True)]
                ident = (session.id, session.name, session.kind)
                first = await self._writer.run(
                    lambda conn: lite.append(conn, ident, rows, blobs, stamp), inline=True
                )
            else:
                first = await self._append_core(session, messages, tokens, tokenizer, blobs)
        except lite.NameTaken:
            raise StorageError(
                f"session '{session.name}' was deleted and its name reused while this one was open; "
                "start a new session"
            ) from None
        except StorageError:
            raise
        except Exception as exc:
            raise self._error("save a message", exc) from None
        seqs = list(range(first, first + k))
        for seq, msg in zip(seqs, messages, strict=True):
            msg.cache["seq"] = seq
        return seqs

    async def create_and_append(
        self, name: str, kind: str, messages: Sequence[InternalMessage], tokens: Sequence[int | None],
        tokenizer: str | None,
    ) -> tuple[SessionInfo, list[int]]:  # fmt: skip
        """``get_or_create`` then ``append``; for a SQLite file in one transaction (one writer trip,
        which is what the first message of every new session costs)."""
        if self._writer is None or not messages:
            info = await self.get_or_create(name, kind)
            return info, await self.append(info, messages, tokens, tokenizer)
        check_session_name(name)
        await self._ensure_schema()
        blobs: list[Blob] = []
        stamp = sqlite_time(now())
        rows = [row_values(m, t, tokenizer, blobs) for m, t in zip(messages, tokens, strict=True)]
        new_id = uuid.uuid4().hex
        try:
            row, first = await self._writer.run(
                lambda conn: lite.create_and_append(conn, new_id, name, kind, rows, blobs, stamp), inline=True
            )
        except Exception as exc:
            raise self._error("save a message", exc) from None
        seqs = list(range(first, first + len(messages)))
        for seq, msg in zip(seqs, messages, strict=True):
            msg.cache["seq"] = seq
        return _lite_info(row), seqs

    async def _append_core(
        self,
        session: SessionInfo,
        messages: Sequence[InternalMessage],
        tokens: Sequence[int | None],
        tokenizer: str | None,
        blobs: list[Blob],
    ) -> int:
        from sqlalchemy.exc import IntegrityError

        engine = await self.engine()
        stamp = now()
        from agentcore.context import _store_sa as sa

        try:
            return await sa.append(engine, (session.id, session.name, session.kind), messages, tokens,
                                   tokenizer, blobs, stamp)  # fmt: skip
        except IntegrityError:
            raise lite.NameTaken(session.name) from None

    async def save_summary(self, session_id: str, summary: Summary) -> None:
        """Store a compression summary (rows are appended; the latest is used)."""
        from agentcore.context._store_tables import Y

        engine = await self.engine()
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    Y.insert().values(
                        session_id=session_id,
                        from_seq=summary.from_seq,
                        upto_seq=summary.upto_seq,
                        text=dbtext.clean(mask(summary.text)),
                        tokens=summary.tokens,
                        created_at=now(),
                    )
                )
        except Exception as exc:
            raise self._error("save a summary", exc) from None

    async def reset(self, session_id: str) -> None:
        """Delete every message and summary of a session (the session itself stays)."""
        from sqlalchemy import update

        from agentcore.context import _store_sa as sa
        from agentcore.context._store_tables import S

        engine = await self.engine()
        try:
            async with engine.begin() as conn:
                await sa.delete_content(conn, [session_id], rows=False)
                await conn.execute(
                    update(S).where(S.c.id == session_id).values(message_count=0, updated_at=now())
                )
        except Exception as exc:
            raise self._error("reset a session", exc) from None

    async def delete(self, name: str) -> bool:
        """Delete a session with its messages and summaries; False when there is none."""
        info = await self.find(name)
        if info is None:
            return False
        await self.delete_ids([info.id])
        return True

    async def delete_ids(self, session_ids: Sequence[str]) -> None:
        """Delete sessions (by id) with their messages, summaries and unreferenced blobs."""
        if not session_ids:
            return
        from agentcore.context import _store_sa as sa

        engine = await self.engine()
        try:
            async with engine.begin() as conn:
                await sa.delete_content(conn, session_ids, rows=True)
        except Exception as exc:
            raise self._error("delete a session", exc) from None

    async def prune(
        self, *, older_than: timedelta | None = None, empty: bool = False, dry_run: bool = False
    ) -> list[SessionInfo]:
        """Delete sessions last used more than ``older_than`` ago and/or (``empty``) without messages;
        both given: either condition. Returns what was (or, with ``dry_run``, would be) deleted."""
        if older_than is None and not empty:
            return []
        from sqlalchemy import or_, select

        from agentcore.context._store_tables import S

        engine = await self.engine()
        conditions: list[Any] = []
        if older_than is not None:
            conditions.append(S.c.updated_at < now() - older_than)
        if empty:
            conditions.append(S.c.message_count == 0)
        try:
            async with engine.connect() as conn:
                rows = (await conn.execute(select(S).where(or_(*conditions)).order_by(S.c.updated_at))).all()
        except Exception as exc:
            raise self._error("list sessions", exc) from None
        found = [_info(r) for r in rows]
        if not dry_run:
            for start in range(0, len(found), 500):
                await self.delete_ids([s.id for s in found[start : start + 500]])
        return found

    async def rename(self, old: str, new: str) -> SessionInfo:
        """Rename a session; the new name must be free."""
        check_session_name(new)
        info = await self.find(old)
        if info is None:
            raise StorageError(f"no session named '{old}' (agentcore sessions list shows them)")
        if await self.find(new) is not None:
            raise StorageError(
                f"a session named '{new}' already exists; pick another name or delete it first"
            )
        from sqlalchemy import update

        from agentcore.context._store_tables import S

        engine = await self.engine()
        try:
            async with engine.begin() as conn:
                await conn.execute(update(S).where(S.c.id == info.id).values(name=new, updated_at=now()))
        except Exception as exc:
            raise self._error("rename a session", exc) from None
        found = await self.find(new)
        assert found is not None
        return found
