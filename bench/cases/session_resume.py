"""Resuming a 10,000-message session and building the next request (issue: <= 100 ms, <= 50 MB).

Also the per-turn cost (append one message, build the request) at 100 and at 10,000 stored messages:
it should not grow with the history beyond the messages actually sent.
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path

from bench.api import Row, median, p90, timings

HISTORY = 10_000


async def _fill(url: str, name: str, count: int) -> None:
    from agentcore.context.store import SessionStore
    from agentcore.context.tokens import TokenCounter
    from agentcore.messages import InternalMessage, ToolCall

    store = SessionStore(url)
    info = await store.get_or_create(name)
    counter = TokenCounter.for_model("gpt-4o")
    batch: list[InternalMessage] = []
    for i in range(count // 4):
        call = ToolCall(f"call_{i}", "lookup", f'{{"q": "item {i}"}}')
        batch += [
            InternalMessage.user(f"Question {i}: what do we know about item {i} and its neighbours?"),
            InternalMessage.assistant(None, (call,)),
            InternalMessage.tool_result(
                call, f"item {i}: price {i * 3} EUR, stock {i % 17}, rating 4.{i % 10}"
            ),
            InternalMessage.assistant(f"Item {i} costs {i * 3} EUR and {i % 17} are in stock."),
        ]
    await store.append(info, batch, [counter.message(m) for m in batch], counter.key)


def _context(url: str, name: str):
    from agentcore.context.manager import ContextManager
    from agentcore.context.store import SessionStore
    from agentcore.context.tokens import TokenCounter
    from agentcore.context.windows import window_for

    return ContextManager(
        "You are a helpful assistant. Today is {date}.",
        store=SessionStore(url),
        name=name,
        counter=TokenCounter.for_model("gpt-4o"),
        window=window_for("gpt-4o"),
    )


async def run(quick: bool) -> list[Row]:
    """Resume time and memory, and per-turn cost at two history lengths."""
    from agentcore.context.tokens import encoding
    from agentcore.messages import InternalMessage
    from agentcore.storage.db import dispose_engines

    encoding("o200k_base")  # loaded once per process (~0.3 s); not part of a resume
    rounds = 5 if quick else 15
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await _fill(url, "big", HISTORY)
        await _fill(url, "small", 100)
        await dispose_engines()

        async def resume() -> None:
            await dispose_engines()  # a new process: no engine, no cached rows
            ctx = _context(url, "big")
            await ctx.load()
            await ctx.request_messages(())

        times = await timings(resume, rounds, warmup=1)
        await dispose_engines()
        tracemalloc.start()
        ctx = _context(url, "big")
        await ctx.load()
        sent = await ctx.request_messages(())
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        peak_mb = peak / 1e6
        rows.append(
            Row(
                "session resume",
                f"resume {HISTORY:,} messages + build request",
                median(times),
                p90(times),
                target="<= 100 ms",
                met=median(times) <= 100,
                note=f"sends {len(sent):,} msgs ({ctx.last_request_tokens:,} tokens of a 128k window)",
            )
        )
        rows.append(
            Row(
                "session resume",
                "peak extra memory (MB, tracemalloc)",
                peak_mb,
                target="<= 50 MB",
                met=peak_mb <= 50,
                note="value is MB, not ms",
            )
        )
        for name in ("small", "big"):
            ctx = _context(url, name)
            await ctx.load()
            await ctx.request_messages(())
            per_turn: list[float] = []
            for i in range(rounds * 2):
                start = time.perf_counter()
                await ctx.add(InternalMessage.user(f"turn {i}"))
                await ctx.request_messages(())
                per_turn.append((time.perf_counter() - start) * 1000)
            count = len(ctx.messages)
            rows.append(
                Row(
                    "session resume",
                    f"per turn: append + build request ({name}, {count:,} stored)",
                    median(per_turn),
                    p90(per_turn),
                    note=f"sends {len(await ctx.request_messages(())):,} msgs",
                )
            )
        await dispose_engines()
    return rows


if __name__ == "__main__":
    import asyncio

    for row in asyncio.run(run(quick=True)):
        print(row)
