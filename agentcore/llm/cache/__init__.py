"""The response cache (``cache:`` in cipher.yml): repeated requests answered without the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentcore.llm.cache._scope import CacheContext, cache_context, current_cache_context
from agentcore.llm.cache.backends import CacheBackend, CacheStats, MemoryBackend, ModelStats

if TYPE_CHECKING:
    from agentcore.config.schema import AgentConfig
    from agentcore.llm.cache.client import ResponseCache

__all__ = [
    "CacheBackend",
    "CacheContext",
    "CacheStats",
    "MemoryBackend",
    "ModelStats",
    "cache_context",
    "current_cache_context",
    "open_backend",
    "open_cache",
]


def open_backend(config: AgentConfig) -> CacheBackend:
    """The backend ``cache.backend`` names (default: the configured database); nothing connects yet."""
    from agentcore.errors import ConfigError
    from agentcore.storage.db import resolve_url

    cache = config.cache
    storage = resolve_url(config.storage.url)
    backend = cache.backend or ("postgres" if storage.startswith("postgresql") else "sqlite")
    if backend == "memory":
        return MemoryBackend(cache.max_entries)
    if backend == "redis":
        from agentcore.llm.cache._redis import RedisBackend

        return RedisBackend(cache.url, cache.namespace)
    from agentcore.llm.cache._sql import SQLBackend

    url = resolve_url(cache.url) if cache.url else storage
    is_pg = url.startswith("postgresql")
    if is_pg != (backend == "postgres"):
        raise ConfigError(
            f"cache.backend is {backend} but the database URL is {'PostgreSQL' if is_pg else 'not PostgreSQL'}",
            key_path="cache.url" if cache.url else "cache.backend",
            hint=f"set cache.url to a {backend} URL, or leave cache.backend out to use storage.url",
        )
    return SQLBackend(url, backend)


def open_cache(config: AgentConfig) -> ResponseCache | None:
    """The agent's response cache, or None when ``cache.enabled`` is false."""
    if not config.cache.enabled:
        return None
    from agentcore.llm.cache.client import ResponseCache

    return ResponseCache(open_backend(config), config.cache)
