"""The response cache in Redis (``redis.asyncio``): one hash per entry, expired by Redis itself."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from agentcore.errors import ConfigError
from agentcore.llm.cache.backends import CacheStats, EntryMeta, add_stats

if TYPE_CHECKING:
    from redis.asyncio import Redis

DEFAULT_URL = "redis://127.0.0.1:6379/0"
# Count a hit only while the entry exists (HINCRBY alone would recreate an expired one without a TTL).
_HIT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'hits', ARGV[2])
  redis.call('HSET', KEYS[1], 'last_hit', ARGV[1])
end
return 0
"""


class RedisBackend:
    """Entries as hashes ``<namespace>:cache:<key>``; Redis drops them at their TTL."""

    name = "redis"

    def __init__(self, url: str | None = None, namespace: str = "agentcore") -> None:
        self.url = url or DEFAULT_URL
        self.prefix = f"{namespace}:cache:"
        self._client: Redis | None = None

    def _redis(self) -> Redis:
        if self._client is None:
            try:
                from redis.asyncio import Redis
            except ImportError:
                raise ConfigError(
                    "cache.backend is redis but the redis package is not installed",
                    key_path="cache.backend",
                    hint="pip install 'agentcore[redis]' (or redis>=5)",
                ) from None
            self._client = Redis.from_url(self.url)  # pyright: ignore[reportUnknownMemberType]
        return self._client

    async def get(self, key: str, now: float) -> str | None:
        """The live value of ``key``."""
        found: list[Any] = await self._redis().hmget(self.prefix + key, ["value", "expires"])  # pyright: ignore[reportUnknownMemberType]
        value, expires = found
        if value is None or expires is None or float(expires) <= now:
            return None  # our clock may be ahead of Redis's expiry
        return value.decode() if isinstance(value, bytes) else str(value)

    async def put(self, key: str, value: str, meta: EntryMeta, now: float, expires: float) -> None:
        """Store (or replace) ``value`` under ``key`` with a TTL."""
        name = self.prefix + key
        mapping: dict[str, str | int | float] = {
            "value": value,
            "provider": meta.provider,
            "model": meta.model,
            "prompt_tokens": meta.prompt_tokens,
            "completion_tokens": meta.completion_tokens,
            "created": now,
            "expires": expires,
            "hits": 0,
        }
        ttl_ms = max(1, math.ceil((expires - now) * 1000))
        async with self._redis().pipeline(transaction=True) as pipe:
            pipe.delete(name)  # pyright: ignore[reportUnknownMemberType]
            pipe.hset(name, mapping=mapping)  # pyright: ignore[reportUnknownMemberType, reportArgumentType]
            pipe.pexpire(name, ttl_ms)  # pyright: ignore[reportUnknownMemberType]
            await pipe.execute()  # pyright: ignore[reportUnknownMemberType]

    async def hits(self, counts: dict[str, int], now: float) -> None:
        """Add hits per key (one round trip)."""
        async with self._redis().pipeline(transaction=False) as pipe:
            for key, count in counts.items():
                pipe.eval(_HIT, 1, self.prefix + key, str(now), count)  # pyright: ignore[reportUnknownMemberType]
            await pipe.execute()  # pyright: ignore[reportUnknownMemberType]

    async def _keys(self) -> list[bytes]:
        return [k async for k in self._redis().scan_iter(match=self.prefix + "*", count=500)]  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]

    async def stats(self, now: float) -> CacheStats:
        """Live entries and their hits."""
        stats = CacheStats(self.name)
        fields = ["provider", "model", "prompt_tokens", "completion_tokens", "hits", "expires"]
        for name in await self._keys():
            row: list[Any] = await self._redis().hmget(name, fields)  # pyright: ignore[reportUnknownMemberType]
            if row[0] is None or row[5] is None or float(row[5]) <= now:
                continue
            meta = EntryMeta(row[0].decode(), row[1].decode(), int(row[2] or 0), int(row[3] or 0))
            add_stats(stats, meta, int(row[4] or 0))
        return stats

    async def clear(self, before: float | None) -> int:
        """Drop every entry (only those stored before ``before`` when given); how many."""
        removed = 0
        for name in await self._keys():
            if before is not None:
                created: Any = await self._redis().hget(name, "created")  # pyright: ignore[reportUnknownMemberType, reportGeneralTypeIssues]
                if created is not None and float(created) >= before:
                    continue
            removed += int(await self._redis().delete(name))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        return removed

    async def aclose(self) -> None:
        """Close the connection pool (the next use opens a new one)."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
