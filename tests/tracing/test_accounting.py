"""Truthful accounting: each row field and each ``usage`` figure against hand-computed expectations.

The rows are built by the recorder exactly as ``LLMService.request`` drives it (observer per
attempt, events, how it ended), then read back from SQLite and through ``agentcore usage``.
Prices (USD / 1M tokens): claude-sonnet-4-5 3 in, 0.30 cache read, 3.75 5-minute write, 6 1-hour
write, 15 out; gpt-4o-mini 0.15 in, 0.075 cached, 0.60 out; gemini-2.5-flash 0.30 in, 2.50 out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agentcore.errors import ProviderError
from agentcore.llm.events import TextDelta, TurnComplete, UsageReport
from agentcore.llm.route import RouteInfo
from agentcore.llm.service import LLMRequest
from agentcore.messages import InternalMessage, Usage
from agentcore.tracing.pricing import PriceTable
from agentcore.tracing.query import totals, usage_by
from agentcore.tracing.recorder import CallRecorder
from agentcore.tracing.writer import CallLogWriter
from tests.cli.test_run_cli import run_cli
from tests.tracing.test_calllog import db_url, rows

M = 1_000_000
SONNET_WRITES = (2000 * 3 + 2000 * 0.30 + 5000 * 3.75 + 1000 * 6 + 500 * 15) / M  # 0.03885
GEMINI = (1000 * 0.30 + 200 * 2.50 + 300 * 2.50) / M  # 0.00155


@dataclass
class Client:
    provider: str
    model: str


class IncompleteStream(ProviderError):
    """What a provider raises for a stream that ended without its final event."""

    kind = "incomplete_stream"


REQUEST = LLMRequest((InternalMessage.user("hi"),), "be brief", (), stream=True)


def turn(usage: Usage, finish: str = "stop") -> TurnComplete:
    return TurnComplete(InternalMessage.assistant("answer"), usage, finish)


async def record_cases(url: str) -> list[str]:
    """One attempt per case; returns the call ids in order."""
    recorder = CallRecorder(CallLogWriter(url), PriceTable(), agent="billing-bot", agent_id="a" * 32)
    sonnet, mini = Client("anthropic", "claude-sonnet-4-5"), Client("openai", "gpt-4o-mini")
    ids: list[str] = []

    def attempt(client: Client, number: int = 1, route: RouteInfo | None = None) -> Any:
        obs = recorder.attempt(client, REQUEST, number, route=route)
        ids.append(obs.call_id)
        return obs

    # 1. Anthropic with cache reads and 5-minute + 1-hour cache writes
    obs = attempt(sonnet)
    obs.see(TextDelta("a"))
    obs.see(turn(Usage(10_000, 500, 2000, 0, 6000, 1000), "end_turn"))
    obs.ok()
    obs.close()
    # 2. A server that sent no usage at all
    obs = attempt(mini)
    obs.see(turn(Usage(reported=False)))
    obs.ok()
    obs.close()
    # 3. A cut Anthropic stream: message_start had reported the input tokens
    obs = attempt(sonnet, 2)
    obs.see(UsageReport(Usage(4800, 1)))
    obs.see(TextDelta("par"))
    obs.error(IncompleteStream("stream ended early", provider="anthropic", model="claude-sonnet-4-5"))
    obs.close()
    # 4. A stream that closed cleanly before its final message
    obs = attempt(mini)
    obs.see(TextDelta("cut"))
    obs.ok()
    obs.close()
    # 5. Cancelled in flight
    obs = attempt(mini)
    obs.close()
    # 6. A local server: a real 0 even without usage
    obs = attempt(Client("ollama", "llama3.2"))
    obs.see(turn(Usage(reported=False)))
    obs.ok()
    obs.close()
    # 7. Gemini: reasoning outside completion_tokens, routed after a failover
    route = RouteInfo("fast", "gemini/gemini-2.5-flash", True, "generativelanguage.googleapis.com")
    obs = attempt(Client("gemini", "gemini-2.5-flash"), 1, route)
    obs.see(turn(Usage(1000, 200, 0, 300, provider_total=1500)))
    obs.ok()
    obs.close()
    # 8. A failure carrying the partial usage as an argument
    obs = attempt(mini)
    obs.error(TimeoutError("read timed out"), usage=Usage(700, 3))
    obs.close()
    await recorder.writer.close()
    return ids


async def test_rows_of_every_case(tmp_path: Path) -> None:
    url = db_url(tmp_path)
    ids = await record_cases(url)
    got = {r.id: r for r in await rows(url)}
    r = [got[i] for i in ids]
    cols = ("status", "error_kind", "usage_reported", "prompt_tokens", "completion_tokens", "cached_tokens",
            "cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens", "total_tokens")  # fmt: skip

    def fields(row: Any) -> tuple[Any, ...]:
        return tuple(getattr(row, c) for c in cols)

    assert fields(r[0]) == ("success", None, True, 10_000, 500, 2000, 6000, 1000, 0, 10_500)
    assert r[0].cost_usd == pytest.approx(SONNET_WRITES)
    assert fields(r[1]) == ("success", None, False, *[None] * 7)
    assert r[1].cost_usd is None
    assert fields(r[2]) == ("error", "incomplete_stream", True, 4800, 1, 0, 0, 0, 0, 4801)
    assert r[2].cost_usd is None and r[2].attempt == 2 and r[2].error_type == "IncompleteStream"
    assert fields(r[3]) == ("error", "incomplete_stream", False, *[None] * 7)
    assert r[3].cost_usd is None and r[3].finish_reason is None
    assert fields(r[4]) == ("cancelled", None, False, *[None] * 7)
    assert r[4].cost_usd is None
    assert fields(r[5]) == ("success", None, False, *[None] * 7)
    assert r[5].cost_usd == 0.0
    assert fields(r[6]) == ("success", None, True, 1000, 200, 0, 0, 0, 300, 1500)
    assert r[6].cost_usd == pytest.approx(GEMINI)
    assert (r[6].profile, r[6].target, r[6].failover, r[6].base_url_host) == (
        "fast", "gemini/gemini-2.5-flash", True, "generativelanguage.googleapis.com",
    )  # fmt: skip
    assert (r[0].profile, r[0].failover) == (None, False)
    assert fields(r[7]) == ("error", "timeout", True, 700, 3, 0, 0, 0, 0, 703)
    assert r[7].cost_usd is None
    assert {(x.agent, x.agent_id) for x in r} == {("billing-bot", "a" * 32)}


async def test_usage_figures_table_and_json(tmp_path: Path) -> None:
    from agentcore.storage.db import resolve_url

    url = db_url(tmp_path)
    await record_cases(url)
    by_model = {g["model"]: g for g in await usage_by(resolve_url(url), "model")}
    sonnet = by_model["anthropic/claude-sonnet-4-5"]
    assert (sonnet["requests"], sonnet["errors"], sonnet["prompt_tokens"], sonnet["completion_tokens"]) == (
        2, 1, 14_800, 501,
    )  # fmt: skip
    assert (sonnet["cached_tokens"], sonnet["cache_write_tokens"], sonnet["unreported_requests"]) == (
        2000,
        6000,
        0,
    )
    assert sonnet["cost_usd"] is None
    assert sonnet["cost_usd_priced"] == pytest.approx(SONNET_WRITES)
    assert sonnet["unpriced_requests"] == 1
    mini = by_model["openai/gpt-4o-mini"]
    assert (mini["requests"], mini["errors"], mini["cancelled"], mini["unreported_requests"]) == (4, 2, 1, 3)
    assert (mini["prompt_tokens"], mini["completion_tokens"]) == (700, 3)  # only what was reported
    assert (mini["cost_usd"], mini["cost_usd_priced"], mini["unpriced_requests"]) == (None, 0.0, 4)
    local = by_model["ollama/llama3.2"]
    assert (local["cost_usd"], local["unpriced_requests"], local["unreported_requests"]) == (0.0, 0, 1)
    gemini = by_model["gemini/gemini-2.5-flash"]
    assert gemini["cost_usd"] == pytest.approx(GEMINI) and gemini["total_tokens"] == 1500
    everything = await totals(resolve_url(url))
    assert everything["cost_usd"] is None
    assert everything["cost_usd_priced"] == pytest.approx(SONNET_WRITES + GEMINI)
    assert (everything["unpriced_requests"], everything["unreported_requests"]) == (5, 4)

    proc = run_cli("usage", "--json", "--db", url)
    assert proc.returncode == 0, proc.stderr
    cli = {g["model"]: g for g in json.loads(proc.stdout)}
    assert cli["anthropic/claude-sonnet-4-5"]["cost_usd"] is None
    assert cli["anthropic/claude-sonnet-4-5"]["cost_usd_priced"] == pytest.approx(SONNET_WRITES)
    assert cli["ollama/llama3.2"]["cost_usd"] == 0.0
    proc = run_cli("usage", "--db", url)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    [sonnet_line] = [ln for ln in lines if "claude-sonnet-4-5" in ln]
    assert "$0.0389 + 1 unpriced call" in sonnet_line and "6,000" in sonnet_line
    [mini_line] = [ln for ln in lines if "gpt-4o-mini" in ln]
    assert "unknown (4 unpriced calls)" in mini_line
    [local_line] = [ln for ln in lines if "llama3.2" in ln]
    assert "$0.0000" in local_line and "unpriced" not in local_line
    assert "usage not reported (4 calls)" in proc.stdout
    assert "$0.0000*" not in proc.stdout
    proc = run_cli("usage", "--by", "agent", "--json", "--db", url)
    [group] = json.loads(proc.stdout)
    assert (group["agent"], group["requests"]) == ("billing-bot", 8)


async def test_model_totals_table_is_null_aware(tmp_path: Path) -> None:
    from sqlalchemy import select

    from agentcore.storage.db import open_database, resolve_url
    from agentcore.tracing.calllog import MODEL_USAGE

    url = db_url(tmp_path)
    await record_cases(url)
    engine = await open_database(resolve_url(url))
    async with engine.connect() as conn:
        got = {r.model: r for r in (await conn.execute(select(MODEL_USAGE))).all()}
    sonnet = got["claude-sonnet-4-5"]
    assert (sonnet.requests, sonnet.errors, sonnet.cache_write_tokens, sonnet.unpriced_requests) == (
        2,
        1,
        6000,
        1,
    )
    assert sonnet.cost_usd is None and sonnet.cost_usd_priced == pytest.approx(SONNET_WRITES)
    assert got["gemini-2.5-flash"].cost_usd == pytest.approx(GEMINI)
    assert got["llama3.2"].cost_usd == 0.0 and got["llama3.2"].unreported_requests == 1
    assert got["gpt-4o-mini"].cost_usd is None and got["gpt-4o-mini"].unreported_requests == 3
