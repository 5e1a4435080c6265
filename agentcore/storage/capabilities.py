"""What agentcore learned about models at run time (e.g. "this server has no native tool calling").

One small table, ``agentcore_model_capabilities``, keyed by provider, endpoint and model, so a fact
learned in one run holds for the next process too. The model catalog reads it through
``learned_capabilities``; the prompt-tools wrapper writes it through ``remember_native_tools``.
Every run reads one fact (``native_tools``): on a SQLite file with plain ``sqlite3`` (the one-shot
path never imports SQLAlchemy); everything else goes through ``_capabilities_sql``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from agentcore.storage.db import ensure_schemas, register_schema, sqlite_file

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

SCHEMA_NAME = "capabilities"
SCHEMA_VERSION = 1
_SQL_NATIVE_TOOLS = (
    "SELECT native_tools FROM agentcore_model_capabilities WHERE provider = ? AND base_url = ? AND model = ?"
)


@dataclass(frozen=True, slots=True)
class LearnedCapability:
    """One learned fact about one model at one endpoint."""

    provider: str
    base_url: str
    model: str
    native_tools: bool | None
    learned_at: datetime
    detail: str | None


async def _migrate(conn: AsyncConnection, from_version: int) -> None:
    from agentcore.storage import _capabilities_sql

    await _capabilities_sql.migrate(conn, from_version)


register_schema(SCHEMA_NAME, SCHEMA_VERSION, _migrate)


async def native_tools(url: str, provider: str, base_url: str | None, model: str) -> bool | None:
    """What was learned about native tool calling of ``model`` at ``base_url`` (None: nothing)."""
    path = sqlite_file(url)
    if path is None:
        from agentcore.storage import _capabilities_sql

        return await _capabilities_sql.native_tools(url, provider, base_url, model)
    await ensure_schemas(url)
    return await asyncio.to_thread(_sqlite_native_tools, path, (provider, base_url or "", model))


def _sqlite_native_tools(path: str, key: tuple[str, str, str]) -> bool | None:
    conn = sqlite3.connect(path, timeout=30)
    try:
        row = conn.execute(_SQL_NATIVE_TOOLS, key).fetchone()
    finally:
        conn.close()
    return None if row is None or row[0] is None else bool(row[0])


async def remember_native_tools(
    url: str, provider: str, base_url: str | None, model: str, value: bool, detail: str | None = None
) -> None:
    """Store (replace) the fact that ``model`` at ``base_url`` does or does not take native tools."""
    from agentcore.storage import _capabilities_sql

    await _capabilities_sql.remember_native_tools(url, provider, base_url, model, value, detail)


async def learned_capabilities(url: str) -> list[LearnedCapability]:
    """Every learned fact, newest first (for ``agentcore models`` and the catalog)."""
    from agentcore.storage import _capabilities_sql

    return await _capabilities_sql.learned_capabilities(url)


async def forget(url: str, provider: str | None = None, model: str | None = None) -> int:
    """Drop learned facts (all, or of one provider/model); the number dropped."""
    from agentcore.storage import _capabilities_sql

    return await _capabilities_sql.forget(url, provider, model)
