"""Sessions persisted with sqlmodel: one row per message, appended, never rewritten.

Tables: ``agentcore_sessions`` (name, kind, counters, timestamps), ``agentcore_messages`` (one row
per message: seq, role, content, tool calls as JSON, cached token count, timestamp) and
``agentcore_summaries`` (compression summaries, reused until more history is dropped).
Reads go through async engines (aiosqlite / asyncpg); writes to a SQLite file go through its one
writer thread (``storage.sqlite_writer``), so the event loop never blocks on database I/O.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Text,
    UniqueConstraint,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel

from agentcore import _redact
from agentcore.errors import StorageError
from agentcore.messages import Content, ImagePart, InternalMessage, Part, TextPart, ToolCall
from agentcore.storage.db import mask_url, open_database, register_schema
from agentcore.storage.sqlite_writer import sqlite_time, writer_for

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

SCHEMA_NAME = "sessions"
SCHEMA_VERSION = 1


def _now() -> datetime:
    return datetime.now(UTC)


class SessionRow(SQLModel, table=True):
    """One conversation."""

    __tablename__: Any = "agentcore_sessions"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200, unique=True)
    kind: str = Field(default="api", max_length=16, index=True)
    next_seq: int = 1
    message_count: int = 0
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class MessageRow(SQLModel, table=True):
    """One message of a session; rows are only ever appended."""

    __tablename__: Any = "agentcore_messages"
    __table_args__ = (UniqueConstraint("session_id", "seq", name="uq_agentcore_messages_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(max_length=32, foreign_key="agentcore_sessions.id")
    seq: int
    role: str = Field(max_length=16)
    content_kind: str = Field(default="text", max_length=8)  # text | parts | none
    content: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    tool_calls: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    tool_call_id: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    is_error: bool = False
    tokens: int | None = None
    tokenizer: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class SummaryRow(SQLModel, table=True):
    """A summary of the messages ``from_seq`` .. ``upto_seq - 1`` of a session."""

    __tablename__: Any = "agentcore_summaries"
    __table_args__ = (Index("ix_agentcore_summaries_session", "session_id", "upto_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(max_length=32, foreign_key="agentcore_sessions.id")
    from_seq: int
    upto_seq: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    tokens: int = 0
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


_S: Any = getattr(SessionRow, "__table__")  # noqa: B009 (sqlmodel leaves it untyped)
_M: Any = getattr(MessageRow, "__table__")  # noqa: B009 (sqlmodel leaves it untyped)
_Y: Any = getattr(SummaryRow, "__table__")  # noqa: B009 (sqlmodel leaves it untyped)

# Built once: constructing SQLAlchemy expressions per append showed up in the profiles.
_BUMP: Any = (
    update(_S)
    .where(_S.c.id == bindparam("sid"))
    .values(
        next_seq=_S.c.next_seq + bindparam("k"),
        message_count=_S.c.message_count + bindparam("k"),
        updated_at=bindparam("now"),
    )
    .returning(_S.c.next_seq)
)
_INSERT_MESSAGES: Any = _M.insert()


async def _migrate(conn: AsyncConnection, from_version: int) -> None:
    del from_version  # v1 is the first version: create what is missing (idempotent)

    def create(sync_conn: Any) -> None:
        SQLModel.metadata.create_all(sync_conn, tables=[_S, _M, _Y], checkfirst=True)

    await conn.run_sync(create)


register_schema(SCHEMA_NAME, SCHEMA_VERSION, _migrate)


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A stored session."""

    id: str
    name: str
    kind: str
    message_count: int
    created_at: datetime
    updated_at: datetime

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


# ---- row <-> message ---------------------------------------------------------------------


def _mask(text: str) -> str:
    # Only configured secrets (API keys...) are masked: pattern redaction would alter what users said.
    for secret in _redact._known:
        if secret in text:
            text = text.replace(secret, _redact.MASK)
    return text


def _encode_content(content: Content) -> tuple[str, str | None]:
    if content is None:
        return "none", None
    if isinstance(content, str):
        return "text", _mask(content)
    parts: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, TextPart):
            parts.append({"type": "text", "text": _mask(part.text)})
        elif part.url is not None:
            parts.append({"type": "image", "url": part.url})
        else:
            parts.append({"type": "image", "media_type": part.media_type, "data": part.base64()})
    return "parts", json.dumps(parts, ensure_ascii=False)


def _decode_content(kind: str, raw: str | None) -> Content:
    if kind == "none" or raw is None:
        return None
    if kind == "text":
        return raw
    parts: list[Part] = []
    for item in json.loads(raw):
        if item.get("type") == "text":
            parts.append(TextPart(item["text"]))
        elif "url" in item:
            parts.append(ImagePart(url=item["url"]))
        else:
            parts.append(ImagePart(data=base64.b64decode(item["data"]), media_type=item["media_type"]))
    return tuple(parts)


def _encode_calls(msg: InternalMessage) -> str | None:
    if not msg.tool_calls:
        return None
    return json.dumps([[c.id, c.name, _mask(c.arguments)] for c in msg.tool_calls], ensure_ascii=False)


def message_row(
    session_id: str,
    seq: int,
    msg: InternalMessage,
    tokens: int | None,
    tokenizer: str | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The column values of one message row."""
    kind, content = _encode_content(msg.content)
    calls = _encode_calls(msg)
    return {
        "session_id": session_id,
        "seq": seq,
        "role": msg.role,
        "content_kind": kind,
        "content": content,
        "tool_calls": calls,
        "tool_call_id": msg.tool_call_id,
        "name": msg.name,
        "is_error": msg.is_error,
        "tokens": tokens,
        "tokenizer": tokenizer,
        "created_at": now or _now(),
    }


def _parse_time(value: Any) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return _aware(parsed)


def _sqlite_row(
    msg: InternalMessage, tokens: int | None, tokenizer: str | None, stamp: str
) -> tuple[Any, ...]:
    kind, content = _encode_content(msg.content)
    return (msg.role, kind, content, _encode_calls(msg), msg.tool_call_id, msg.name, int(msg.is_error),
            tokens, tokenizer, stamp)  # fmt: skip


def _message(row: Any) -> InternalMessage:
    # Runs once per stored message on resume (10k rows in a long session): kept lean on purpose.
    seq, role, kind, content, calls, call_id, name, is_error, tokens, tokenizer = row
    cache: dict[str, Any] = {"seq": seq}
    if tokens is not None and tokenizer:
        cache[tokenizer] = tokens
    return InternalMessage(
        role,
        content if kind == "text" else _decode_content(kind, content),
        tuple(ToolCall(c[0], c[1], c[2]) for c in json.loads(calls)) if calls else (),
        call_id,
        name,
        bool(is_error),
        cache,
    )


_LOAD_COLUMNS = (
    "seq",
    "role",
    "content_kind",
    "content",
    "tool_calls",
    "tool_call_id",
    "name",
    "is_error",
    "tokens",
    "tokenizer",
)


def _sqlite_load(path: str, session_id: str, since_seq: int) -> tuple[list[Any], Any]:
    """Rows of a session read with plain sqlite3 (a fresh connection on a worker thread, SELECTs only):
    about four times faster than SQLAlchemy's row processing on a 10k-message resume."""
    conn = sqlite3.connect(path, timeout=30)
    try:
        rows = conn.execute(
            f"SELECT {', '.join(_LOAD_COLUMNS)} FROM {_M.name} WHERE session_id = ? AND seq >= ? ORDER BY seq",
            (session_id, since_seq),
        ).fetchall()
        summary = conn.execute(
            f"SELECT from_seq, upto_seq, text, tokens FROM {_Y.name} WHERE session_id = ? "
            "ORDER BY upto_seq DESC, id DESC LIMIT 1",
            (session_id,),
        ).fetchone()
    finally:
        conn.close()
    return rows, summary


def _info(row: Any) -> SessionInfo:
    return SessionInfo(
        row.id, row.name, row.kind, row.message_count, _aware(row.created_at), _aware(row.updated_at)
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ---- SQLite writes (run on the file's writer thread, inside its transaction) -------------

_SQL_BUMP = (
    "UPDATE agentcore_sessions SET next_seq = next_seq + ?, message_count = message_count + ?, "
    "updated_at = ? WHERE id = ? RETURNING next_seq"
)
_SQL_INSERT_SESSION = (
    "INSERT INTO agentcore_sessions (id, name, kind, next_seq, message_count, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_SQL_CREATE_SESSION = _SQL_INSERT_SESSION.replace("INSERT INTO", "INSERT OR IGNORE INTO")
_SQL_SELECT_SESSION = (
    "SELECT id, name, kind, message_count, created_at, updated_at FROM agentcore_sessions WHERE name = ?"
)
_SQL_INSERT_MESSAGE = (
    "INSERT INTO agentcore_messages (session_id, seq, role, content_kind, content, tool_calls, "
    "tool_call_id, name, is_error, tokens, tokenizer, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class _NameTaken(Exception):
    """The session was deleted and its name reused by another session meanwhile."""


def _sqlite_get_or_create(
    conn: sqlite3.Connection, new_id: str, name: str, kind: str, stamp: str
) -> tuple[Any, ...]:
    conn.execute(_SQL_CREATE_SESSION, (new_id, name, kind, 1, 0, stamp, stamp))
    return tuple(conn.execute(_SQL_SELECT_SESSION, (name,)).fetchall()[0])


def _sqlite_append(
    conn: sqlite3.Connection, session: SessionInfo, rows: list[tuple[Any, ...]], stamp: str
) -> int:
    """The session row first (its lock orders concurrent appenders), then the message rows."""
    k = len(rows)
    found = conn.execute(_SQL_BUMP, (k, k, stamp, session.id)).fetchall()
    if found:
        first = int(found[0][0]) - k
    else:  # deleted meanwhile (another shell): recreate it under its name
        try:
            conn.execute(
                _SQL_INSERT_SESSION, (session.id, session.name, session.kind, 1 + k, k, stamp, stamp)
            )
        except sqlite3.IntegrityError:
            raise _NameTaken(session.name) from None
        first = 1
    conn.executemany(_SQL_INSERT_MESSAGE, [(session.id, first + i, *r) for i, r in enumerate(rows)])
    return first


# ---- the store ---------------------------------------------------------------------------


class SessionStore:
    """Sessions in one database (``url`` already resolved, see ``storage.db.resolve_url``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._writer = writer_for(url)
        self._ready_loop: int | None = None

    async def engine(self) -> AsyncEngine:
        """The engine, with the schema created or migrated on first use."""
        return await open_database(self.url)

    async def _ensure_schema(self) -> None:
        # The schema is created or migrated (through SQLAlchemy) before the first direct write.
        loop_id = id(asyncio.get_running_loop())
        if self._ready_loop != loop_id:
            await self.engine()
            self._ready_loop = loop_id

    def _error(self, action: str, exc: Exception) -> StorageError:
        return StorageError(
            mask_url(f"cannot {action} in the database {self.url}: {type(exc).__name__}: {exc}")
        )

    async def find(self, name: str) -> SessionInfo | None:
        """The session called ``name``, or None."""
        engine = await self.engine()
        try:
            async with engine.connect() as conn:
                row = (await conn.execute(select(_S).where(_S.c.name == name))).first()
        except Exception as exc:
            raise self._error("read sessions", exc) from None
        return _info(row) if row else None

    async def get_or_create(self, name: str, kind: str = "api") -> SessionInfo:
        """The session called ``name``, created when missing (safe against concurrent creators)."""
        if self._writer is not None:
            await self._ensure_schema()
            stamp = sqlite_time(_now())
            new_id = uuid.uuid4().hex
            try:
                row = await self._writer.run(
                    lambda conn: _sqlite_get_or_create(conn, new_id, name, kind, stamp)
                )
            except Exception as exc:
                raise self._error("create a session", exc) from None
            sid, sname, skind, count, created, updated = row
            return SessionInfo(sid, sname, skind, count, _parse_time(created), _parse_time(updated))
        found = await self.find(name)
        if found is not None:
            return found
        engine = await self.engine()
        now = _now()
        values = {"id": uuid.uuid4().hex, "name": name, "kind": kind, "next_seq": 1, "message_count": 0,
                  "created_at": now, "updated_at": now}  # fmt: skip
        try:
            async with engine.begin() as conn:
                await conn.execute(_S.insert().values(**values))
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
        engine = await self.engine()
        query = select(_S).order_by(_S.c.updated_at.desc(), _S.c.name)
        if kind is not None:
            query = query.where(_S.c.kind == kind)
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
        engine = await self.engine()
        if self._writer is not None:
            try:
                rows, srow = await asyncio.to_thread(_sqlite_load, self._writer.path, session_id, since_seq)
            except Exception as exc:
                raise self._error("load a session", exc) from None
            summary = Summary(srow[0], srow[1], srow[2], srow[3]) if srow else None
            return Loaded([_message(r) for r in rows], summary)
        cols = [getattr(_M.c, c) for c in _LOAD_COLUMNS]
        query = select(*cols).where(_M.c.session_id == session_id)
        if since_seq:
            query = query.where(_M.c.seq >= since_seq)
        try:
            async with engine.connect() as conn:
                rows = (await conn.execute(query.order_by(_M.c.seq))).all()
                srow = (
                    await conn.execute(
                        select(_Y.c.from_seq, _Y.c.upto_seq, _Y.c.text, _Y.c.tokens)
                        .where(_Y.c.session_id == session_id)
                        .order_by(_Y.c.upto_seq.desc(), _Y.c.id.desc())
                        .limit(1)
                    )
                ).first()
        except Exception as exc:
            raise self._error("load a session", exc) from None
        summary = Summary(srow[0], srow[1], srow[2], srow[3]) if srow else None
        return Loaded([_message(r) for r in rows], summary)

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
        consecutive numbers instead of colliding. A session deleted meanwhile (``sessions delete``
        from another shell) is recreated under the same name. SQLite files take the dedicated
        writer thread (``storage.sqlite_writer``); other databases pre-built SQLAlchemy Core statements.
        """
        if not messages:
            return []
        k = len(messages)
        await self._ensure_schema()
        try:
            if self._writer is not None:
                stamp = sqlite_time(_now())
                rows = [_sqlite_row(m, t, tokenizer, stamp) for m, t in zip(messages, tokens, strict=True)]
                first = await self._writer.run(lambda conn: _sqlite_append(conn, session, rows, stamp))
            else:
                first = await self._append_core(session, messages, tokens, tokenizer)
        except (IntegrityError, _NameTaken):
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

    async def _append_core(
        self,
        session: SessionInfo,
        messages: Sequence[InternalMessage],
        tokens: Sequence[int | None],
        tokenizer: str | None,
    ) -> int:
        engine = await self.engine()
        k = len(messages)
        now = _now()
        async with engine.begin() as conn:
            row = (await conn.execute(_BUMP, {"sid": session.id, "k": k, "now": now})).first()
            if row is None:
                await conn.execute(
                    _S.insert().values(id=session.id, name=session.name, kind=session.kind, next_seq=1 + k,
                                       message_count=k, created_at=now, updated_at=now)
                )  # fmt: skip
                row = (1 + k,)
            first = int(row[0]) - k
            await conn.execute(
                _INSERT_MESSAGES,
                [
                    message_row(session.id, first + i, m, t, tokenizer, now)
                    for i, (m, t) in enumerate(zip(messages, tokens, strict=True))
                ],
            )
        return first

    async def save_summary(self, session_id: str, summary: Summary) -> None:
        """Store a compression summary (rows are appended; the latest is used)."""
        engine = await self.engine()
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    _Y.insert().values(
                        session_id=session_id,
                        from_seq=summary.from_seq,
                        upto_seq=summary.upto_seq,
                        text=_mask(summary.text),
                        tokens=summary.tokens,
                        created_at=_now(),
                    )
                )
        except Exception as exc:
            raise self._error("save a summary", exc) from None

    async def reset(self, session_id: str) -> None:
        """Delete every message and summary of a session (the session itself stays)."""
        engine = await self.engine()
        try:
            async with engine.begin() as conn:
                await conn.execute(delete(_M).where(_M.c.session_id == session_id))
                await conn.execute(delete(_Y).where(_Y.c.session_id == session_id))
                await conn.execute(
                    update(_S).where(_S.c.id == session_id).values(message_count=0, updated_at=_now())
                )
        except Exception as exc:
            raise self._error("reset a session", exc) from None

    async def delete(self, name: str) -> bool:
        """Delete a session with its messages and summaries; False when there is none."""
        info = await self.find(name)
        if info is None:
            return False
        engine = await self.engine()
        try:
            async with engine.begin() as conn:
                await conn.execute(delete(_M).where(_M.c.session_id == info.id))
                await conn.execute(delete(_Y).where(_Y.c.session_id == info.id))
                await conn.execute(delete(_S).where(_S.c.id == info.id))
        except Exception as exc:
            raise self._error("delete a session", exc) from None
        return True

    async def rename(self, old: str, new: str) -> SessionInfo:
        """Rename a session; the new name must be free."""
        info = await self.find(old)
        if info is None:
            raise StorageError(f"no session named '{old}' (agentcore sessions list shows them)")
        if await self.find(new) is not None:
            raise StorageError(
                f"a session named '{new}' already exists; pick another name or delete it first"
            )
        engine = await self.engine()
        try:
            async with engine.begin() as conn:
                await conn.execute(update(_S).where(_S.c.id == info.id).values(name=new, updated_at=_now()))
        except Exception as exc:
            raise self._error("rename a session", exc) from None
        found = await self.find(new)
        assert found is not None
        return found
