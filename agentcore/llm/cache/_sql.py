"""The response cache in the SQL database (SQLite or PostgreSQL): table ``agentcore_response_cache``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from agentcore.llm.cache.backends import CacheStats, EntryMeta, ModelStats
from agentcore.storage.db import open_database, register_schema

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

SCHEMA_NAME = "response_cache"
SCHEMA_VERSION = 1

_metadata = MetaData()
ENTRIES = Table(
    "agentcore_response_cache",
    _metadata,
    Column("key", String(64), primary_key=True),
    Column("provider", String(50), nullable=False),
    Column("model", String(200), nullable=False),
    Column("value", Text, nullable=False),
    Column("prompt_tokens", Integer, nullable=False, default=0),
    Column("completion_tokens", Integer, nullable=False, default=0),
    Column("created_at", Float, nullable=False, index=True),  # epoch seconds
    Column("expires_at", Float, nullable=False, index=True),
    Column("hits", Integer, nullable=False, default=0),
    Column("last_hit_at", Float, nullable=True),
)


def _create(conn: Connection) -> None:
    _metadata.create_all(conn, tables=[ENTRIES], checkfirst=True)


async def _migrate(conn: AsyncConnection, from_version: int) -> None:
    await conn.run_sync(_create)  # v1 is the first version


register_schema(SCHEMA_NAME, SCHEMA_VERSION, _migrate)

_c = ENTRIES.c


class SQLBackend:
    """Entries in the configured database; expired rows are skipped, and removed by ``clear``."""

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name

    async def _db(self) -> AsyncEngine:
        # Not kept: engines belong to one event loop (``run_sync`` uses a new loop per call), and
        # ``open_database`` already keeps one per URL and loop.
        return await open_database(self.url)

    async def get(self, key: str, now: float) -> str | None:
        """The live value of ``key``."""
        engine = await self._db()
        async with engine.connect() as conn:
            row = (await conn.execute(select(_c.value).where(_c.key == key, _c.expires_at > now))).first()
        return None if row is None else str(row[0])

    async def put(self, key: str, value: str, meta: EntryMeta, now: float, expires: float) -> None:
        """Store (or replace) ``value`` under ``key``."""
        engine = await self._db()
        values = {
            "key": key,
            "provider": meta.provider,
            "model": meta.model,
            "value": value,
            "prompt_tokens": meta.prompt_tokens,
            "completion_tokens": meta.completion_tokens,
            "created_at": now,
            "expires_at": expires,
            "hits": 0,
            "last_hit_at": None,
        }
        dialect = postgresql if self.url.startswith("postgresql") else sqlite
        statement = dialect.insert(ENTRIES).values(**values)
        fresh = {k: v for k, v in values.items() if k != "key"}
        async with engine.begin() as conn:
            await conn.execute(statement.on_conflict_do_update(index_elements=["key"], set_=fresh))

    async def hits(self, counts: dict[str, int], now: float) -> None:
        """Add hits per key (one transaction)."""
        engine = await self._db()
        async with engine.begin() as conn:
            for key, count in counts.items():
                await conn.execute(
                    update(ENTRIES).where(_c.key == key).values(hits=_c.hits + count, last_hit_at=now)
                )

    async def stats(self, now: float) -> CacheStats:
        """Live entries and their hits, summed per model by the database."""
        engine = await self._db()
        query = (
            select(
                _c.provider,
                _c.model,
                func.count(),
                func.sum(_c.hits),
                func.sum(_c.hits * _c.prompt_tokens),
                func.sum(_c.hits * _c.completion_tokens),
            )
            .where(_c.expires_at > now)
            .group_by(_c.provider, _c.model)
            .order_by(_c.provider, _c.model)
        )
        stats = CacheStats(self.name)
        async with engine.connect() as conn:
            for row in await conn.execute(query):
                model = ModelStats(
                    row[0], row[1], int(row[2]), int(row[3] or 0), int(row[4] or 0), int(row[5] or 0)
                )
                stats.models.append(model)
                stats.entries += model.entries
                stats.hits += model.hits
        return stats

    async def clear(self, before: float | None) -> int:
        """Drop every entry (only those stored before ``before`` when given); how many."""
        engine = await self._db()
        statement = delete(ENTRIES)
        if before is not None:
            statement = statement.where(_c.created_at < before)
        async with engine.begin() as conn:
            result = await conn.execute(statement)
        return int(result.rowcount or 0)

    async def aclose(self) -> None:
        """The engine is shared (``agentcore.storage.db``): nothing of our own to close."""
