"""Indexes the dashboard's queries need on the call-log tables.

Registered as its own schema (``dashboard``) so it migrates in place through
``agentcore.storage.db`` without touching the call log's own version: a database written by an
older agentcore gets these indexes the first time the dashboard opens it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentcore.storage.db import register_schema

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

SCHEMA_NAME = "dashboard"
SCHEMA_VERSION = 1

# (name, table, columns). Filters of the Calls page are equality + a time range, newest first.
INDEXES: tuple[tuple[str, str, str], ...] = (
    ("ix_dash_calls_user_time", "llm_call_logs", "user_id, created_at"),
    ("ix_dash_calls_module_time", "llm_call_logs", "module, created_at"),
    ("ix_dash_calls_session_time", "llm_call_logs", "session_id, created_at"),
    ("ix_dash_calls_model_time", "llm_call_logs", "model, created_at"),
    ("ix_dash_calls_status_time", "llm_call_logs", "status, created_at"),
    ("ix_dash_calls_time_id", "llm_call_logs", "created_at, id"),
    ("ix_dash_spans_kind_time", "trace_spans", "kind, created_at"),
)


async def _migrate(conn: AsyncConnection, from_version: int) -> None:
    from sqlalchemy import text

    from agentcore.tracing import calllog

    # The call-log tables must exist first (registration order is not guaranteed).
    await conn.run_sync(calllog._create)  # pyright: ignore[reportPrivateUsage]
    if from_version < 1:
        for name, table, columns in INDEXES:
            await conn.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"))


def register() -> None:
    """Register the schema (idempotent)."""
    register_schema(SCHEMA_NAME, SCHEMA_VERSION, _migrate)
