"""Gateway API keys: created once (the secret is shown then and never again), stored as a hash.

A key is ``sk-ac-<id>-<secret>``: ``id`` names it in listings, the call log (tag ``key_id``) and
``keys revoke``; only the SHA-256 of the whole key is stored, so a database dump reveals no key.
The ``sk-`` prefix makes agentcore's redaction mask a key wherever one appears in text.
Registered with ``agentcore.storage.db`` as schema ``apikeys``.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Column, DateTime, Float, Integer, MetaData, String, Table, Text, select, update

from agentcore.storage.db import open_database, register_schema

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection

SCHEMA_NAME = "apikeys"
SCHEMA_VERSION = 2  # v2: agentcore_upstream_keys (serve/upstream_keys.py)
PREFIX = "sk-ac-"

_metadata = MetaData()
api_keys = Table(
    "agentcore_api_keys",
    _metadata,
    Column("id", String(16), primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("user_id", String(200), nullable=False, index=True),
    Column("module", String(200), nullable=True),
    Column("models", Text, nullable=True),  # JSON list; NULL = every model
    Column("rpm", Integer, nullable=True),
    Column("tpm", Integer, nullable=True),
    Column("budget_usd", Float, nullable=True),
    Column("budget_period", String(10), nullable=True),  # day | month
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

Period = Literal["day", "month"]


@dataclass(frozen=True, slots=True)
class ApiKey:
    """What a key may do; the secret itself is not part of it."""

    id: str
    user_id: str
    module: str | None = None
    models: tuple[str, ...] | None = None
    rpm: int | None = None
    tpm: int | None = None
    budget_usd: float | None = None
    budget_period: Period | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    created_at: datetime | None = None
    admin: bool = False

    def allows(self, model: str) -> bool:
        """True when this key may call ``model`` (an agent, profile or target name)."""
        return self.models is None or model in self.models

    def usable(self, now: datetime) -> bool:
        """Not revoked and not expired."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or _aware(self.expires_at) > now

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``keys list/show --json`` (never the secret)."""
        return {
            "id": self.id,
            "user": self.user_id,
            "module": self.module,
            "models": list(self.models) if self.models is not None else None,
            "rpm": self.rpm,
            "tpm": self.tpm,
            "budget_usd": self.budget_usd,
            "budget_period": self.budget_period,
            "expires_at": _iso(self.expires_at),
            "revoked_at": _iso(self.revoked_at),
            "created_at": _iso(self.created_at),
        }


def admin_key() -> ApiKey:
    """The identity of the static admin key (every model, no limits)."""
    return ApiKey(id="admin", user_id="admin", admin=True)


def hash_key(secret: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(secret.encode()).hexdigest()


_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``2w``, ``90m``, ``45s`` as a timedelta (a ValueError names the problem)."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"cannot read the duration '{text}': write a number and a unit, e.g. 30d, 12h, 2w")
    amount, unit = int(match.group(1)), match.group(2)
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    return timedelta(seconds=amount * seconds)


class KeyStore:
    """The keys table of one database."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def create(
        self,
        user: str,
        *,
        module: str | None = None,
        models: list[str] | None = None,
        rpm: int | None = None,
        tpm: int | None = None,
        budget_usd: float | None = None,
        budget_period: Period | None = None,
        expires_in: timedelta | None = None,
    ) -> tuple[str, ApiKey]:
        """A new key: ``(secret, key)``. The secret is returned here only."""
        key_id = secrets.token_hex(4)
        secret = f"{PREFIX}{key_id}-{secrets.token_urlsafe(24)}"
        now = datetime.now(UTC)
        key = ApiKey(
            id=key_id,
            user_id=user,
            module=module,
            models=tuple(models) if models else None,
            rpm=rpm,
            tpm=tpm,
            budget_usd=budget_usd,
            budget_period=budget_period if budget_usd is not None else None,
            expires_at=now + expires_in if expires_in is not None else None,
            created_at=now,
        )
        engine = await open_database(self.url)
        async with engine.begin() as conn:
            await conn.execute(
                api_keys.insert().values(
                    id=key.id,
                    key_hash=hash_key(secret),
                    user_id=user,
                    module=module,
                    models=json.dumps(list(key.models)) if key.models is not None else None,
                    rpm=rpm,
                    tpm=tpm,
                    budget_usd=budget_usd,
                    budget_period=key.budget_period,
                    expires_at=key.expires_at,
                    created_at=now,
                )
            )
        return secret, key

    async def verify(self, secret: str) -> ApiKey | None:
        """The key stored for ``secret`` (revoked and expired ones too), or None."""
        if not secret.startswith(PREFIX):
            return None
        engine = await open_database(self.url)
        async with engine.connect() as conn:
            row = (
                await conn.execute(select(api_keys).where(api_keys.c.key_hash == hash_key(secret)))
            ).first()
        return _from_row(row._mapping) if row is not None else None  # pyright: ignore[reportPrivateUsage]

    async def get(self, key_id: str) -> ApiKey | None:
        """The key with id ``key_id``."""
        engine = await open_database(self.url)
        async with engine.connect() as conn:
            row = (await conn.execute(select(api_keys).where(api_keys.c.id == key_id))).first()
        return _from_row(row._mapping) if row is not None else None  # pyright: ignore[reportPrivateUsage]

    async def list(self, *, user: str | None = None) -> list[ApiKey]:
        """Every key (of ``user``), newest first."""
        engine = await open_database(self.url)
        query = select(api_keys).order_by(api_keys.c.created_at.desc())
        if user is not None:
            query = query.where(api_keys.c.user_id == user)
        async with engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_from_row(r._mapping) for r in rows]  # pyright: ignore[reportPrivateUsage]

    async def revoke(self, key_id: str) -> bool:
        """Revoke a key; False when there is no such (unrevoked) key."""
        engine = await open_database(self.url)
        async with engine.begin() as conn:
            result = await conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
        return bool(result.rowcount)  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]


def _from_row(row: Any) -> ApiKey:
    models = json.loads(row["models"]) if row["models"] else None
    period = row["budget_period"]
    return ApiKey(
        id=row["id"],
        user_id=row["user_id"],
        module=row["module"],
        models=tuple(models) if models is not None else None,
        rpm=row["rpm"],
        tpm=row["tpm"],
        budget_usd=row["budget_usd"],
        budget_period=period if period in ("day", "month") else None,
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        created_at=row["created_at"],
    )


def _aware(value: datetime) -> datetime:
    # SQLite gives naive datetimes back; they were written as UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return _aware(value).isoformat(timespec="seconds") if value is not None else None


def _create(sync_conn: Connection) -> None:
    _metadata.create_all(sync_conn, checkfirst=True)


async def _migrate(conn: AsyncConnection, from_version: int) -> None:
    # create_all(checkfirst) makes re-running a step harmless.
    if from_version < 1:
        await conn.run_sync(_create)
    if from_version < 2:
        from agentcore.serve.upstream_keys import create_table

        await conn.run_sync(create_table)


def register() -> None:
    """Register the schema with ``agentcore.storage.db`` (done on import; idempotent)."""
    register_schema(SCHEMA_NAME, SCHEMA_VERSION, _migrate)


register()

__all__ = ["ApiKey", "KeyStore", "admin_key", "hash_key", "parse_duration"]
