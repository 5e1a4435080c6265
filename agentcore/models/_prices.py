"""The built-in price table: public list prices, USD per million tokens, standard tier.

Every entry names its source and the date its figures were read. Only exact model names, their
dated snapshots (``-20250514``, ``-2024-08-06``, Bedrock ``-v1:0``, Vertex ``@20241022``) and the
aliases listed in ``ALIASES`` get a price; any other name is unpriced (never a sibling's price).
Figures: input, output, cached input (cache read); Anthropic cache writes are 1.25x input (5-minute
cache) and 2x input (1-hour cache) unless stated. ``long`` is the price of a whole request whose
prompt is above ``LONG_CONTEXT`` tokens (Google, Anthropic 1M-context beta).
"""

from __future__ import annotations

from agentcore.models.pricing import Price

OPENAI = "openai.com/api/pricing, read 2025-11-20"
ANTHROPIC = "anthropic.com/pricing, read 2025-11-25"
GOOGLE = "ai.google.dev/gemini-api/docs/pricing, read 2025-11-20"
DEEPSEEK = "api-docs.deepseek.com/quick_start/pricing (V3.2-Exp prices from 2025-09-29), read 2025-11-20"
QWEN = "alibabacloud.com/help/en/model-studio/models (international, first tier), read 2025-11-20"
LONG_CONTEXT = 200_000


def _o(i: float, o: float, c: float | None = None) -> Price:
    return Price(i, o, c, source=OPENAI)


def _a(i: float, o: float, c: float, long: Price | None = None) -> Price:
    return Price(i, o, c, source=ANTHROPIC, long_context=(LONG_CONTEXT, long) if long else None)


def _g(
    i: float, o: float, c: float | None = None, long: tuple[float, float, float | None] | None = None
) -> Price:
    above = Price(*long, source=GOOGLE) if long else None
    return Price(i, o, c, source=GOOGLE, long_context=(LONG_CONTEXT, above) if above else None)


BUILTIN: dict[str, Price] = {
    # OpenAI
    "gpt-5.1": _o(1.25, 10.0, 0.125),
    "gpt-5.1-chat-latest": _o(1.25, 10.0, 0.125),
    "gpt-5.1-codex": _o(1.25, 10.0, 0.125),
    "gpt-5.1-codex-mini": _o(0.25, 2.0, 0.025),
    "gpt-5": _o(1.25, 10.0, 0.125),
    "gpt-5-chat-latest": _o(1.25, 10.0, 0.125),
    "gpt-5-codex": _o(1.25, 10.0, 0.125),
    "gpt-5-mini": _o(0.25, 2.0, 0.025),
    "gpt-5-nano": _o(0.05, 0.40, 0.005),
    "gpt-5-pro": _o(15.0, 120.0),
    "gpt-4.5-preview": _o(75.0, 150.0, 37.5),
    "gpt-4.1": _o(2.0, 8.0, 0.50),
    "gpt-4.1-mini": _o(0.40, 1.60, 0.10),
    "gpt-4.1-nano": _o(0.10, 0.40, 0.025),
    "gpt-4o": _o(2.50, 10.0, 1.25),
    "gpt-4o-2024-05-13": _o(5.0, 15.0),  # the first gpt-4o snapshot keeps its launch price
    "chatgpt-4o-latest": _o(5.0, 15.0),
    "gpt-4o-mini": _o(0.15, 0.60, 0.075),
    "gpt-4-turbo": _o(10.0, 30.0),
    "gpt-4": _o(30.0, 60.0),
    "gpt-4-32k": _o(60.0, 120.0),
    "gpt-3.5-turbo": _o(0.50, 1.50),
    "o1": _o(15.0, 60.0, 7.50),
    "o1-preview": _o(15.0, 60.0, 7.50),
    "o1-pro": _o(150.0, 600.0),
    "o1-mini": _o(1.10, 4.40, 0.55),
    "o3": _o(2.0, 8.0, 0.50),
    "o3-pro": _o(20.0, 80.0),
    "o3-mini": _o(1.10, 4.40, 0.55),
    "o3-deep-research": _o(10.0, 40.0, 2.50),
    "o4-mini": _o(1.10, 4.40, 0.275),
    "o4-mini-deep-research": _o(2.0, 8.0, 0.50),
    "codex-mini-latest": _o(1.50, 6.0, 0.375),
    # Anthropic (cached = cache read; cache writes 1.25x / 2x input)
    "claude-opus-4-5": _a(5.0, 25.0, 0.50),
    "claude-opus-4-1": _a(15.0, 75.0, 1.50),
    "claude-opus-4": _a(15.0, 75.0, 1.50),
    "claude-sonnet-4-5": _a(3.0, 15.0, 0.30, long=Price(6.0, 22.5, 0.60, source=ANTHROPIC)),
    "claude-sonnet-4": _a(3.0, 15.0, 0.30, long=Price(6.0, 22.5, 0.60, source=ANTHROPIC)),
    "claude-haiku-4-5": _a(1.0, 5.0, 0.10),
    "claude-3-7-sonnet": _a(3.0, 15.0, 0.30),
    "claude-3-5-sonnet": _a(3.0, 15.0, 0.30),
    "claude-3-5-haiku": _a(0.80, 4.0, 0.08),
    "claude-3-opus": _a(15.0, 75.0, 1.50),
    "claude-3-haiku": _a(0.25, 1.25, 0.03),
    # Google (paid tier; prompts above 200K tokens billed at the higher rate)
    "gemini-3-pro-preview": _g(2.0, 12.0, 0.20, long=(4.0, 18.0, 0.40)),
    "gemini-2.5-pro": _g(1.25, 10.0, 0.125, long=(2.50, 15.0, 0.25)),
    "gemini-2.5-flash": _g(0.30, 2.50, 0.03),
    "gemini-2.5-flash-lite": _g(0.10, 0.40, 0.01),
    "gemini-2.0-flash": _g(0.10, 0.40, 0.025),
    "gemini-2.0-flash-lite": _g(0.075, 0.30),
    # DeepSeek (both models at the V3.2 price since 2025-09-29)
    "deepseek-chat": Price(0.28, 0.42, 0.028, source=DEEPSEEK),
    "deepseek-reasoner": Price(0.28, 0.42, 0.028, source=DEEPSEEK),
    # Qwen (DashScope international; tiered models priced at their first tier)
    "qwen-max": Price(1.60, 6.40, source=QWEN),
    "qwen3-max": Price(1.20, 6.0, source=QWEN),
    "qwen-plus": Price(0.40, 1.20, source=QWEN),
    "qwen-turbo": Price(0.05, 0.20, source=QWEN),
    "qwen-flash": Price(0.05, 0.40, source=QWEN),
}

# Documented aliases and undated snapshot names -> the entry whose price they carry.
ALIASES: dict[str, str] = {
    "gpt-4-turbo-preview": "gpt-4-turbo",
    "gpt-4-0125-preview": "gpt-4-turbo",
    "gpt-4-1106-preview": "gpt-4-turbo",
    "gpt-4-0613": "gpt-4",
    "gpt-4-0314": "gpt-4",
    "gpt-3.5-turbo-0125": "gpt-3.5-turbo",
    "claude-opus-4-0": "claude-opus-4",
    "claude-sonnet-4-0": "claude-sonnet-4",
    "claude-3-7-sonnet-latest": "claude-3-7-sonnet",
    "claude-3-5-sonnet-latest": "claude-3-5-sonnet",
    "claude-3-5-sonnet-v2": "claude-3-5-sonnet",  # Vertex AI's name of the 2024-10-22 snapshot
    "claude-3-5-haiku-latest": "claude-3-5-haiku",
    "claude-3-opus-latest": "claude-3-opus",
    "gemini-2.5-flash-preview-09-2025": "gemini-2.5-flash",
    "gemini-2.5-flash-lite-preview-09-2025": "gemini-2.5-flash-lite",
    "gemini-2.0-flash-001": "gemini-2.0-flash",
    "gemini-2.0-flash-lite-001": "gemini-2.0-flash-lite",
}
