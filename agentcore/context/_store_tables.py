"""The session tables (sqlmodel) and their upgrades; the version and its registration are in
``_store_schema`` (SQLAlchemy-free, see there).

v1: sessions, messages, summaries. v2: ``agentcore_blobs`` - inline image bytes move out of the
message rows into one row per distinct image (keyed by SHA-256), so a 30 MB image is stored once
however often it is sent, and loading a session's text never drags megabytes of base64 along.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, DateTime, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from agentcore.context._store_schema import INSERT_BLOB, NAME_MAX, blob_key, now

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["INSERT_BLOB", "NAME_MAX", "B", "M", "S", "Y", "blob_key", "migrate", "now"]


class SessionRow(SQLModel, table=True):
    """One conversation."""

    __tablename__: Any = "agentcore_sessions"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=NAME_MAX, unique=True)
    kind: str = Field(default="api", max_length=16, index=True)
    next_seq: int = 1
    message_count: int = 0
    created_at: datetime = Field(
        default_factory=now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class MessageRow(SQLModel, table=True):
    """One message of a session; rows are only ever appended."""

    __tablename__: Any = "agentcore_messages"
    __table_args__ = (UniqueConstraint("session_id", "seq", name="uq_agentcore_messages_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(max_length=32, foreign_key="agentcore_sessions.id")
    seq: int
    role: str = Field(max_length=16)
    content_kind: str = Field(default="text", max_length=8)  # text | etext | parts | none
    content: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    tool_calls: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    tool_call_id: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    is_error: bool = False
    tokens: int | None = None
    tokenizer: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(
        default_factory=now, sa_column=Column(DateTime(timezone=True), nullable=False)
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
        default_factory=now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class BlobRow(SQLModel, table=True):
    """Binary content (images) referenced from message rows by SHA-256; stored once."""

    __tablename__: Any = "agentcore_blobs"

    sha256: str = Field(primary_key=True, max_length=64)
    media_type: str = Field(max_length=100)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(
        default_factory=now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


S: Any = getattr(SessionRow, "__table__")  # noqa: B009 (sqlmodel leaves it untyped)
M: Any = getattr(MessageRow, "__table__")  # noqa: B009
Y: Any = getattr(SummaryRow, "__table__")  # noqa: B009
B: Any = getattr(BlobRow, "__table__")  # noqa: B009


async def migrate(conn: AsyncConnection, from_version: int) -> None:
    """Create the tables (those missing) and bring the rows from ``from_version`` to the current one."""

    def create(sync_conn: Any) -> None:
        SQLModel.metadata.create_all(sync_conn, tables=[S, M, Y, B], checkfirst=True)

    await conn.run_sync(create)
    if 0 < from_version < 2:
        await _move_inline_images(conn)


async def _move_inline_images(conn: AsyncConnection) -> None:
    """v1 -> v2: inline image bytes in message rows become blob references (rewritten in place)."""
    rows = (
        await conn.execute(
            text(
                "SELECT id, content FROM agentcore_messages WHERE content_kind = 'parts' "
                "AND content LIKE '%\"data\"%'"
            )
        )
    ).all()
    for row_id, content in rows:
        parts = json.loads(content)
        changed = False
        for part in parts:
            if part.get("type") == "image" and "data" in part:
                data = base64.b64decode(part.pop("data"))
                key = blob_key(data)
                media_type = part.get("media_type", "image/png")
                values = {"sha": key, "mt": media_type, "size": len(data), "data": data, "at": now()}
                await conn.execute(text(INSERT_BLOB), values)
                part["blob"] = key
                changed = True
        if changed:
            await conn.execute(
                text("UPDATE agentcore_messages SET content = :c WHERE id = :i"),
                {"c": json.dumps(parts, ensure_ascii=False), "i": row_id},
            )
