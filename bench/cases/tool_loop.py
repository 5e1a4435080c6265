"""Tool loop: one user message, ten tool turns, then the answer (11 requests), per full run.

agentcore's ``Agent.run`` (a fresh session each run, one long-lived agent like a real app) against the
hand loop on the raw ``AsyncOpenAI`` SDK and a plain httpx2 POST loop, interleaved in this process;
the peers run in their own venv against the same server, paired with a raw-SDK loop there.
"""

from __future__ import annotations

import itertools

from bench._common import make_agent, run_peers
from bench._loops import TOOL_LOOP_PROMPT, HttpxLoop, RawSDKLoop
from bench._server import FINAL_TEXT, BenchServer
from bench.api import Row, interleaved, row

GROUP = "Tool loop: 10 tool turns + answer (11 requests), ms per run"
TARGET = 0.45  # a new session per run, SQLite store and call log on


async def run(quick: bool) -> list[Row]:
    rounds, warmup = (5, 1) if quick else (20, 3)
    with BenchServer() as server:
        url = server.url + "/v1"
        agent = make_agent(url)
        await agent.start()
        raw, plain = RawSDKLoop(url), HttpxLoop(url)
        sessions = itertools.count()

        async def agentcore() -> None:
            result = await agent.run(TOOL_LOOP_PROMPT, session=f"s{next(sessions)}")
            assert result.iterations == 11 and result.text == FINAL_TEXT, result

        async def agentcore_no_store() -> None:
            # The same loop on an in-memory context: what the runtime costs without session persistence.
            from agentcore.context.manager import ContextManager
            from agentcore.llm.events import FinalAnswer
            from agentcore.messages import InternalMessage

            message = InternalMessage.user(TOOL_LOOP_PROMPT)
            last = None
            async for event in agent.service.run_loop(ContextManager(), message, stream=False):
                last = event
            assert isinstance(last, FinalAnswer) and last.iterations == 11, last

        async def raw_sdk() -> None:
            assert await raw.run([{"role": "user", "content": TOOL_LOOP_PROMPT}]) == FINAL_TEXT

        async def httpx2() -> None:
            assert await plain.run([{"role": "user", "content": TOOL_LOOP_PROMPT}]) == FINAL_TEXT

        try:
            times = await interleaved(
                {
                    "agentcore": agentcore,
                    "agentcore-no-store": agentcore_no_store,
                    "raw SDK": raw_sdk,
                    "httpx2": httpx2,
                },
                rounds,
                warmup,
            )
        finally:
            await agent.close()
            await raw.close()
            await plain.close()
        peers = run_peers(url, "tool_loop", rounds=4 if quick else rounds * 2 // 3, warmup=1)

    base = times["raw SDK"]
    ratio_target = f"<= {TARGET}x raw SDK"
    rows = [
        row(GROUP, "raw SDK hand loop (baseline)", base, base),
        row(GROUP, "agentcore Agent.run, new session per run", times["agentcore"], base, target=ratio_target),
        row(
            GROUP,
            "agentcore run_loop, in-memory context",
            times["agentcore-no-store"],
            base,
            note="agentcore.llm.loop.run_loop on a store-less ContextManager: the loop without session persistence",
        ),
        row(GROUP, "httpx2 POST loop (lower bound)", times["httpx2"], base),
    ]
    rows[1].met = rows[1].ratio is not None and rows[1].ratio <= TARGET
    peer_times: dict[str, list[float]] = peers["timings"]
    peer_base = peer_times.get("raw SDK (peers venv)")
    for name, values in peer_times.items():
        note = "ratio paired with the peers-venv raw SDK loop"
        rows.append(row(GROUP, name, values, peer_base, note=note))
    for name, error in peers["errors"].items():
        rows.append(Row(GROUP, name, float("nan"), note=f"not measured: {error}"))
    return rows
