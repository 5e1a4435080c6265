"""The model catalog: per-family facts, dated prices and aliases, unknown stays unknown, user entries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentcore.config.loader import load_config_from_dict
from agentcore.context.tokens import TokenCounter
from agentcore.context.windows import DEFAULT_WINDOW, lookup_window, window_for
from agentcore.llm._capabilities import model_accepts_audio, model_accepts_images
from agentcore.llm.providers.anthropic_family import default_max_tokens
from agentcore.messages import Usage
from agentcore.models import Catalog, catalog_for, lookup
from agentcore.tracing.setup import price_table

M = 1_000_000


@pytest.mark.parametrize(
    ("model", "window", "encoding", "exact", "images"),
    [
        ("gpt-4.1-mini", 1_047_576, "o200k_base", True, True),
        ("gpt-5", 400_000, "o200k_base", True, True),
        ("gpt-4o-mini", 128_000, "o200k_base", True, True),
        ("gpt-4-0613", 8_192, "cl100k_base", True, False),
        ("gpt-3.5-turbo", 16_385, "cl100k_base", True, False),
        ("o3-mini", 200_000, "o200k_base", True, False),
        ("claude-sonnet-4-5", 200_000, "cl100k_base", False, True),
        ("claude-2.1", 200_000, "cl100k_base", False, False),
        ("gemini-2.5-flash", 1_048_576, "o200k_base", False, True),
        ("qwen-vl-max", 131_072, "o200k_base", False, True),
        ("qwen-plus", 131_072, "o200k_base", False, False),
        ("deepseek-chat", 128_000, "o200k_base", False, False),
        ("llama3.2:3b", 131_072, "cl100k_base", False, None),
    ],
)
def test_family_facts(model: str, window: int, encoding: str, exact: bool, images: bool | None) -> None:
    info = lookup(model)
    assert (info.window, info.tokenizer.encoding, info.tokenizer.exact, info.images) == (
        window,
        encoding,
        exact,
        images,
    )
    # The old entry points read the same catalog.
    assert lookup_window(model) == window
    counter = TokenCounter.for_model(model)
    assert (counter.encoding_name, counter.exact) == (encoding, exact)


def test_prices_by_exact_name_dated_snapshot_and_alias_with_their_dates() -> None:
    snapshot = lookup("gpt-4o-2024-08-06")
    assert snapshot.price_entry == "gpt-4o" and snapshot.price is not None
    assert snapshot.price.cost(Usage(M, M)) == pytest.approx(2.5 + 10)
    assert "read 2025-11-20" in snapshot.price.source
    assert lookup("gpt-4o-2024-05-13").price_entry == "gpt-4o-2024-05-13"  # launch price, not gpt-4o's
    bedrock = lookup("us.anthropic.claude-sonnet-4-20250514-v1:0")
    assert bedrock.price_entry == "claude-sonnet-4" and bedrock.max_output == 64_000
    assert lookup("claude-3-5-sonnet-latest").price_entry == "claude-3-5-sonnet"  # documented alias
    pro = lookup("gpt-5-pro")
    assert pro.price is not None and (pro.price.input, pro.price.output) == (15.0, 120.0)
    assert pro.sources["price"] == "built-in list price"


def test_unknown_model_is_unknown_not_a_guess() -> None:
    info = lookup("acme-reasoner-7b")
    assert info.family is None
    assert (info.window, info.max_output, info.price, info.images, info.audio) == (None,) * 5
    assert (info.native_tools, info.structured_output) == (None, None)
    assert not info.tokenizer.exact and info.sources["tokenizer"] == "unknown model: estimate"
    assert window_for("acme-reasoner-7b").source == "default"
    assert window_for("acme-reasoner-7b").max_tokens == DEFAULT_WINDOW
    # A sibling's price is never borrowed: gpt-5-turbo-x is no gpt-5.
    assert lookup("gpt-5-turbo-x").price is None and lookup("gpt-5-turbo-x").window == 400_000


def test_capabilities_images_audio_and_anthropic_max_tokens() -> None:
    assert not model_accepts_images("deepseek", "deepseek-chat")
    assert model_accepts_images("ollama", "gpt-3.5-turbo")  # not OpenAI's server: it decides
    assert not model_accepts_images("openai", "gpt-3.5-turbo")
    assert model_accepts_audio("openai", "gpt-4o-audio-preview") is True
    assert model_accepts_audio("openai", "gpt-4o") is False
    assert model_accepts_audio("ollama", "my-gguf") is None
    assert model_accepts_audio("anthropic", "claude-sonnet-4-5") is False
    assert default_max_tokens("claude-3-haiku-20240307") == 4096
    assert default_max_tokens("claude-3-5-sonnet-20241022") == 8192
    assert default_max_tokens("claude-sonnet-4-5") == 8192  # 64K limit, 8K default
    assert default_max_tokens("claude-2.1") == 4096


def _config(tmp_path: Path, **extra: Any) -> Any:
    data: dict[str, Any] = {
        "llm": {"provider": "ollama", "model": "qwen2.5-7b-instruct-q4_k_m"},
        "localTools": [],
        "storage": {"url": "memory://"},
        "models": {
            "ft": {
                "provider": "openai",
                "model": "ft:gpt-4o-mini:acme::x1",
                "contextWindow": 64_000,
                "maxOutput": 4_000,
                "tokenizer": "o200k_base",
                "inputPrice": 0.3,
                "outputPrice": 1.2,
                "structuredOutput": True,
            },
            "local": {
                "provider": "ollama",
                "model": "qwen2.5-7b-instruct-q4_k_m",
                "contextWindow": 32_768,
                "nativeTools": False,
                "supportsAudio": False,
            },
            "small4o": {"provider": "openai", "model": "gpt-4o", "contextWindow": 64_000},
        },
        **extra,
    }
    return load_config_from_dict(data, base_dir=tmp_path)


def test_user_entries_add_and_override(tmp_path: Path) -> None:
    config = _config(tmp_path)
    catalog = catalog_for(config)
    ft = catalog.lookup("ft:gpt-4o-mini:acme::x1")
    assert (ft.window, ft.max_output, ft.tokenizer.encoding, ft.structured_output) == (
        64_000,
        4_000,
        "o200k_base",
        True,
    )
    assert ft.sources["window"].endswith("models.ft")
    assert ft.price is not None and ft.price.cost(Usage(M, M)) == pytest.approx(1.5)
    assert catalog.lookup("ft").model == "ft:gpt-4o-mini:acme::x1"  # by entry name too
    # Overriding one fact keeps the rest of the family's.
    small = catalog.lookup("gpt-4o")
    assert small.window == 64_000 and small.images is True and small.price_entry == "gpt-4o"
    assert Catalog().lookup("gpt-4o").window == 128_000  # the built-in catalog is untouched
    local = catalog.lookup("qwen2.5-7b-instruct-q4_k_m", "ollama")
    assert (local.window, local.native_tools, local.audio) == (32_768, False, False)
    # The session window and the call log's prices follow the user's entries.
    assert window_for(config.llm.model, catalog=catalog).max_tokens == 32_768
    assert price_table(config).cost("openai", "ft:gpt-4o-mini:acme::x1", Usage(M, 0)) == pytest.approx(0.3)


def test_pricing_section_wins_over_a_models_entry_price(tmp_path: Path) -> None:
    config = _config(tmp_path, pricing={"ft:gpt-4o-mini:acme::x1": {"input": 1.0, "output": 2.0}})
    assert price_table(config).cost("openai", "ft:gpt-4o-mini:acme::x1", Usage(M, 0)) == pytest.approx(1.0)
    info = catalog_for(config).lookup("ft")
    assert info.price is not None and info.price.input == 1.0 and "pricing" in info.sources["price"]


def test_catalog_sits_below_llm_context_tracing_and_cli() -> None:
    code = (
        "import sys, agentcore.models; "
        "print(sorted(m for m in sys.modules if m.startswith(('agentcore.llm', 'agentcore.context', "
        "'agentcore.tracing', 'agentcore.cli'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
