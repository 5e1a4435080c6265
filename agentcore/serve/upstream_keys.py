"""Upstream API keys per gateway user: the ``userKeys: {table: true}`` source of HTTP providers.

A gateway user (the ``--user`` of ``agentcore keys create``) may have their own key for an upstream
API (``agentcore keys upstream set --user U --provider NAME``); an HTTP provider with
``userKeys.table`` sends that key when the request comes from that user's gateway key.
Keys are stored encrypted (Fernet, from the ``cryptography`` package) under a secret that never
enters the database: ``$AGENTCORE_KEYS_SECRET`` (any long random string). A database dump alone
reveals no key; a key read back is registered as a secret, so no log line shows it.
The table belongs to schema ``apikeys`` (v2 added it).
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, delete, select

from agentcore.errors import ConfigError
from agentcore.serve.keys import register as _register_schema

_register_schema()  # schema ``apikeys`` owns this table: it must be registered wherever the store is used

if TYPE_CHECKING:
    from sqlalchemy import Connection

SECRET_ENV = "AGENTCORE_KEYS_SECRET"
_CACHE_SECONDS = 5.0  # a changed key is picked up within this long, without a lookup per request

_metadata = MetaData()
upstream_keys = Table(
    "agentcore_upstream_keys",
    _metadata,
    Column("user_id", String(200), primary_key=True),
    Column("provider", String(200), primary_key=True),
    Column("key_enc", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def create_table(sync_conn: Connection) -> None:
    """Create the table (schema ``apikeys`` v2)."""
    _metadata.create_all(sync_conn, checkfirst=True)


def _fernet(secret: str | None) -> Any:
    secret = secret if secret is not None else os.environ.get(SECRET_ENV)
    if not secret:
        raise ConfigError(
            "upstream keys are stored encrypted, and no encryption secret is set",
            key_path=SECRET_ENV,
            hint=f"export {SECRET_ENV}=$(openssl rand -hex 32) for agentcore serve and agentcore keys",
        )
    try:
        from cryptography.fernet import Fernet
    except ImportError:
        from agentcore.errors import MissingExtraError

        raise MissingExtraError("upstream keys", "serve", "cryptography") from None
    digest = hashlib.sha256(secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class UpstreamKeyStore:
    """The upstream keys of one database; lookups are cached for a few seconds."""

    def __init__(self, url: str, *, secret: str | None = None) -> None:
        self.url = url
        self._secret = secret
        self._cache: dict[tuple[str, str], tuple[str | None, float]] = {}

    async def set(self, user: str, provider: str, key: str) -> None:
        """Store (or replace) ``user``'s key for ``provider`` (the HTTP provider's ``name``)."""
        from agentcore.storage.db import open_database

        token = _fernet(self._secret).encrypt(key.encode()).decode()
        engine = await open_database(self.url)
        async with engine.begin() as conn:
            await conn.execute(
                delete(upstream_keys).where(
                    upstream_keys.c.user_id == user, upstream_keys.c.provider == provider
                )
            )
            await conn.execute(
                upstream_keys.insert().values(
                    user_id=user, provider=provider, key_enc=token, updated_at=datetime.now(UTC)
                )
            )
        self._cache.pop((user, provider), None)

    async def remove(self, user: str, provider: str) -> bool:
        """Forget ``user``'s key for ``provider``; False when there was none."""
        from agentcore.storage.db import open_database

        engine = await open_database(self.url)
        async with engine.begin() as conn:
            result = await conn.execute(
                delete(upstream_keys).where(
                    upstream_keys.c.user_id == user, upstream_keys.c.provider == provider
                )
            )
        self._cache.pop((user, provider), None)
        return bool(result.rowcount)  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]

    async def providers(self, user: str) -> list[str]:
        """The providers ``user`` has a key for (never the keys)."""
        from agentcore.storage.db import open_database

        engine = await open_database(self.url)
        query = select(upstream_keys.c.provider).where(upstream_keys.c.user_id == user)
        async with engine.connect() as conn:
            rows = (await conn.execute(query.order_by(upstream_keys.c.provider))).all()
        return [str(r[0]) for r in rows]

    async def upstream_key(self, user: str, provider: str) -> str | None:
        """``user``'s key for ``provider``, or None (a ConfigError when it cannot be decrypted)."""
        now = time.monotonic()
        hit = self._cache.get((user, provider))
        if hit is not None and hit[1] > now:
            return hit[0]
        from agentcore.storage.db import open_database

        engine = await open_database(self.url)
        query = select(upstream_keys.c.key_enc).where(
            upstream_keys.c.user_id == user, upstream_keys.c.provider == provider
        )
        async with engine.connect() as conn:
            row = (await conn.execute(query)).first()
        key = self._decrypt(str(row[0]), user, provider) if row is not None else None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[(user, provider)] = (key, now + _CACHE_SECONDS)
        return key

    def _decrypt(self, token: str, user: str, provider: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            key = _fernet(self._secret).decrypt(token.encode()).decode()
        except InvalidToken:
            raise ConfigError(
                f"cannot decrypt the upstream key of user '{user}' for '{provider}'",
                key_path=SECRET_ENV,
                hint=f"{SECRET_ENV} differs from the one the key was stored with: set it back, "
                f"or store the key again (agentcore keys upstream set --user {user} --provider {provider})",
            ) from None
        from agentcore._redact import register_secret

        register_secret(key)
        return key


__all__ = ["SECRET_ENV", "UpstreamKeyStore"]
