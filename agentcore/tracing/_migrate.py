"""Upgrading the call-log tables in place (SQLite and PostgreSQL alike).

v1 -> v2: token columns become nullable (unknown usage), new columns (cache writes, usage_reported,
agent, route, error_kind) and null-aware model totals. SQLite cannot drop a NOT NULL constraint, so
both dialects take the same path: rename the old tables, create the new ones, copy, drop the old.
v1 stored 0 tokens for an attempt without usage; such rows (0 in and 0 out) become "not reported".
(``v1_to_v2`` creates the tables of the current version; ``v2_to_v3`` then only fills in its figures.)

v2 -> v3: a cache hit's saved cost (``llm_call_logs.saved_usd``) and the hits and savings per model.
Only nullable or defaulted columns are added, so ``ALTER TABLE ... ADD COLUMN`` does it on both
dialects. v2 did not store what a hit saved: those rows keep ``saved_usd`` NULL (unknown), and the
v2 model totals, which counted a hit's tokens as spent, get them moved over to the saved counters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection

_V1_CALL_COLUMNS = (
    "id", "trace_id", "parent_call_id", "session_id", "module", "user_id", "tags", "provider",
    "model", "purpose", "stream", "messages_count", "latency_ms", "time_to_first_token_ms",
    "status", "error_type", "error_message", "finish_reason", "attempt", "retries",
    "request_body", "response_body", "created_at",
)  # fmt: skip
_REPORTED = "(prompt_tokens <> 0 OR completion_tokens <> 0)"


def _set_aside(conn: Connection, table: str) -> bool:
    """Rename ``table`` to ``<table>_v1`` (its indexes dropped: their names would clash)."""
    from sqlalchemy import inspect, text

    inspector = inspect(conn)
    if not inspector.has_table(table):
        return False
    for index in inspector.get_indexes(table):
        if index["name"]:
            conn.execute(text(f'DROP INDEX "{index["name"]}"'))
    conn.execute(text(f"ALTER TABLE {table} RENAME TO {table}_v1"))
    return True


def v1_to_v2(conn: Connection) -> None:
    """Bring v1 tables to v2, keeping every row."""
    from sqlalchemy import text
    from sqlmodel import SQLModel

    from agentcore.tracing.calllog import TABLES

    had_calls = _set_aside(conn, "llm_call_logs")
    had_usage = _set_aside(conn, "llm_model_usage")
    SQLModel.metadata.create_all(conn, tables=list(TABLES), checkfirst=True)
    if had_calls:
        keep = ", ".join(_V1_CALL_COLUMNS)
        tokens = ("prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens", "total_tokens")
        token_exprs = ", ".join(f"CASE WHEN {_REPORTED} THEN {t} ELSE NULL END" for t in tokens)
        conn.execute(
            text(
                f"INSERT INTO llm_call_logs ({keep}, {', '.join(tokens)}, usage_reported, failover, cost_usd) "
                f"SELECT {keep}, {token_exprs}, {_REPORTED}, (1 = 0), "
                "CASE WHEN provider IN ('ollama', 'lmstudio') THEN 0.0 "
                f"WHEN status = 'success' AND {_REPORTED} THEN cost_usd ELSE NULL END "
                "FROM llm_call_logs_v1"
            )
        )
        conn.execute(text("DROP TABLE llm_call_logs_v1"))
    if had_usage:
        # Recomputed from the rows (v1's totals counted unknown costs as 0).
        conn.execute(
            text(
                "INSERT INTO llm_model_usage (provider, model, requests, errors, prompt_tokens, "
                "completion_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, "
                "unreported_requests, unpriced_requests, cost_usd_priced, cost_usd, last_used_at) "
                "SELECT provider, model, COUNT(*), "
                "SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END), "
                "COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0), "
                "COALESCE(SUM(cached_tokens), 0), COALESCE(SUM(cache_write_tokens), 0), "
                "COALESCE(SUM(reasoning_tokens), 0), "
                "SUM(CASE WHEN usage_reported THEN 0 ELSE 1 END), "
                "SUM(CASE WHEN cost_usd IS NULL THEN 1 ELSE 0 END), "
                "COALESCE(SUM(cost_usd), 0.0), "
                "CASE WHEN SUM(CASE WHEN cost_usd IS NULL THEN 1 ELSE 0 END) = 0 "
                "THEN SUM(cost_usd) ELSE NULL END, "
                "MAX(created_at) FROM llm_call_logs GROUP BY provider, model"
            )
        )
        conn.execute(text("DROP TABLE llm_model_usage_v1"))


_V3_CALL_COLUMNS = (("saved_usd", "FLOAT"),)
_V3_USAGE_COLUMNS = (
    ("cache_hits", "INTEGER NOT NULL DEFAULT 0"),
    ("saved_prompt_tokens", "INTEGER NOT NULL DEFAULT 0"),
    ("saved_completion_tokens", "INTEGER NOT NULL DEFAULT 0"),
    ("unpriced_hits", "INTEGER NOT NULL DEFAULT 0"),
    ("saved_usd_priced", "FLOAT NOT NULL DEFAULT 0"),
    ("saved_usd", "FLOAT"),
)


def _hits_of_model(expr: str, where: str = "") -> str:
    """A subquery over the model's v2 cache-hit rows (correlated with the ``llm_model_usage`` row)."""
    return (
        f"(SELECT {expr} FROM llm_call_logs c WHERE c.provider = llm_model_usage.provider "
        f"AND c.model = llm_model_usage.model AND c.status = 'cache_hit'{where})"
    )


def v2_to_v3(conn: Connection) -> None:
    """Bring v2 tables to v3 in place, keeping every row (also run after ``v1_to_v2``)."""
    from sqlalchemy import inspect, text

    inspector = inspect(conn)
    for table, columns in (("llm_call_logs", _V3_CALL_COLUMNS), ("llm_model_usage", _V3_USAGE_COLUMNS)):
        have = {c["name"] for c in inspector.get_columns(table)}
        for name, ddl in columns:
            if name not in have:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}"))
    # v2 counted a hit like a call: its tokens as spent (its cost was 0, so the cost stays right).
    spent = ("prompt_tokens", "completion_tokens", "cached_tokens", "cache_write_tokens", "reasoning_tokens")
    moved = ", ".join(f"{t} = {t} - {_hits_of_model(f'COALESCE(SUM(c.{t}), 0)')}" for t in spent)
    conn.execute(
        text(
            f"UPDATE llm_model_usage SET {moved}, "
            f"unreported_requests = unreported_requests - {_hits_of_model('COUNT(*)', ' AND NOT c.usage_reported')}, "
            f"cache_hits = {_hits_of_model('COUNT(*)')}, "
            f"saved_prompt_tokens = {_hits_of_model('COALESCE(SUM(c.prompt_tokens), 0)')}, "
            f"saved_completion_tokens = {_hits_of_model('COALESCE(SUM(c.completion_tokens), 0)')}, "
            f"unpriced_hits = {_hits_of_model('COUNT(*)')}, "
            "saved_usd_priced = 0"
        )
    )
    conn.execute(
        text(
            "UPDATE llm_model_usage SET saved_usd = CASE WHEN unpriced_hits = 0 THEN saved_usd_priced ELSE NULL END"
        )
    )
