"""What response-cache hits saved, end to end on SQLite and PostgreSQL: real loop, real OpenAI SDK
against the fake server, cache on. A hit's row keeps the original tokens, costs 0 and saves exactly
what the original call cost; ``usage`` (API, table, JSON, every ``--by``) and ``cache stats`` show the
same hits and savings; the per-model totals never count a hit's tokens as spent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agentcore import Agent
from agentcore.cli.app import app
from agentcore.config.loader import load_config_from_dict
from agentcore.config.schema import AgentConfig
from agentcore.storage.db import dispose_engines
from agentcore.tracing.query import GROUPS
from tests.fakes import FakeOpenAI
from tests.helpers import write_config
from tests.storage.conftest import Db, make_db

# 1200 in (200 of them read from the provider's prompt cache), 300 out: priced for gpt-4o-mini.
USAGE = (1200, 300, 200)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    yield from make_db(request.param, tmp_path)


@pytest.fixture
async def engines() -> AsyncIterator[None]:
    yield
    await dispose_engines()


def config_data(fake: FakeOpenAI, db: Db, model: str = "gpt-4o-mini") -> dict[str, Any]:
    return {
        "llm": {"provider": "openai", "model": model, "apiKey": "sk-test-0123456789abcdef",
                "baseURL": fake.url + "/v1", "maxRetries": 0, "temperature": 0},
        "localTools": [],
        "storage": {"url": db.url},
        "cache": {"enabled": True},
    }  # fmt: skip


def config(fake: FakeOpenAI, db: Db, tmp_path: Path, model: str = "gpt-4o-mini") -> AgentConfig:
    return load_config_from_dict(config_data(fake, db, model), base_dir=tmp_path)


def calls(db: Db) -> list[tuple[Any, ...]]:
    return db.query(
        "SELECT status, prompt_tokens, completion_tokens, cached_tokens, cost_usd, saved_usd "
        "FROM llm_call_logs ORDER BY created_at"
    )


def model_totals(db: Db, model: str) -> dict[str, Any]:
    names = (
        "requests", "prompt_tokens", "completion_tokens", "cached_tokens", "cost_usd", "cache_hits",
        "saved_prompt_tokens", "saved_completion_tokens", "unpriced_hits", "saved_usd",
    )  # fmt: skip
    [row] = db.query(f"SELECT {', '.join(names)} FROM llm_model_usage WHERE model = ?", model)
    return dict(zip(names, row, strict=True))


@pytest.mark.usefixtures("engines")
async def test_a_hit_saves_what_the_original_call_cost(
    db: Db, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.reply_text("Paris.", usage=USAGE)
    async with Agent(config(fake_openai, db, tmp_path)) as agent:
        assert (await agent.run("capital of France?", session="a")).text == "Paris."
        async for _ in agent.stream("capital of France?", session="b"):  # a hit, streamed
            pass
        assert (await agent.run("capital of France?", session="c")).text == "Paris."  # a hit
        mine = await agent.usage()
        of_b = await agent.usage(session="b")
    assert len(fake_openai.requests) == 1
    live, *hits = calls(db)
    assert live[0] == "success" and live[4] is not None and live[4] > 0 and live[5] is None
    cost = live[4]
    # Each hit: the original tokens, nothing spent, and exactly the original call's cost saved.
    assert hits == [("cache_hit", 1200, 300, 200, 0.0, cost)] * 2

    assert (mine["requests"], mine["cache_hits"], mine["cache_saved_tokens"]) == (3, 2, 3000)
    assert (mine["prompt_tokens"], mine["completion_tokens"], mine["cost_usd"]) == (1200, 300, cost)
    assert mine["cache_saved_usd"] == pytest.approx(2 * cost) and mine["cache_unpriced_hits"] == 0
    assert (of_b["requests"], of_b["prompt_tokens"], of_b["cost_usd"]) == (1, 0, 0.0)
    assert of_b["cache_saved_usd"] == pytest.approx(cost)

    totals = model_totals(db, "gpt-4o-mini")
    assert totals["cost_usd"] == pytest.approx(cost) and totals["saved_usd"] == pytest.approx(2 * cost)
    del totals["cost_usd"], totals["saved_usd"]
    # Spent: the one live call. Saved: two hits' worth, counted apart.
    assert totals == {
        "requests": 3, "prompt_tokens": 1200, "completion_tokens": 300, "cached_tokens": 200,
        "cache_hits": 2, "saved_prompt_tokens": 2400, "saved_completion_tokens": 600, "unpriced_hits": 0,
    }  # fmt: skip


@pytest.mark.usefixtures("engines")
async def test_an_unpriced_models_hit_saved_an_unknown_amount(
    db: Db, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.set_default("ok")
    async with Agent(config(fake_openai, db, tmp_path, model="my-finetune")) as agent:
        await agent.run("q", session="a")
        await agent.run("q", session="b")
        used = await agent.usage()
    assert [(c[0], c[4], c[5]) for c in calls(db)] == [("success", None, None), ("cache_hit", 0.0, None)]
    # Unknown, never $0: the hit is counted as unpriced.
    assert (used["cache_hits"], used["cache_saved_usd"], used["cache_unpriced_hits"]) == (1, None, 1)
    totals = model_totals(db, "my-finetune")
    assert (totals["cache_hits"], totals["unpriced_hits"], totals["saved_usd"], totals["cost_usd"]) == (
        1, 1, None, None,
    )  # fmt: skip


def test_usage_and_cache_stats_show_the_same_savings(db: Db, fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_text("Paris.", usage=USAGE)
    path = str(write_config(tmp_path, config_data(fake_openai, db)))
    runner = CliRunner()
    for _ in range(3):  # one call, then two hits (separate processes' worth of agents)
        ran = runner.invoke(app, ["run", "-c", path, "capital of France?"])
        assert ran.exit_code == 0 and ran.stdout.strip() == "Paris.", ran.output
    assert len(fake_openai.requests) == 1
    [(cost,)] = db.query("SELECT cost_usd FROM llm_call_logs WHERE status = 'success'")

    for by in GROUPS:
        shown = runner.invoke(app, ["usage", "--json", "--by", by, "-c", path])
        assert shown.exit_code == 0, shown.output
        groups = json.loads(shown.stdout)
        assert sum(g["cache_hits"] for g in groups) == 2, by
        assert sum(g["cache_saved_tokens"] for g in groups) == 3000, by
        assert sum(g["cache_saved_usd"] for g in groups) == pytest.approx(2 * cost), by
        assert sum(g["prompt_tokens"] for g in groups) == 1200, by  # hits spent nothing
    [usage] = json.loads(runner.invoke(app, ["usage", "--json", "-c", path]).stdout)

    table = runner.invoke(app, ["usage", "-c", path]).stdout
    assert "cache hits" in table and "saved" in table
    assert f"${usage['cache_saved_usd']:.6f}" in table or f"${usage['cache_saved_usd']:,.4f}" in table
    assert "2 calls answered by the response cache" in table

    stats = runner.invoke(app, ["cache", "stats", "--json", "-c", path])
    assert stats.exit_code == 0, stats.output
    data = json.loads(stats.stdout)
    assert (data["entries"], data["hits"], data["saved_tokens"]) == (1, 2, 3000)
    assert data["saved_usd"] == usage["cache_saved_usd"]  # one source of truth: the call log
    [model] = data["models"]
    assert (model["model"], model["hits"], model["saved_usd"]) == ("gpt-4o-mini", 2, usage["cache_saved_usd"])
    assert (model["saved_prompt_tokens"], model["saved_completion_tokens"]) == (2400, 600)
    text = runner.invoke(app, ["cache", "stats", "-c", path]).stdout
    assert "hits 2, saved 3,000 tokens" in text


def test_chat_usage_shows_the_sessions_hits_and_savings(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    from tests.cli.test_run_cli import run_cli

    fake_openai.reply_text("hi there", usage=USAGE)
    for db in make_db("sqlite", tmp_path):
        path = write_config(tmp_path, config_data(fake_openai, db))
        # The same first message after /reset: the same request, answered by the cache.
        proc = run_cli("chat", "-c", str(path), stdin="hello\n/reset\nhello\n/usage\n/exit\n")
        assert proc.returncode == 0, proc.stderr
        assert len(fake_openai.requests) == 1
        [(cost,)] = db.query("SELECT cost_usd FROM llm_call_logs WHERE status = 'success'")
        [line] = [ln for ln in proc.stdout.splitlines() if "requests" in ln and "tokens" in ln]
        assert "requests 2 (errors 0)" in line and "1,200 in / 300 out" in line
        assert f"cache hits 1 (saved 1,500 tokens, ${cost:.6f})" in line


def test_savings_are_never_shown_as_zero_when_unknown() -> None:
    from agentcore.cli._calllog import format_saved

    def shown(hits: int, unpriced: int, priced: float) -> str:
        saved = priced if not unpriced else None
        return format_saved(
            {"cache_hits": hits, "cache_unpriced_hits": unpriced, "cache_saved_usd": saved,
             "cache_saved_usd_priced": priced}
        )  # fmt: skip

    assert shown(0, 0, 0.0) == "-"
    assert shown(2, 0, 0.5) == "$0.5000"
    assert shown(3, 1, 0.5) == "$0.5000 + 1 unpriced hit"
    assert shown(2, 2, 0.0) == "unknown (2 unpriced hits)"
