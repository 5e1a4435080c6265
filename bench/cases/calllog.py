"""Call-log cost: the background writer's throughput on SQLite, and the time the event loop spends
per LLM call on logging.

The per-call figure is what ``LLMService.request`` runs around one streamed call (observer, 20
deltas seen, the final message, ok/close and the enqueue). The writer task runs on the same event
loop, so its share (building the row, cost, SQLAlchemy's statement work) is measured too, as loop
thread CPU time per row; the target is judged on the sum of both. That sum is the whole per-call
cost of logging on the event loop (the enqueue alone is ~4 us; the writer's share - building the
row, pricing it, fitting its text to the columns, the SQL - is most of the rest).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.api import Row, median, p90

DELTAS = 20


async def run(quick: bool) -> list[Row]:
    """Writer rows/s (target >= 5,000) and per-call loop time (target <= 0.1 ms)."""
    from agentcore.config.loader import load_config_from_dict
    from agentcore.llm.events import TextDelta, TurnComplete
    from agentcore.llm.factory import create_llm_service
    from agentcore.llm.service import LLMRequest
    from agentcore.logs import ensure_logging
    from agentcore.messages import InternalMessage, Usage
    from agentcore.storage.db import dispose_engines
    from agentcore.tracing.pricing import PriceTable
    from agentcore.tracing.recorder import CallRecorder
    from agentcore.tracing.writer import CallLogWriter

    ensure_logging("warning")  # the default level: debug lines would be measured otherwise
    rows: list[Row] = []
    n = 5_000 if quick else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config_from_dict(
            {
                "llm": {"provider": "openai", "model": "gpt-4o-mini", "apiKey": "bench-key-000000"},
                "localTools": [],
            }
        )
        service = create_llm_service(config.llm)
        writer = CallLogWriter(f"sqlite:///{Path(tmp) / 'bench.db'}", max_queue=n + 10)
        recorder = CallRecorder(writer, PriceTable())
        request = LLMRequest((InternalMessage.user("hi"),), None, (), stream=True)
        deltas = [TextDelta("tok") for _ in range(DELTAS)]
        turn = TurnComplete(InternalMessage.assistant("ok"), Usage(100, 20, 10, 0), "stop")

        def one_call() -> None:
            obs = recorder.attempt(service, request, 1)
            for delta in deltas:
                obs.see(delta)
            obs.see(turn)
            obs.ok()
            obs.close()

        one_call()
        await writer.flush()  # create the tables outside the timed part
        per_call: list[float] = []
        perf = time.perf_counter
        for _ in range(n):
            start = perf()
            one_call()
            per_call.append((perf() - start) * 1000)
        start, cpu = perf(), time.thread_time()
        await writer.close()
        elapsed, writer_cpu_ms = perf() - start, (time.thread_time() - cpu) * 1000
        rate = n / elapsed
        rows.append(
            Row("call log", f"writer throughput ({n:,} rows, SQLite)", elapsed * 1000, note=f"{rate:,.0f} rows/s",
                target=">= 5,000 rows/s", met=rate >= 5_000)
        )  # fmt: skip
        hot, share = median(per_call), writer_cpu_ms / n
        rows.append(
            Row("call log", "event-loop time per LLM call: request path", hot, p90(per_call),
                note=f"streamed, {DELTAS} deltas")
        )  # fmt: skip
        rows.append(
            Row("call log", "event-loop time per LLM call: writer share", share,
                note="loop-thread CPU per row written")
        )  # fmt: skip
        total = hot + share
        rows.append(
            Row("call log", "event-loop time per LLM call: total", total, p90(per_call) + share,
                target="<= 0.1 ms", met=p90(per_call) + share <= 0.1,
                note="whole logging cost per call on the loop")
        )  # fmt: skip
        await service.aclose()
        await dispose_engines()
    return rows
