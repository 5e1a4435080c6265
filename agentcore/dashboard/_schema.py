"""Indexes the dashboard's queries need on the call-log tables.

Registered as its own schema (``dashboard``) so it migrates in place through
``agentcore.storage.db`` without touching the call log's own version: a database written by an
older agentcore gets these indexes the first time the dashboard opens it.

v1: the indexes of the Calls page filters (equality + a time range, newest first).
v2: the same for the profile, target, agent and gateway-key groupings (the key is an expression
index on the ``key_id`` in ``tags``, SQLite only), and the rollup tables of ``_rollup``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentcore.storage.db import register_schema

if TYPE_CHECKING:
    from sqlalchemy import Dialect
    from sqlalchemy.ext.asyncio import AsyncConnection

SCHEMA_NAME = "dashboard"
SCHEMA_VERSION = 2

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
INDEXES_V2: tuple[tuple[str, str, str], ...] = (
    ("ix_dash_calls_profile_time", "llm_call_logs", "profile, created_at"),
    ("ix_dash_calls_target_time", "llm_call_logs", "target, created_at"),
    ("ix_dash_calls_agent_time", "llm_call_logs", "agent, created_at"),
)
KEY_INDEX = "ix_dash_calls_key_time"


def _key_expression(dialect: Dialect) -> str:
    """The SQL of the key grouping, as the queries write it (an expression index must match)."""
    from sqlalchemy import column

    from agentcore.dashboard._queries import KeyId

    return str(KeyId(column("tags")).compile(dialect=dialect))


async def _migrate(conn: AsyncConnection, from_version: int) -> None:
    from sqlalchemy import text

    from agentcore.tracing import calllog

    # The call-log tables must exist first (registration order is not guaranteed).
    await conn.run_sync(calllog._create)  # pyright: ignore[reportPrivateUsage]
    if from_version < 1:
        for name, table, columns in INDEXES:
            await conn.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"))
    if from_version < 2:
        from agentcore.dashboard import _rollup

        for statement in _rollup.ddl(conn.dialect.name == "postgresql"):
            await conn.execute(text(statement))
        for name, table, columns in INDEXES_V2:
            await conn.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"))
        if conn.dialect.name == "sqlite":
            # PostgreSQL would need an immutable expression, and its cast to JSON raises on text
            # that is not JSON (an insert would fail): the key filter goes without an index there.
            expression = _key_expression(conn.dialect)
            await conn.execute(
                text(f"CREATE INDEX IF NOT EXISTS {KEY_INDEX} ON llm_call_logs (({expression}), created_at)")
            )


def register() -> None:
    """Register the schema (idempotent)."""
    register_schema(SCHEMA_NAME, SCHEMA_VERSION, _migrate)
