"""Sessions persisted with sqlmodel: one row per message, appended, never rewritten.

Tables: ``agentcore_sessions`` (name, kind, counters, timestamps), ``agentcore_messages`` (one row
per message: seq, role, content, tool calls as JSON, cached token count, timestamp) and
``agentcore_summaries`` (compression summaries, reused until more history is dropped).
All I/O goes through async engines (aiosqlite / asyncpg), so the event loop never blocks.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, DateTime, Index, Text, UniqueConstraint, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel

from agentcore import _redact
from agentcore.errors import StorageError
from agentcore.messages import Content, ImagePart, InternalMessage, Part, TextPart, ToolCall
from agentcore.storage.db import mask_url, open_database, register_schema

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


def message_row(
    session_id: str, seq: int, msg: InternalMessage, tokens: int | None, tokenizer: str | None
) -> dict[str, Any]:
    """The column values of one message row."""
    kind, content = _encode_content(msg.content)
    calls = (
        json.dumps([[c.id, c.name, _mask(c.arguments)] for c in msg.tool_calls], ensure_ascii=False)
        if msg.tool_calls
        else None
    )
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
        "created_at": _now(),
    }


def _message(row: Any) -> InternalMessage:
    seq, role, kind, content, calls, call_id, name, is_error, tokens, tokenizer = row
    tool_calls = tuple(ToolCall(c[0], c[1], c[2]) for c in json.loads(calls)) if calls else ()
    msg = InternalMessage(role, _decode_content(kind, content), tool_calls, call_id, name, bool(is_error))
    msg.cache["seq"] = seq
    if tokens is not None and tokenizer:
        msg.cache[tokenizer] = tokens
    return msg


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


def _info(row: Any) -> SessionInfo:
    return SessionInfo(
        row.id, row.name, row.kind, row.message_count, _aware(row.created_at), _aware(row.updated_at)
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ---- the store ---------------------------------------------------------------------------


class SessionStore:
    """Sessions in one database (``url`` already resolved, see ``storage.db.resolve_url``)."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def engine(self) -> AsyncEngine:
        """The engine, with the schema created or migrated on first use."""
        return await open_database(self.url)

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

        The session row is updated first: that locks it, so concurrent appends to one session
        (other tasks or processes) get consecutive numbers instead of colliding. A session deleted
        meanwhile (``sessions delete`` from another shell) is recreated under the same name.
        """
        if not messages:
            return []
        engine = await self.engine()
        session_id = session.id
        k = len(messages)
        try:
            async with engine.begin() as conn:
                row = (
                    await conn.execute(
                        update(_S)
                        .where(_S.c.id == session_id)
                        .values(
                            next_seq=_S.c.next_seq + k,
                            message_count=_S.c.message_count + k,
                            updated_at=_now(),
                        )
                        .returning(_S.c.next_seq)
                    )
                ).first()
                if row is None:
                    now = _now()
                    await conn.execute(
                        _S.insert().values(id=session_id, name=session.name, kind=session.kind, next_seq=1 + k,
                                           message_count=k, created_at=now, updated_at=now)
                    )  # fmt: skip
                    row = (1 + k,)
                first = int(row[0]) - k
                seqs = list(range(first, first + k))
                await conn.execute(
                    _M.insert(),
                    [
                        message_row(session_id, s, m, t, tokenizer)
                        for s, m, t in zip(seqs, messages, tokens, strict=True)
                    ],
                )
        except IntegrityError:
            raise StorageError(
                f"session '{session.name}' was deleted and its name reused while this one was open; "
                "start a new session"
            ) from None
        except Exception as exc:
            raise self._error("save a message", exc) from None
        for seq, msg in zip(seqs, messages, strict=True):
            msg.cache["seq"] = seq
        return seqs

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

    async def count_messages(self, session_id: str) -> int:
        """Message rows stored for a session."""
        engine = await self.engine()
        async with engine.connect() as conn:
            value = (
                await conn.execute(select(func.count()).select_from(_M).where(_M.c.session_id == session_id))
            ).scalar()
        return int(value or 0)

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
