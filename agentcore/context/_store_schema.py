"""The session schema without SQLAlchemy: its version, names and SQL constants, and its registration.

The one-shot path (``agentcore run``) on a SQLite file reads and writes sessions with plain ``sqlite3``;
it needs the version to check and the statements, not the table classes, so those
(``_store_tables``, sqlmodel) load only when a schema must be created or upgraded, or the database is
not a SQLite file.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from agentcore.storage.db import register_schema

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

SCHEMA_NAME = "sessions"
SCHEMA_VERSION = 2
NAME_MAX = 200  # agentcore_sessions.name
SESSIONS = "agentcore_sessions"
MESSAGES = "agentcore_messages"
SUMMARIES = "agentcore_summaries"
BLOBS = "agentcore_blobs"

# Portable upsert (PostgreSQL, SQLite >= 3.24): a blob already stored is left as it is.
_BLOB_SQL = (
    f"INSERT INTO {BLOBS} (sha256, media_type, size, data, created_at) "
    "VALUES ({}) ON CONFLICT (sha256) DO NOTHING"
)
INSERT_BLOB_QMARK = _BLOB_SQL.format("?, ?, ?, ?, ?")  # sqlite3
INSERT_BLOB = _BLOB_SQL.format(":sha, :mt, :size, :data, :at")  # SQLAlchemy text()


def now() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


def blob_key(data: bytes) -> str:
    """The key of a blob: its SHA-256, hex."""
    return hashlib.sha256(data).hexdigest()


async def _migrate(conn: AsyncConnection, from_version: int) -> None:
    from agentcore.context._store_tables import migrate

    await migrate(conn, from_version)


register_schema(SCHEMA_NAME, SCHEMA_VERSION, _migrate)
