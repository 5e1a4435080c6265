"""Prices: list prices by exact name, snapshot or alias only; every billed token priced once.

Expected figures are computed by hand from the published list prices (USD per 1M tokens).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agentcore.config.schema import ModelPrice
from agentcore.messages import Usage
from agentcore.tracing.pricing import PriceTable
from tests.cli.test_run_cli import run_cli
from tests.helpers import cli_config

M = 1_000_000


@pytest.mark.parametrize(
    ("model", "usage", "expected"),
    [
        ("gpt-5-pro", Usage(1000, 2000), (1000 * 15 + 2000 * 120) / M),  # not gpt-5's $1.25/$10
        ("gpt-5-pro-2025-10-06", Usage(1000, 2000), (1000 * 15 + 2000 * 120) / M),
        ("gpt-4o-2024-05-13", Usage(1000, 1000), (1000 * 5 + 1000 * 15) / M),  # launch price kept
        ("gpt-4o-2024-08-06", Usage(1000, 1000), (1000 * 2.5 + 1000 * 10) / M),
        ("gpt-4.5-preview", Usage(1000, 100, 400), (600 * 75 + 400 * 37.5 + 100 * 150) / M),
        ("o3-deep-research", Usage(10_000, 1000, 0, 500), (10_000 * 10 + 1000 * 40) / M),
        ("gpt-4o-mini-2024-07-18", Usage(M, M, 400_000), 0.6 * 0.15 + 0.4 * 0.075 + 0.6),
        ("deepseek-chat", Usage(M, M, 500_000), 0.5 * 0.28 + 0.5 * 0.028 + 0.42),  # V3.2, 2025-09-29
        ("deepseek-reasoner", Usage(M, M), 0.28 + 0.42),
        ("openrouter/anthropic/claude-3.5-sonnet", Usage(M, 0), 3.0),
        ("us.anthropic.claude-3-haiku-20240307-v1:0", Usage(0, M), 1.25),
        ("claude-3-5-sonnet-latest", Usage(M, 0), 3.0),  # documented alias
        ("claude-opus-4-5-20251101", Usage(M, M), 5.0 + 25.0),
    ],
)
def test_list_prices(model: str, usage: Usage, expected: float) -> None:
    assert PriceTable().cost("openai", model, usage) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    "model",
    ["gpt-5-turbo", "gpt-4o-audio-preview", "o3-pro-deep", "claude-opus-4-5-fast", "gemini-2.5-pro-exp",
     "gpt-4-0125", "my-finetune", "gpt-3.5-turbo-1106"],
)  # fmt: skip
def test_a_name_that_is_not_listed_is_unpriced_never_a_siblings_price(model: str) -> None:
    assert PriceTable().cost("openai", model, Usage(1000, 1000)) is None


def test_cache_writes_are_billed_at_the_write_rates() -> None:
    # claude-sonnet-4-5: input 3, cache read 0.30, 5-minute write 3.75 (1.25x), 1-hour write 6 (2x), output 15
    usage = Usage(10_000, 500, cached_tokens=2000, cache_write_tokens=6000, cache_write_1h_tokens=1000)
    expected = (2000 * 3 + 2000 * 0.30 + 5000 * 3.75 + 1000 * 6 + 500 * 15) / M
    assert PriceTable().cost("anthropic", "claude-sonnet-4-5", usage) == pytest.approx(expected)
    # The same on Bedrock's name for the model
    bedrock = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert PriceTable().cost("bedrock", bedrock, usage) == pytest.approx(expected)


def test_reasoning_outside_completion_is_billed_once() -> None:
    # Gemini: total 1500 = 1000 in + 200 out + 300 thinking, reported outside completion_tokens
    usage = Usage(1000, 200, reasoning_tokens=300, provider_total=1500)
    assert PriceTable().cost("gemini", "gemini-2.5-flash", usage) == pytest.approx(
        (1000 * 0.30 + 200 * 2.50 + 300 * 2.50) / M
    )
    # OpenAI: reasoning is inside completion_tokens (total = in + out): not billed twice
    inside = Usage(1000, 800, reasoning_tokens=500, provider_total=1800)
    assert PriceTable().cost("openai", "o4-mini", inside) == pytest.approx((1000 * 1.10 + 800 * 4.40) / M)


def test_long_prompts_are_billed_at_the_long_context_rate() -> None:
    table = PriceTable()
    assert table.cost("gemini", "gemini-2.5-pro", Usage(100_000, 1000)) == pytest.approx(
        (100_000 * 1.25 + 1000 * 10) / M
    )
    assert table.cost("gemini", "gemini-2.5-pro", Usage(300_000, 1000)) == pytest.approx(
        (300_000 * 2.50 + 1000 * 15) / M
    )


def test_config_pricing_overrides_and_local_servers() -> None:
    table = PriceTable.from_config(
        {
            "claude-sonnet-4-5": ModelPrice(input=2, output=10, cacheWrite=3),
            "my-model*": ModelPrice(input=10, output=20),
            "gpt-4o-mini": ModelPrice(input=1, output=2, cachedInput=0.5),
        },
        origin="/x/cipher.yml: pricing",
    )
    writes = Usage(1000, 0, cache_write_tokens=500)
    assert table.cost("anthropic", "claude-sonnet-4-5", writes) == pytest.approx((500 * 2 + 500 * 3) / M)
    one_hour = Usage(1000, 0, cache_write_tokens=500, cache_write_1h_tokens=500)
    assert table.cost("anthropic", "claude-sonnet-4-5", one_hour) == pytest.approx((500 * 2 + 500 * 4) / M)
    assert table.cost("openai", "my-model-v2", Usage(M, 0)) == pytest.approx(10)
    assert table.cost("openai", "gpt-4o-mini", Usage(2 * M, M, M)) == pytest.approx(1 + 0.5 + 2)
    found = table.match("openai", "gpt-4o-mini-2024-07-18")
    assert found is not None and found.origin == "/x/cipher.yml: pricing gpt-4o-mini"
    assert table.cost("ollama", "llama3.2", Usage(M, M)) == 0.0
    assert table.cost("lmstudio", "anything", Usage(M, M)) == 0.0


def test_every_builtin_entry_carries_its_source_date() -> None:
    entries = PriceTable().entries()
    assert len(entries) > 40
    assert all(re.search(r"\d{4}-\d{2}-\d{2}", price.source) for _, price, _ in entries)


def test_pricing_command(tmp_path: Path) -> None:
    proc = run_cli("pricing", "gpt-5-pro-2025-10-06", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["priced"], data["entry"], data["input"], data["output"]) == (True, "gpt-5-pro", 15.0, 120.0)
    assert data["origin"] == "builtin" and "2025-11-20" in data["source"]
    proc = run_cli("pricing", "gpt-5-turbo")
    assert proc.returncode == 1 and "gpt-5-turbo: unpriced" in proc.stdout
    config = cli_config(tmp_path, "http://127.0.0.1:9")
    config.write_text(config.read_text() + "pricing:\n  gpt-5-turbo: {input: 1, output: 4}\n")
    proc = run_cli("pricing", "gpt-5-turbo", "--json", "-c", str(config))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["origin"] == f"{config.resolve()}: pricing gpt-5-turbo"
    assert (data["input"], data["cache_write"], data["cache_write_1h"]) == (1.0, 1.25, 2.0)
    proc = run_cli("pricing", "--json", "-c", str(config))
    listed = {e["model"]: e for e in json.loads(proc.stdout)}
    assert listed["gpt-5-turbo"]["origin"].endswith("pricing gpt-5-turbo")
    assert listed["deepseek-chat"]["input"] == 0.28 and "2025-09-29" in listed["deepseek-chat"]["source"]
    proc = run_cli("pricing")
    assert proc.returncode == 0 and "claude-opus-4-5" in proc.stdout
