"""The call-log schema without SQLAlchemy: its version, its registration and the column layouts the
SQLite writer and ``fit_row`` need.

``agentcore run`` on a SQLite file writes its call-log rows with plain ``sqlite3``; the sqlmodel
tables (``calllog``) load only to create or upgrade the schema, for other databases and for queries.
The layouts mirror those tables column for column (a test compares them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentcore.storage.db import register_schema

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

SCHEMA_NAME = "calllog"
SCHEMA_VERSION = 3

# (column, Python default, text): text is -1 for a non-text column, 0 for unbounded text, else
# the column's maximum length. In table order (the order of the positional inserts).
Layout = tuple[tuple[str, Any, int], ...]

CALLS_TABLE = "llm_call_logs"
CALLS: Layout = (
    ("id", None, 32),
    ("trace_id", None, 32),
    ("parent_call_id", None, 32),
    ("session_id", None, 200),
    ("agent", None, 200),
    ("agent_id", None, 32),
    ("module", None, 200),
    ("user_id", None, 200),
    ("tags", None, 0),
    ("provider", None, 50),
    ("model", None, 200),
    ("profile", None, 200),
    ("target", None, 200),
    ("failover", False, -1),
    ("base_url_host", None, 255),
    ("purpose", "turn", 20),
    ("stream", False, -1),
    ("messages_count", 0, -1),
    ("usage_reported", True, -1),
    ("prompt_tokens", None, -1),
    ("completion_tokens", None, -1),
    ("cached_tokens", None, -1),
    ("cache_write_tokens", None, -1),
    ("cache_write_1h_tokens", None, -1),
    ("reasoning_tokens", None, -1),
    ("total_tokens", None, -1),
    ("cost_usd", None, -1),
    ("saved_usd", None, -1),
    ("latency_ms", 0.0, -1),
    ("time_to_first_token_ms", None, -1),
    ("status", None, 20),
    ("error_kind", None, 50),
    ("error_type", None, 100),
    ("error_message", None, 0),
    ("finish_reason", None, 50),
    ("attempt", 1, -1),
    ("retries", 0, -1),
    ("request_body", None, 0),
    ("response_body", None, 0),
    ("created_at", None, -1),
)
MODEL_USAGE_TABLE = "llm_model_usage"
MODEL_USAGE: Layout = (
    ("provider", None, 50),
    ("model", None, 200),
    ("requests", 0, -1),
    ("errors", 0, -1),
    ("prompt_tokens", 0, -1),
    ("completion_tokens", 0, -1),
    ("cached_tokens", 0, -1),
    ("cache_write_tokens", 0, -1),
    ("reasoning_tokens", 0, -1),
    ("unreported_requests", 0, -1),
    ("unpriced_requests", 0, -1),
    ("cost_usd_priced", 0.0, -1),
    ("cost_usd", None, -1),
    ("last_used_at", None, -1),
    ("cache_hits", 0, -1),
    ("saved_prompt_tokens", 0, -1),
    ("saved_completion_tokens", 0, -1),
    ("unpriced_hits", 0, -1),
    ("saved_usd_priced", 0.0, -1),
    ("saved_usd", None, -1),
)
SPANS_TABLE = "trace_spans"
SPANS: Layout = (
    ("id", None, 32),
    ("trace_id", None, 32),
    ("parent_id", None, 32),
    ("kind", None, 20),
    ("name", None, 200),
    ("session_id", None, 200),
    ("module", None, 200),
    ("user_id", None, 200),
    ("status", None, 20),
    ("latency_ms", 0.0, -1),
    ("detail", None, 0),
    ("created_at", None, -1),
)


def text_columns(layout: Layout) -> tuple[tuple[str, int | None], ...]:
    """(name, maximum length or None) of the text columns of ``layout``."""
    return tuple((name, size or None) for name, _, size in layout if size >= 0)


async def _migrate(conn: AsyncConnection, from_version: int) -> None:
    from agentcore.tracing.calllog import migrate

    await migrate(conn, from_version)


def register() -> None:
    """Register the schema with ``agentcore.storage.db`` (done on import; idempotent)."""
    register_schema(SCHEMA_NAME, SCHEMA_VERSION, _migrate)


register()
