"""History growth: one call (no tools) after N prior messages of ~200 tokens each.

Per-call time for N = 10, 100, 1000, 10000 and the marginal cost per message. The prior messages are
the same objects on every run, as in a live conversation where each stored message was already sent
on earlier turns (agentcore renders a message's JSON once and reuses it).
"""

from __future__ import annotations

from bench._common import make_agent, run_peers
from bench._loops import HttpxLoop, RawSDKLoop, history_messages
from bench._server import FINAL_TEXT, BenchServer
from bench.api import Row, interleaved, median, row

GROUP = "History growth: one call after N prior messages (~200 tokens each), ms per call"
MARGINAL = "History growth: marginal cost, ms per prior message (from N=10)"
RATIO_TARGET = 0.2
MARGINAL_TARGET = 0.02


def _plan(quick: bool) -> list[tuple[int, int]]:
    if quick:
        return [(10, 5), (1000, 3)]
    return [(10, 20), (100, 16), (1000, 10), (10000, 3)]


async def run(quick: bool) -> list[Row]:
    from agentcore.messages import InternalMessage

    rows: list[Row] = []
    medians: dict[str, dict[int, float]] = {}
    with BenchServer() as server:
        url = server.url + "/v1"
        agent = make_agent(url, with_tool=False)
        raw, plain = RawSDKLoop(url), HttpxLoop(url)
        try:
            for n, rounds in _plan(quick):
                prior = history_messages(n)
                stored = [
                    InternalMessage.user(m["content"])
                    if m["role"] == "user"
                    else InternalMessage.assistant(m["content"])
                    for m in prior
                ]

                async def prepare(stored: list[InternalMessage] = stored) -> None:
                    ctx = agent.session("history")
                    await ctx.reset()
                    await ctx.add_many(stored)

                async def agentcore() -> None:
                    assert (await agent.run("What next?", session="history")).text == FINAL_TEXT

                async def raw_sdk(prior: list[dict[str, str]] = prior) -> None:
                    assert (
                        await raw.run([*prior, {"role": "user", "content": "What next?"}], tools=False)
                        == FINAL_TEXT
                    )

                async def httpx2(prior: list[dict[str, str]] = prior) -> None:
                    assert (
                        await plain.run([*prior, {"role": "user", "content": "What next?"}], tools=False)
                        == FINAL_TEXT
                    )

                times = await interleaved(
                    {"agentcore": agentcore, "raw SDK": raw_sdk, "httpx2": httpx2},
                    rounds,
                    warmup=3 if n == 10 else 1,  # the first size also warms the store, tokenizer and pool
                    setup={"agentcore": prepare},
                )
                peers = run_peers(
                    url, "history", n=n, rounds=max(3, rounds // 2), warmup=0 if n >= 10000 else 1
                )
                base = times["raw SDK"]
                target = f"<= {RATIO_TARGET}x raw SDK" if n == 1000 else None
                ac = row(GROUP, f"N={n} agentcore", times["agentcore"], base, target=target)
                if target:
                    ac.met = ac.ratio is not None and ac.ratio <= RATIO_TARGET
                rows += [
                    row(GROUP, f"N={n} raw SDK (baseline)", base, base),
                    ac,
                    row(GROUP, f"N={n} httpx2 POST", times["httpx2"], base),
                ]
                peer_times: dict[str, list[float]] = peers["timings"]
                peer_base = peer_times.get("raw SDK (peers venv)")
                for name, values in peer_times.items():
                    rows.append(row(GROUP, f"N={n} {name}", values, peer_base, note="paired in peers venv"))
                    times[name] = values
                for name, error in peers["errors"].items():
                    rows.append(Row(GROUP, f"N={n} {name}", float("nan"), note=f"not measured: {error}"))
                for name, values in times.items():
                    medians.setdefault(name, {})[n] = median(values)
        finally:
            await agent.close()
            await raw.close()
            await plain.close()

    for name, by_n in medians.items():
        if 10 not in by_n:
            continue
        for n in (1000, 10000):
            if n not in by_n:
                continue
            per_msg = (by_n[n] - by_n[10]) / (n - 10)
            r = Row(MARGINAL, f"{name}, N=10→{n}", per_msg)
            if name == "agentcore" and n == 1000:
                r.target = f"<= {MARGINAL_TARGET} ms/message"
                r.met = per_msg <= MARGINAL_TARGET
            rows.append(r)
    return rows
