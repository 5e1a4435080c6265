"""The learned-capabilities and response-cache tables arrive in an existing database in place."""

from __future__ import annotations

from agentcore.llm.cache._sql import SQLBackend
from agentcore.llm.cache.backends import EntryMeta
from agentcore.storage.capabilities import learned_capabilities, native_tools, remember_native_tools
from agentcore.storage.db import dispose_engines, open_database
from tests.storage.conftest import Db

OURS = ("agentcore_model_capabilities", "agentcore_response_cache")


async def test_a_database_from_before_gets_both_tables(db: Db) -> None:
    from sqlalchemy import text

    engine = await open_database(db.url)
    async with engine.begin() as conn:  # make it a database written by the version before these tables
        for table in OURS:
            await conn.execute(text(f"DROP TABLE {table}"))
        await conn.execute(
            text("DELETE FROM agentcore_schema WHERE name IN ('capabilities', 'response_cache')")
        )
    await dispose_engines()
    assert {r[0] for r in db.query("SELECT name FROM agentcore_schema")}.isdisjoint(
        {"capabilities", "response_cache"}
    )

    assert await native_tools(db.url, "ollama", None, "qwen3") is None
    await remember_native_tools(db.url, "ollama", None, "qwen3", False, "does not support tools")
    await remember_native_tools(db.url, "ollama", None, "qwen3", False, "again")  # replaced, not doubled
    assert await native_tools(db.url, "ollama", None, "qwen3") is False
    (learned,) = await learned_capabilities(db.url)
    assert (learned.model, learned.detail) == ("qwen3", "again")
    backend = SQLBackend(db.url, db.kind)
    await backend.put("k", "v", EntryMeta("openai", "m", 1, 2), 100.0, 200.0)
    assert await backend.get("k", 150.0) == "v" and await backend.get("k", 250.0) is None
    versions = dict(db.query("SELECT name, version FROM agentcore_schema"))
    assert versions["capabilities"] == 1 and versions["response_cache"] == 1
