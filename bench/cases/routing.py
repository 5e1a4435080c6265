"""Routing: the router over a single target against that target alone (zero-latency server).

Both send the same one-message request to the bench server, 20 per timed run, interleaved; the
router's work per request (choose, state, route info, failover bookkeeping) must stay within 2%.
"""

from __future__ import annotations

from bench._loops import API_KEY, MODEL
from bench._server import BenchServer
from bench.api import Row, interleaved, row

GROUP = "Routing: one request (zero-latency server), ms per 20 requests"
TARGET = 1.02
PER_RUN = 20


async def run(quick: bool) -> list[Row]:
    from agentcore.config.loader import load_config_from_dict
    from agentcore.llm.client import complete
    from agentcore.llm.factory import build_client
    from agentcore.llm.request import LLMRequest
    from agentcore.messages import InternalMessage

    rounds, warmup = (15, 3) if quick else (60, 5)
    with BenchServer() as server:
        target = {"provider": "openai", "model": MODEL, "apiKey": API_KEY, "baseURL": server.url + "/v1"}
        config = load_config_from_dict(
            {"llm": target, "models": {"only": target}, "profiles": {"one": {"targets": ["only"]}},
             "localTools": [], "storage": {"url": "memory://"}}
        )  # fmt: skip
        alone, routed = build_client(config), build_client(config, "one")
        request = LLMRequest((InternalMessage.user("hi"),), None, (), stream=False)

        async def single() -> None:
            for _ in range(PER_RUN):
                await complete(alone, request)

        async def router() -> None:
            for _ in range(PER_RUN):
                await complete(routed, request)

        try:
            times = await interleaved({"single": single, "router": router}, rounds, warmup)
        finally:
            await alone.aclose()
            await routed.aclose()
    base = times["single"]
    rows = [
        row(GROUP, "single target (RetryingClient)", base, base),
        row(
            GROUP, "router over that one target", times["router"], base, target=f"<= {TARGET}x single target"
        ),
    ]
    rows[1].met = rows[1].ratio is not None and rows[1].ratio <= TARGET
    return rows
