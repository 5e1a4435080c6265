"""Routing: the router over a single target against that target alone (zero-latency server).

Both send the same one-message request to the bench server, 20 per timed run, interleaved; the
router's work per request (choose, state, route info, failover bookkeeping) must stay within 2%.
When Redis answers on 127.0.0.1:6379, the router with its state in Redis (``storage.redis``: three
round trips per request) is shown too, for information.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from bench._loops import API_KEY, MODEL
from bench._server import BenchServer
from bench.api import Row, interleaved, row

GROUP = "Routing: one request (zero-latency server), ms per 20 requests"
TARGET = 1.02
PER_RUN = 20
REDIS_URL = "redis://127.0.0.1:6379/0"


async def _redis_up() -> bool:
    try:
        from redis.asyncio import Redis

        client = Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)  # pyright: ignore[reportUnknownMemberType]
        try:
            return bool(await client.ping())  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        finally:
            await client.aclose()
    except Exception:
        return False


async def run(quick: bool) -> list[Row]:
    from agentcore.config.loader import load_config_from_dict
    from agentcore.llm.client import complete
    from agentcore.llm.factory import build_client
    from agentcore.llm.request import LLMRequest
    from agentcore.llm.router.redis_state import RedisState
    from agentcore.messages import InternalMessage

    rounds, warmup = (15, 3) if quick else (60, 5)
    with BenchServer() as server:
        target = {"provider": "openai", "model": MODEL, "apiKey": API_KEY, "baseURL": server.url + "/v1"}
        config = load_config_from_dict(
            {"llm": target, "models": {"only": target}, "profiles": {"one": {"targets": ["only"]}},
             "localTools": [], "storage": {"url": "memory://"}}
        )  # fmt: skip
        alone, routed = build_client(config), build_client(config, "one")
        prefix = f"agentcore-bench:{os.getpid()}:"
        shared = build_client(config, "one", state=RedisState(REDIS_URL, prefix=prefix))
        request = LLMRequest((InternalMessage.user("hi"),), None, (), stream=False)

        async def single() -> None:
            for _ in range(PER_RUN):
                await complete(alone, request)

        async def router() -> None:
            for _ in range(PER_RUN):
                await complete(routed, request)

        async def redis() -> None:
            for _ in range(PER_RUN):
                await complete(shared, request)

        variants: dict[str, Callable[[], Awaitable[object]]] = {"single": single, "router": router}
        if await _redis_up():
            variants["redis"] = redis
        try:
            times = await interleaved(variants, rounds, warmup)
        finally:
            for client in (alone, routed, shared):
                await client.aclose()
    base = times["single"]
    rows = [
        row(GROUP, "single target (RetryingClient)", base, base),
        row(
            GROUP, "router over that one target", times["router"], base, target=f"<= {TARGET}x single target"
        ),
    ]
    rows[1].met = rows[1].ratio is not None and rows[1].ratio <= TARGET
    if "redis" in times:
        note = "storage.redis: picks, in-flight leases and latencies in Redis (3 round trips a request)"
        rows.append(row(GROUP, "router, state in Redis", times["redis"], base, note=note))
    return rows
