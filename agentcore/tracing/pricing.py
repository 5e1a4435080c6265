"""What a call cost: a built-in price table (USD per million tokens), overridable by ``pricing:``.

Models are matched by family: the name is normalised (provider prefixes such as ``openai/`` or
Bedrock's ``us.anthropic.`` dropped, ``3.5`` read as ``3-5``) and the longest table key that is a
prefix of it, ending at a ``-``/``:``/``@`` boundary, wins - so dated snapshots
(``gpt-4o-2024-08-06``) price like their family and ``gpt-4`` never prices ``gpt-4o``.
An unknown model costs ``None`` (unknown), never 0. Local servers (Ollama, LM Studio) cost 0.

Token convention (that of ``Usage``): cached tokens are part of the prompt tokens and reasoning
tokens part of the completion tokens; each part is billed at its own price.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentcore.messages import Usage

if TYPE_CHECKING:
    from agentcore.config.schema import ModelPrice


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens; ``None`` cached/reasoning prices fall back to input/output."""

    input: float
    output: float
    cached_input: float | None = None
    reasoning: float | None = None

    def cost(self, usage: Usage) -> float:
        """The cost of ``usage`` in USD."""
        cached = min(usage.cached_tokens, usage.prompt_tokens)
        reasoning = min(usage.reasoning_tokens, usage.completion_tokens)
        total = (usage.prompt_tokens - cached) * self.input
        total += cached * (self.cached_input if self.cached_input is not None else self.input)
        total += (usage.completion_tokens - reasoning) * self.output
        total += reasoning * (self.reasoning if self.reasoning is not None else self.output)
        return round(total / 1_000_000, 10)


# Public list prices (USD / 1M tokens: input, output, cached input), standard tier.
_P = Price
BUILTIN: dict[str, Price] = {
    # OpenAI
    "gpt-5": _P(1.25, 10.0, 0.125),
    "gpt-5-mini": _P(0.25, 2.0, 0.025),
    "gpt-5-nano": _P(0.05, 0.40, 0.005),
    "gpt-4.1": _P(2.0, 8.0, 0.50),
    "gpt-4.1-mini": _P(0.40, 1.60, 0.10),
    "gpt-4.1-nano": _P(0.10, 0.40, 0.025),
    "gpt-4o": _P(2.50, 10.0, 1.25),
    "gpt-4o-mini": _P(0.15, 0.60, 0.075),
    "gpt-4-turbo": _P(10.0, 30.0),
    "gpt-4": _P(30.0, 60.0),
    "gpt-3.5-turbo": _P(0.50, 1.50),
    "o1": _P(15.0, 60.0, 7.50),
    "o1-pro": _P(150.0, 600.0),
    "o1-mini": _P(1.10, 4.40, 0.55),
    "o3": _P(2.0, 8.0, 0.50),
    "o3-pro": _P(20.0, 80.0),
    "o3-mini": _P(1.10, 4.40, 0.55),
    "o4-mini": _P(1.10, 4.40, 0.275),
    # Anthropic (cached = cache read)
    "claude-opus-4-5": _P(5.0, 25.0, 0.50),
    "claude-opus-4": _P(15.0, 75.0, 1.50),
    "claude-sonnet-4": _P(3.0, 15.0, 0.30),
    "claude-haiku-4-5": _P(1.0, 5.0, 0.10),
    "claude-3-7-sonnet": _P(3.0, 15.0, 0.30),
    "claude-3-5-sonnet": _P(3.0, 15.0, 0.30),
    "claude-3-5-haiku": _P(0.80, 4.0, 0.08),
    "claude-3-opus": _P(15.0, 75.0, 1.50),
    "claude-3-sonnet": _P(3.0, 15.0, 0.30),
    "claude-3-haiku": _P(0.25, 1.25, 0.03),
    # Google
    "gemini-2.5-pro": _P(1.25, 10.0, 0.31),
    "gemini-2.5-flash": _P(0.30, 2.50, 0.075),
    "gemini-2.5-flash-lite": _P(0.10, 0.40, 0.025),
    "gemini-2.0-flash": _P(0.10, 0.40, 0.025),
    "gemini-2.0-flash-lite": _P(0.075, 0.30),
    "gemini-1.5-pro": _P(1.25, 5.0),
    "gemini-1.5-flash": _P(0.075, 0.30),
    # DeepSeek
    "deepseek-chat": _P(0.27, 1.10, 0.07),
    "deepseek-reasoner": _P(0.55, 2.19, 0.14),
    # Qwen (DashScope international)
    "qwen-max": _P(1.60, 6.40),
    "qwen3-max": _P(1.20, 6.0),
    "qwen-plus": _P(0.40, 1.20),
    "qwen-turbo": _P(0.05, 0.20),
    "qwen-flash": _P(0.05, 0.40),
}

FREE_PROVIDERS = frozenset({"ollama", "lmstudio"})

_DOTTED_VERSION = re.compile(r"(?<=\d)\.(?=\d)")
_BEDROCK_PREFIX = re.compile(r"^(?:[a-z]{2,4}\.)?(?:anthropic|meta|amazon|mistral|cohere|ai21)\.")


def normalise(model: str) -> str:
    """The family-matching form of a model name."""
    name = model.strip().lower().rsplit("/", 1)[-1]
    name = _BEDROCK_PREFIX.sub("", name)
    return _DOTTED_VERSION.sub("-", name)


def _match(name: str, table: Mapping[str, Price]) -> Price | None:
    best: tuple[int, Price] | None = None
    for key, price in table.items():
        k = normalise(key)
        matches = name == k or (name.startswith(k) and name[len(k)] in "-:@")
        if matches and (best is None or len(k) > best[0]):
            best = (len(k), price)
    return best[1] if best else None


class PriceTable:
    """The built-in prices with the config's ``pricing:`` entries on top (matched first)."""

    def __init__(self, overrides: Mapping[str, Price] | None = None) -> None:
        self._overrides = dict(overrides or {})
        self._cache: dict[tuple[str, str], Price | None] = {}

    @classmethod
    def from_config(cls, pricing: Mapping[str, ModelPrice]) -> PriceTable:
        """From ``AgentConfig.pricing``."""
        return cls(
            {name: Price(p.input, p.output, p.cached_input, p.reasoning) for name, p in pricing.items()}
        )

    def price(self, provider: str, model: str) -> Price | None:
        """The price of ``model`` (None when unknown)."""
        key = (provider, model)
        if key in self._cache:
            return self._cache[key]
        name = normalise(model)
        found = _match(name, self._overrides) or (
            None if provider in FREE_PROVIDERS else _match(name, BUILTIN)
        )
        if found is None and provider in FREE_PROVIDERS:
            found = Price(0.0, 0.0)
        self._cache[key] = found
        return found

    def cost(self, provider: str, model: str, usage: Usage) -> float | None:
        """USD for ``usage`` on ``model``; None when the model's price is unknown."""
        price = self.price(provider, model)
        return price.cost(usage) if price is not None else None
