"""Response cache: what a hit costs, and what the cache adds to a miss.

The cache wraps a stub target that answers at once (no network), so the figures are the cache's own
work through the real client stack (retrying client, cache wrapper, backend). Per request, 20 per run:
a hit over the memory backend <= 1 ms, over SQLite <= 3 ms; a miss (memory backend, a new message
each time: key, lookup, background store) adds <= 0.2 ms to the stub alone.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bench._loops import MODEL
from bench.api import Row, interleaved, row

GROUP = "Response cache: ms per request (stub target, no network)"
PER_RUN = 20


async def run(quick: bool) -> list[Row]:
    from agentcore.config.schema import CacheConfig, LLMConfig
    from agentcore.llm.cache._redis import RedisBackend
    from agentcore.llm.cache._sql import SQLBackend
    from agentcore.llm.cache.backends import CacheBackend, MemoryBackend
    from agentcore.llm.cache.client import CachingClient, ResponseCache
    from agentcore.llm.client import RetryingClient, complete
    from agentcore.llm.events import StreamEvent, TurnComplete
    from agentcore.llm.provider import ProviderClient
    from agentcore.llm.request import LLMRequest
    from agentcore.llm.retry import Failure
    from agentcore.messages import InternalMessage, Usage
    from agentcore.storage.db import dispose_engines

    class Stub(ProviderClient):
        async def _round_trip(self, request: LLMRequest) -> AsyncIterator[StreamEvent | TurnComplete]:
            yield TurnComplete(InternalMessage.assistant("the answer"), Usage(10, 5), "stop")

        def _classify(self, exc: BaseException) -> Failure | None:
            return None

    rounds, warmup = (15, 3) if quick else (60, 5)
    llm = LLMConfig(provider="openai", model=MODEL, temperature=0)
    folder = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    history = tuple(InternalMessage.user(f"message {i}") for i in range(20))
    fixed = LLMRequest((*history, InternalMessage.user("same question")), "system", (), stream=False)
    counter = itertools.count()

    def fresh() -> LLMRequest:
        return LLMRequest((*history, InternalMessage.user(f"q{next(counter)}")), "system", (), stream=False)

    def client(backend: CacheBackend) -> tuple[RetryingClient, ResponseCache]:
        cache = ResponseCache(backend, CacheConfig(enabled=True))
        return RetryingClient(CachingClient(Stub(llm), cache)), cache

    stub = RetryingClient(Stub(llm))
    memory, memory_cache = client(MemoryBackend())
    sqlite, sqlite_cache = client(SQLBackend(f"sqlite+aiosqlite:///{folder / 'cache.db'}", "sqlite"))
    variants: dict[str, Any] = {}
    caches = [memory_cache, sqlite_cache]

    def many(target: RetryingClient, make: Any) -> Any:
        async def go() -> None:
            for _ in range(PER_RUN):
                await complete(target, make())

        return go

    variants["stub"] = many(stub, fresh)
    variants["miss_memory"] = many(memory, fresh)
    variants["hit_memory"] = many(memory, lambda: fixed)
    variants["hit_sqlite"] = many(sqlite, lambda: fixed)
    redis_note = ""
    stored = [memory, sqlite]
    try:
        redis_client, redis_cache = client(RedisBackend(namespace="bench"))
        await redis_cache.backend.get("probe", 0.0)
        variants["hit_redis"] = many(redis_client, lambda: fixed)
        caches.append(redis_cache)
        stored.append(redis_client)
    except Exception as exc:  # no Redis here: the other figures still stand
        redis_note = f"redis skipped: {type(exc).__name__}"
    for target in stored:
        await complete(target, fixed)  # stored once: the hit variants only hit
    for cache in caches:
        await cache.flush()
    try:
        times = await interleaved(variants, rounds, warmup)
    finally:
        for cache in caches:
            await cache.clear()
            await cache.aclose()
        await dispose_engines()
    per = {name: [t / PER_RUN for t in values] for name, values in times.items()}
    base = per["stub"]
    added = [m - s for m, s in zip(per["miss_memory"], base, strict=True)]
    added_row = row(GROUP, "miss (memory): added to the stub", sorted(added), target="<= 0.2 ms")
    added_row.met = added_row.median_ms <= 0.2
    rows = [
        row(GROUP, "stub target alone", base),
        added_row,
        row(GROUP, "hit, memory backend", per["hit_memory"], target="<= 1 ms"),
        row(GROUP, "hit, SQLite backend", per["hit_sqlite"], target="<= 3 ms"),
    ]
    rows[2].met = rows[2].median_ms <= 1.0
    rows[3].met = rows[3].median_ms <= 3.0
    if "hit_redis" in per:
        rows.append(row(GROUP, "hit, Redis backend (loopback)", per["hit_redis"]))
    elif redis_note:
        rows.append(row(GROUP, "hit, Redis backend", [0.0], note=redis_note))
    return rows
