"""The learned-capabilities table and its queries through SQLAlchemy (see ``capabilities``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Column, DateTime, MetaData, String, Table, and_, delete, insert, select

from agentcore.storage.capabilities import LearnedCapability
from agentcore.storage.db import open_database

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Connection
    from sqlalchemy.ext.asyncio import AsyncConnection

_metadata = MetaData()
CAPABILITIES = Table(
    "agentcore_model_capabilities",
    _metadata,
    Column("provider", String(50), primary_key=True),
    Column("base_url", String(500), primary_key=True),  # "" for the provider's default endpoint
    Column("model", String(200), primary_key=True),
    Column("native_tools", Boolean, nullable=True),  # None: not known
    Column("learned_at", DateTime(timezone=True), nullable=False),
    Column("detail", String(500), nullable=True),  # why: the error text that taught it
)


def _create(conn: Connection) -> None:
    _metadata.create_all(conn, tables=[CAPABILITIES], checkfirst=True)


async def migrate(conn: AsyncConnection, from_version: int) -> None:
    """Create the table (v1 is the first version)."""
    await conn.run_sync(_create)


def _where(provider: str, base_url: str | None, model: str) -> ColumnElement[bool]:
    c = CAPABILITIES.c
    return and_(c.provider == provider, c.base_url == (base_url or ""), c.model == model)


async def native_tools(url: str, provider: str, base_url: str | None, model: str) -> bool | None:
    """What was learned about native tool calling of ``model`` at ``base_url`` (None: nothing)."""
    engine = await open_database(url)
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(CAPABILITIES.c.native_tools).where(_where(provider, base_url, model)))
        ).first()
    return None if row is None else row[0]


async def remember_native_tools(
    url: str, provider: str, base_url: str | None, model: str, value: bool, detail: str | None = None
) -> None:
    """Store (replace) the fact that ``model`` at ``base_url`` does or does not take native tools."""
    engine = await open_database(url)
    async with engine.begin() as conn:
        await conn.execute(delete(CAPABILITIES).where(_where(provider, base_url, model)))
        await conn.execute(
            insert(CAPABILITIES).values(
                provider=provider,
                base_url=base_url or "",
                model=model,
                native_tools=value,
                learned_at=datetime.now(UTC),
                detail=(detail or "")[:500] or None,
            )
        )


async def learned_capabilities(url: str) -> list[LearnedCapability]:
    """Every learned fact, newest first (for ``agentcore models`` and the catalog)."""
    engine = await open_database(url)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(CAPABILITIES).order_by(CAPABILITIES.c.learned_at.desc()))).all()
    return [LearnedCapability(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


async def forget(url: str, provider: str | None = None, model: str | None = None) -> int:
    """Drop learned facts (all, or of one provider/model); the number dropped."""
    engine = await open_database(url)
    statement = delete(CAPABILITIES)
    if provider is not None:
        statement = statement.where(CAPABILITIES.c.provider == provider)
    if model is not None:
        statement = statement.where(CAPABILITIES.c.model == model)
    async with engine.begin() as conn:
        result = await conn.execute(statement)
    return int(result.rowcount or 0)
