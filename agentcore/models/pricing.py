"""What a call cost: the catalog's built-in price table (USD per million tokens), overridable by ``pricing:``.

A model gets a price only from an exact entry, a dated snapshot of one (``gpt-4o-2024-08-06``,
``claude-sonnet-4-20250514``, Bedrock's ``us.anthropic.claude-3-haiku-20240307-v1:0``) or a
documented alias (``_prices.ALIASES``); names are compared after dropping provider prefixes
(``openai/``, ``us.anthropic.``) and reading ``3.5`` as ``3-5``. Anything else is unpriced
(``None``), never a cheaper sibling's price: ``gpt-5-pro`` is not ``gpt-5``. A ``pricing:`` key
ending in ``*`` prices every name starting with the rest. Local servers (Ollama, LM Studio) cost 0.

Token convention (that of ``Usage``): cached tokens and cache writes are parts of the prompt tokens,
reasoning tokens part of the completion tokens - except when the provider's own total is larger
than prompt + completion (Gemini counts reasoning outside): the difference is billed as reasoning.
Every billed token is priced exactly once, at its own rate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentcore.messages import Usage

if TYPE_CHECKING:
    from agentcore.config.schema import ModelPrice

CACHE_WRITE_5M = 1.25  # x input: Anthropic's 5-minute cache write
CACHE_WRITE_1H = 2.0  # x input: the 1-hour cache write


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens; ``None`` cached/reasoning prices fall back to input/output, cache
    writes to 1.25x (5-minute) and 2x (1-hour) input. ``source`` says where the figures come from."""

    input: float
    output: float
    cached_input: float | None = None
    reasoning: float | None = None
    cache_write: float | None = None
    cache_write_1h: float | None = None
    source: str = ""
    #: (threshold, price): a request whose prompt is above threshold tokens is billed at that price
    long_context: tuple[int, Price] | None = None

    def cost(self, usage: Usage) -> float:
        """The cost of ``usage`` in USD."""
        long = self.long_context
        if long is not None and usage.prompt_tokens > long[0]:
            return long[1].cost(usage)
        prompt, completion = usage.prompt_tokens, usage.completion_tokens
        cached = min(usage.cached_tokens, prompt)
        written = min(usage.cache_write_tokens, prompt - cached)
        written_1h = min(usage.cache_write_1h_tokens, written)
        outside = 0  # billed tokens the provider counted outside prompt + completion
        if usage.provider_total is not None:
            outside = max(0, usage.provider_total - prompt - completion)
        reasoning = min(max(usage.reasoning_tokens - outside, 0), completion)
        write_5m = self.cache_write if self.cache_write is not None else self.input * CACHE_WRITE_5M
        write_1h = self.cache_write_1h if self.cache_write_1h is not None else self.input * CACHE_WRITE_1H
        reasoning_rate = self.reasoning if self.reasoning is not None else self.output
        total = (prompt - cached - written) * self.input
        total += cached * (self.cached_input if self.cached_input is not None else self.input)
        total += (written - written_1h) * write_5m + written_1h * write_1h
        total += (completion - reasoning) * self.output
        total += (reasoning + outside) * reasoning_rate
        return round(total / 1_000_000, 10)

    def as_dict(self) -> dict[str, object]:
        """Plain data for ``pricing --json`` (fallback rates resolved)."""
        data: dict[str, object] = {
            "input": self.input,
            "output": self.output,
            "cached_input": self.cached_input if self.cached_input is not None else self.input,
            "cache_write": self.cache_write if self.cache_write is not None else self.input * CACHE_WRITE_5M,
            "cache_write_1h": self.cache_write_1h
            if self.cache_write_1h is not None
            else self.input * CACHE_WRITE_1H,
            "reasoning": self.reasoning if self.reasoning is not None else self.output,
            "source": self.source,
        }
        if self.long_context is not None:
            data["long_context"] = {
                "above_prompt_tokens": self.long_context[0],
                **self.long_context[1].as_dict(),
            }
        return data


FREE_PROVIDERS = frozenset({"ollama", "lmstudio"})

_DOTTED_VERSION = re.compile(r"(?<=\d)\.(?=\d)")
_BEDROCK_PREFIX = re.compile(r"^(?:[a-z]{2,4}\.)?(?:anthropic|meta|amazon|mistral|cohere|ai21|deepseek)\.")
# Snapshot suffixes, stripped one at a time from the end: Bedrock version, Vertex date, dates.
_SNAPSHOT = re.compile(r"(?:-v\d+:\d+|@\d{8}|-\d{8}|-\d{4}-\d{2}-\d{2})$")


def normalise(model: str) -> str:
    """The comparable form of a model name."""
    name = model.strip().lower().rsplit("/", 1)[-1]
    name = _BEDROCK_PREFIX.sub("", name)
    return _DOTTED_VERSION.sub("-", name)


@dataclass(frozen=True, slots=True)
class Match:
    """How a model name found its price."""

    key: str  # the table key (or pricing: key) that priced it
    price: Price
    origin: str  # "builtin", "free", or where the override was configured


def _lookup(name: str, table: Mapping[str, Price], aliases: Mapping[str, str]) -> str | None:
    """The key of ``table`` pricing ``name`` (already normalised), trying snapshot-stripped forms."""
    while True:
        if name in table:
            return name
        if name in aliases:
            return aliases[name]
        stripped = _SNAPSHOT.sub("", name)
        if stripped == name:
            return None
        name = stripped


def price_overrides(pricing: Mapping[str, ModelPrice], *, origin: str = "pricing:") -> dict[str, Price]:
    """The ``pricing:`` entries of a config as prices, each naming where it was configured."""
    return {
        name: Price(
            p.input,
            p.output,
            p.cached_input,
            p.reasoning,
            p.cache_write,
            p.cache_write_1h,
            source=f"{origin} {name}",
        )
        for name, p in pricing.items()
    }


class PriceTable:
    """The built-in prices with the config's ``pricing:`` entries on top (matched first)."""

    def __init__(self, overrides: Mapping[str, Price] | None = None, *, origin: str = "pricing:") -> None:
        from agentcore.models._prices import ALIASES, BUILTIN

        self.overrides = dict(overrides or {})
        self.origin = origin
        self._builtin = {normalise(k): (k, p) for k, p in BUILTIN.items()}
        self._builtin_prices = {k: p for k, (_, p) in self._builtin.items()}
        self._aliases = {normalise(a): normalise(k) for a, k in ALIASES.items()}
        self._exact = {normalise(k): (k, p) for k, p in self.overrides.items() if not k.endswith("*")}
        self._prefixes = sorted(
            ((normalise(k[:-1]), k, p) for k, p in self.overrides.items() if k.endswith("*")),
            key=lambda t: -len(t[0]),
        )
        self._cache: dict[tuple[str, str], Match | None] = {}

    @classmethod
    def from_config(cls, pricing: Mapping[str, ModelPrice], *, origin: str = "pricing:") -> PriceTable:
        """From ``AgentConfig.pricing``; ``origin`` names where it was configured."""
        return cls(price_overrides(pricing, origin=origin), origin=origin)

    def match(self, provider: str, model: str) -> Match | None:
        """How ``model`` is priced (None when it is not)."""
        key = (provider, model)
        if key in self._cache:
            return self._cache[key]
        found = self._match(provider, normalise(model))
        self._cache[key] = found
        return found

    def _match(self, provider: str, name: str) -> Match | None:
        hit = self._exact.get(name)
        if hit is None:
            stripped = _lookup(name, {k: v[1] for k, v in self._exact.items()}, {})
            hit = self._exact.get(stripped) if stripped is not None else None
        if hit is not None:
            return Match(hit[0], hit[1], hit[1].source)
        for prefix, key, price in self._prefixes:
            if name.startswith(prefix):
                return Match(key, price, price.source)
        if provider in FREE_PROVIDERS:
            return Match(provider, Price(0.0, 0.0, source=f"{provider} runs locally"), "free")
        found = _lookup(name, self._builtin_prices, self._aliases)
        if found is None:
            return None
        original, price = self._builtin[found]
        return Match(original, price, "builtin")

    def price(self, provider: str, model: str) -> Price | None:
        """The price of ``model`` (None when unknown)."""
        found = self.match(provider, model)
        return found.price if found is not None else None

    def cost(self, provider: str, model: str, usage: Usage) -> float | None:
        """USD for ``usage`` on ``model``; None when the model's price is unknown."""
        price = self.price(provider, model)
        return price.cost(usage) if price is not None else None

    def entries(self) -> list[tuple[str, Price, str]]:
        """Every known price: (name, price, origin), overrides first."""
        from agentcore.models._prices import BUILTIN

        out = [(k, p, p.source) for k, p in self.overrides.items()]
        out += [(k, p, "builtin") for k, p in BUILTIN.items() if normalise(k) not in self._exact]
        return out
