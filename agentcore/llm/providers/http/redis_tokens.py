"""Auth tokens shared through Redis, so that every ``serve`` worker does not fetch its own.

``agentcore serve`` lends one per provider when ``storage.redis`` is set (``host.py``); elsewhere it is
opt-in (``HttpService.tokens.store = RedisTokenStore(url, name)``): a token is a credential, so it is
stored only where the deployment asked for it, with the token's own expiry as its TTL, under a key
that hashes the user id.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any


class RedisTokenStore:
    """A :class:`~agentcore.llm.providers.http._auth.TokenStore` on Redis (``redis`` package)."""

    def __init__(self, url: str, provider: str, prefix: str = "agentcore:http-token") -> None:
        self._url = url
        self._prefix = f"{prefix}:{provider}"
        self._clients: dict[int, Any] = {}  # per event loop: connections belong to the loop that made them

    def _client(self) -> Any:
        loop = id(asyncio.get_running_loop())
        client = self._clients.get(loop)
        if client is None:
            import redis.asyncio as aioredis

            client = aioredis.Redis.from_url(self._url)
            self._clients = {loop: client}
        return client

    def _key(self, key: str) -> str:
        return f"{self._prefix}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"

    async def load(self, key: str) -> tuple[dict[str, Any], float | None] | None:
        """The stored variables and their seconds left."""
        name = self._key(key)
        pipe = self._client().pipeline(transaction=False)
        pipe.get(name)
        pipe.pttl(name)
        raw, ttl_ms = await pipe.execute()
        if raw is None:
            return None
        variables: dict[str, Any] = json.loads(raw)
        return variables, (ttl_ms / 1000 if ttl_ms > 0 else None)

    async def save(self, key: str, variables: dict[str, Any], ttl: float | None) -> None:
        """Store for ``ttl`` seconds."""
        value = json.dumps(variables)
        px = max(1, int(ttl * 1000)) if ttl is not None else None
        await self._client().set(self._key(key), value, px=px)

    async def drop(self, key: str, variables: dict[str, Any]) -> None:
        """Delete unless another worker already stored a newer token."""
        client = self._client()
        name = self._key(key)
        raw = await client.get(name)
        if raw is not None and json.loads(raw) == variables:
            await client.delete(name)

    async def close(self) -> None:
        """Close the connections."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
