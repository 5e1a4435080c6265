"""Streaming: time to the first text delta, with the server pacing chunks 1 ms apart.

agentcore's ``Agent.stream`` against the raw SDK's ``create(stream=True)`` and a plain httpx2 SSE read,
interleaved and shuffled per round; each run drains its stream after the first delta.
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import time
from collections.abc import Awaitable, Callable

from bench._common import make_agent
from bench._loops import API_KEY, MODEL, HttpxLoop, RawSDKLoop
from bench._server import BenchServer
from bench.api import Row, p90, row

GROUP = "Streaming: time to first text delta (chunks 1 ms apart), ms"
TARGET_MS = 0.5
PROMPT = "Say something"


async def run(quick: bool) -> list[Row]:
    from agentcore.llm.events import TextDelta

    rounds = 10 if quick else 60
    with BenchServer(chunk_delay=0.001) as server:
        url = server.url + "/v1"
        agent = make_agent(url, with_tool=False)
        raw, plain = RawSDKLoop(url), HttpxLoop(url)
        messages = [{"role": "user", "content": PROMPT}]

        async def agentcore() -> float:
            ctx = agent.session("stream")
            await ctx.reset()
            start = time.perf_counter()
            first = 0.0
            async for event in agent.stream(PROMPT, session="stream"):
                if not first and isinstance(event, TextDelta):
                    first = (time.perf_counter() - start) * 1000
            return first

        async def raw_sdk() -> float:
            return await raw.first_text_ms(list(messages))

        async def httpx2() -> float:
            body = json.dumps({"model": MODEL, "messages": messages, "stream": True})
            headers = {"content-type": "application/json", "authorization": f"Bearer {API_KEY}"}
            start = time.perf_counter()
            first = 0.0
            async with plain.client.stream("POST", plain.url, content=body, headers=headers) as resp:
                async for line in resp.aiter_lines():
                    if first or not line.startswith("data: {"):
                        continue
                    choices = json.loads(line[6:])["choices"]
                    if choices and choices[0]["delta"].get("content"):
                        first = (time.perf_counter() - start) * 1000
            return first

        variants: dict[str, Callable[[], Awaitable[float]]] = {
            "agentcore": agentcore,
            "raw SDK": raw_sdk,
            "httpx2": httpx2,
        }
        names = list(variants)
        out: dict[str, list[float]] = {name: [] for name in names}
        rng = random.Random(2)
        try:
            for i in range(rounds + 2):
                rng.shuffle(names)
                for name in names:
                    gc.collect()
                    ms = await variants[name]()
                    assert ms > 0, f"{name}: no text delta"
                    if i >= 2:  # the first two rounds warm up
                        out[name].append(ms)
        finally:
            await agent.close()
            await raw.close()
            await plain.close()

    base = out["raw SDK"]
    diffs = [a - b for a, b in zip(out["agentcore"], base, strict=True)]
    over = statistics.median(diffs)
    return [
        row(GROUP, "raw SDK (baseline)", base, base),
        row(GROUP, "agentcore Agent.stream", out["agentcore"], base),
        row(GROUP, "httpx2 SSE read", out["httpx2"], base),
        Row(
            GROUP,
            "agentcore minus raw SDK (paired per round)",
            over,
            p90(diffs),
            target=f"<= {TARGET_MS} ms over raw SDK",
            met=over <= TARGET_MS,
        ),
    ]
