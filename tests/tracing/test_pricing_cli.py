"""Prices, the ``usage``/``trace`` commands as a user runs them, and the log's redaction."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from agentcore.config.schema import ModelPrice
from agentcore.messages import Usage
from agentcore.tracing.pricing import PriceTable
from tests.cli.test_run_cli import run_cli
from tests.conftest import SCANNED_DATABASES
from tests.fakes import FakeOpenAI
from tests.helpers import cli_config


def test_builtin_prices_match_families_and_unknown_models_cost_none() -> None:
    table = PriceTable()
    usage = Usage(1_000_000, 1_000_000, 400_000, 0)
    assert table.cost("openai", "gpt-4o-mini-2024-07-18", usage) == pytest.approx(
        0.6 * 0.15 + 0.4 * 0.075 + 0.6
    )
    assert table.cost("openrouter", "anthropic/claude-3.5-sonnet", Usage(1_000_000, 0)) == pytest.approx(3.0)
    assert table.cost(
        "aws", "us.anthropic.claude-3-haiku-20240307-v1:0", Usage(0, 1_000_000)
    ) == pytest.approx(1.25)
    assert table.price("openai", "gpt-4o") != table.price("openai", "gpt-4")  # gpt-4 never prices gpt-4o
    assert table.cost("openai", "my-finetune", usage) is None
    assert table.cost("ollama", "llama3.2", usage) == 0.0


def test_config_pricing_overrides_the_table() -> None:
    table = PriceTable.from_config(
        {
            "gpt-4o-mini": ModelPrice(input=1, output=2, cachedInput=0.5),
            "my-model*": ModelPrice(input=10, output=20),
        }
    )
    assert table.cost("openai", "gpt-4o-mini", Usage(2_000_000, 1_000_000, 1_000_000)) == pytest.approx(
        1 + 0.5 + 2
    )
    assert table.cost("openai", "my-model-v2", Usage(1_000_000, 0)) == pytest.approx(10)


def test_usage_json_and_trace_last_via_the_cli(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    db = tmp_path / "calls.db"
    SCANNED_DATABASES.append(db)
    config = cli_config(tmp_path, fake_openai.url, apiKey="sk-test-0123456789abcdef")
    text = config.read_text().replace("memory://", f"sqlite:///{db}")
    config.write_text(text)
    fake_openai.reply_tool_calls([("calculate", {"expression": "6*7"})], usage=(30, 10))
    fake_openai.reply_text("42", usage=(50, 2, 20))
    log_file = tmp_path / "log.jsonl"
    proc = run_cli("--log-json", str(log_file), "run", "-c", str(config), "what is 6*7")
    assert proc.returncode == 0, proc.stderr
    calls = [r for r in map(json.loads, log_file.read_text().splitlines()) if r["event"] == "llm.call"]
    assert [(c["prompt_tokens"], c["completion_tokens"]) for c in calls] == [(30, 10), (50, 2)]
    assert calls[0]["trace_id"] == calls[1]["trace_id"] is not None
    assert "sk-test-0123456789abcdef" not in log_file.read_text()
    proc = run_cli("usage", "--json", "-c", str(config))
    assert proc.returncode == 0, proc.stderr
    [group] = json.loads(proc.stdout)
    assert group["model"] == "openai/gpt-4o-mini"
    assert (group["requests"], group["prompt_tokens"], group["completion_tokens"], group["cached_tokens"]) == (
        2, 80, 12, 20,
    )  # fmt: skip
    assert group["cost_usd"] > 0 and group["p95_latency_ms"] is not None
    proc = run_cli("usage", "--by", "day", "--since", "7d", "-c", str(config))
    assert proc.returncode == 0 and "requests" in proc.stdout
    proc = run_cli("trace", "--last", "-c", str(config))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("trace ")
    assert "run" in lines[1]
    assert any("LLM openai/gpt-4o-mini" in line and "30 in / 10 out" in line for line in lines)
    assert any("tool calculate" in line for line in lines)
    assert run_cli("usage", "--since", "soon", "-c", str(config)).returncode == 2


def test_logs_redact_keys_and_carry_the_call_context(tmp_path: Path) -> None:
    import structlog

    from agentcore import call_context
    from agentcore.logs import configure_logging

    path = tmp_path / "log.jsonl"
    configure_logging("info", path)
    try:
        with call_context("billing", session_id="s9"):
            structlog.get_logger("agentcore.test").info(
                "request",
                headers={"Authorization": "Bearer abcdefghijklmnop"},
                api_key="sk-test-zzzzzzzzzzzz",
            )
            logging.getLogger("httpx2").warning("sent Authorization: Bearer abcdefghijklmnop")
    finally:
        configure_logging("warning")
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert records[0]["module"] == "billing" and records[0]["session_id"] == "s9"
    assert records[0]["api_key"] == "***" and records[0]["headers"]["Authorization"] == "***"
    assert "abcdefghijklmnop" not in path.read_text()
    assert records[1]["logger"] == "httpx2"


def test_chat_usage_shows_the_sessions_totals(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    db = tmp_path / "calls.db"
    SCANNED_DATABASES.append(db)
    config = cli_config(tmp_path, fake_openai.url)
    config.write_text(config.read_text().replace("memory://", f"sqlite:///{db}"))
    fake_openai.reply_text("hi there", usage=(1200, 30, 400, 0))
    fake_openai.reply_text("again", usage=(1500, 45, 1000, 20))
    proc = run_cli("chat", "-c", str(config), stdin="hello\nonce more\n/usage\n/exit\n")
    assert proc.returncode == 0, proc.stderr
    [line] = [ln for ln in proc.stdout.splitlines() if "requests" in ln and "tokens" in ln]
    assert "requests 2 (errors 0)" in line
    assert "2,700 in / 75 out (1,400 cached, 20 reasoning)" in line
    # gpt-4o-mini: 0.15 $/M input, 0.075 $/M cached input, 0.60 $/M output
    expected = (1300 * 0.15 + 1400 * 0.075 + 75 * 0.60) / 1e6
    assert f"cost ${expected:.6f}" in line  # a cheap session still shows its cost
