"""Profile agentcore's side of a case: ``python -m bench.profile tool_loop|bare_loop|history|stream``.

Runs the variant repeatedly against the bench server under pyinstrument (dev extra) and prints the
call tree, the tool used to find what each figure in RESULTS.md is made of.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools

from bench._common import make_agent
from bench._loops import TOOL_LOOP_PROMPT, history_messages
from bench._server import BenchServer


async def _work(case: str, n: int, runs: int, url: str) -> None:
    from agentcore.messages import InternalMessage

    agent = make_agent(url, with_tool=case in ("tool_loop", "bare_loop"))
    stored = [
        InternalMessage.user(m["content"]) if m["role"] == "user" else InternalMessage.assistant(m["content"])
        for m in history_messages(n)
    ]
    ids = itertools.count()

    async def once() -> None:
        if case == "bare_loop":
            from agentcore.context.manager import ContextManager

            await agent.start()
            message = InternalMessage.user(TOOL_LOOP_PROMPT)
            async for _ in agent.service.run_loop(ContextManager(), message, stream=False):
                pass
        elif case == "tool_loop":
            await agent.run(TOOL_LOOP_PROMPT, session=f"s{next(ids)}")
        elif case == "history":
            ctx = agent.session("h")
            await ctx.reset()
            await ctx.add_many(stored)
            await agent.run("What next?", session="h")
        else:
            async for _ in agent.stream("Say something", session=f"s{next(ids)}"):
                pass

    for _ in range(3):
        await once()
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0002, async_mode="disabled")
    profiler.start()
    for _ in range(runs):
        await once()
    profiler.stop()
    await agent.close()
    print(profiler.output_text(unicode=False, color=False, show_all=False, short_mode=False))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=["tool_loop", "bare_loop", "history", "stream"])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with BenchServer(chunk_delay=0.001 if args.case == "stream" else 0.0) as server:
        asyncio.run(_work(args.case, args.n, args.runs, server.url + "/v1"))


if __name__ == "__main__":
    main()
