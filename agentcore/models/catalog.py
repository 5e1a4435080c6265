"""One catalog of what is known about a model: the built-in families, the dated price table, and the
user's ``models:`` entries in cipher.yml on top (a fine-tune, a local GGUF, a corrected window).

Every fact has three states: known true, known false, or unknown (``None``) - an unknown window is
not 32K and an unknown price is not $0. Each fact also says where it came from (``sources``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from agentcore.models._families import CL100K, FAMILIES, O200K, UNKNOWN_TOKENIZER, Family
from agentcore.models.pricing import Match, Price, PriceTable, price_overrides

if TYPE_CHECKING:
    from agentcore.config.schema import AgentConfig

TOKENIZERS = (O200K, CL100K)
#: the fact names of a catalog entry, in display order
FACTS = ("window", "max_output", "tokenizer", "images", "audio", "native_tools", "structured_output")
# Providers that serve a maker's own models: a catalog "no" about images is trusted only there;
# elsewhere (OpenRouter, Ollama, LM Studio, unknown servers) the server decides.
_PROVIDER_MAKER = {
    "openai": "openai",
    "azure": "openai",
    "anthropic": "anthropic",
    "aws": "anthropic",
    "qwen": "qwen",
    "deepseek": "deepseek",
}
_TEXT_ONLY_PROVIDERS = frozenset({"deepseek"})  # DeepSeek's API takes no images, whatever the name
_UNKNOWN_MEANS_NO_IMAGES = frozenset({"qwen"})  # DashScope: only VL/omni models see images
#: providers whose request format has an audio part (OpenAI's chat completions ``input_audio``)
AUDIO_PROVIDERS = frozenset({"openai", "azure", "openrouter", "gemini", "qwen", "ollama", "lmstudio"})
ANTHROPIC_DEFAULT_MAX_TOKENS = 8_192


@dataclass(frozen=True, slots=True)
class Tokenizer:
    """The BPE counts are made with, its calibration factor, and whether counts are exact."""

    encoding: str
    factor: float = 1.0
    exact: bool = True

    def describe(self) -> str:
        """``o200k_base`` or ``estimate (cl100k_base x1.2)``."""
        return self.encoding if self.exact else f"estimate ({self.encoding} x{self.factor})"


@dataclass(frozen=True, slots=True)
class UserEntry:
    """A ``models:`` entry's catalog facts (``None``: not stated, the built-in catalog decides)."""

    name: str  # the models: key
    provider: str | None
    model: str
    window: int | None = None
    max_output: int | None = None
    tokenizer: str | None = None
    images: bool | None = None
    audio: bool | None = None
    native_tools: bool | None = None
    structured_output: bool | None = None
    price: Price | None = None


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """Everything the catalog knows about one model."""

    model: str
    provider: str | None
    family: str | None  # the most specific built-in family that matched
    window: int | None
    max_output: int | None
    tokenizer: Tokenizer
    images: bool | None
    audio: bool | None
    native_tools: bool | None
    structured_output: bool | None
    price: Price | None
    price_entry: str | None  # the price table key (or pricing:/models: key) that priced it
    #: fact name -> where it came from ("family gpt-4o", "cipher.yml: models.ft", "pricing: gpt-x")
    sources: dict[str, str] = field(default_factory=dict[str, str])

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``models --json``."""
        return {
            "model": self.model,
            "provider": self.provider,
            "family": self.family,
            "window": self.window,
            "max_output": self.max_output,
            "tokenizer": self.tokenizer.encoding,
            "tokenizer_exact": self.tokenizer.exact,
            "images": self.images,
            "audio": self.audio,
            "native_tools": self.native_tools,
            "structured_output": self.structured_output,
            "price": None if self.price is None else self.price.as_dict(),
            "price_entry": self.price_entry,
            "sources": dict(self.sources),
        }


@lru_cache(maxsize=2048)
def _families(name: str) -> tuple[Family, ...]:
    """The families matching ``name`` (lower-cased), most specific first."""
    return tuple(f for f in FAMILIES if f.pattern.search(name))


def family_fact(model: str, fact: str) -> tuple[Any, str | None]:
    """(value, family name) of one built-in fact of ``model``; (None, None) when no family states it."""
    for fam in _families(model.lower()):
        value = getattr(fam, fact)
        if value is not None:
            return value, fam.name
    return None, None


class Catalog:
    """The built-in catalog with user entries and price overrides on top (user entries win)."""

    def __init__(
        self,
        entries: Iterable[UserEntry] = (),
        prices: PriceTable | None = None,
        *,
        origin: str = "cipher.yml",
    ) -> None:
        self.entries = tuple(entries)
        self.origin = origin
        by_model: dict[str, UserEntry] = {}
        for entry in self.entries:
            by_model.setdefault(entry.name.lower(), entry)
            by_model[entry.model.lower()] = entry  # the model name wins over another entry's key
        self._by_name = by_model
        if prices is None:
            overrides = {e.model: e.price for e in self.entries if e.price is not None}
            prices = PriceTable(overrides, origin=f"{origin}: models")
        self.prices = prices

    @classmethod
    def from_config(cls, config: AgentConfig) -> Catalog:
        """The catalog of ``config``: its ``models:`` entries, and ``pricing:`` over their prices."""
        origin = str(config.source) if config.source is not None else "cipher.yml"
        entries = [user_entry(name, t, origin) for name, t in config.models.items()]
        overrides = {e.model: e.price for e in entries if e.price is not None}
        priced_at = f"{config.source}: pricing" if config.source is not None else "pricing:"
        overrides.update(price_overrides(config.pricing, origin=priced_at))
        return cls(entries, PriceTable(overrides, origin=priced_at), origin=origin)

    def user_entry(self, model: str) -> UserEntry | None:
        """The ``models:`` entry describing ``model`` (by model name or entry key)."""
        return self._by_name.get(model.lower()) if self._by_name else None

    def lookup(self, model: str, provider: str | None = None) -> ModelInfo:
        """Everything known about ``model`` (a ``models:`` key also works)."""
        entry = self.user_entry(model)
        if entry is not None:
            model = entry.model
            provider = provider or entry.provider
        sources: dict[str, str] = {}
        facts: dict[str, Any] = {}
        for fact in FACTS:
            value = getattr(entry, fact) if entry is not None else None
            if value is not None:
                sources[fact] = f"{self.origin}: models.{entry.name}" if entry is not None else ""
            else:
                value, fam = family_fact(model, fact)
                if fam is not None:
                    sources[fact] = f"family {fam}"
            facts[fact] = value
        raw_tok = facts.pop("tokenizer")
        if isinstance(raw_tok, str):
            tokenizer = Tokenizer(raw_tok, 1.0, True)
        else:
            enc, factor, exact = raw_tok if raw_tok is not None else UNKNOWN_TOKENIZER
            tokenizer = Tokenizer(enc, factor, exact)
            if raw_tok is None:
                sources["tokenizer"] = "unknown model: estimate"
        matches = _families(model.lower())
        found: Match | None = self.prices.match(provider or "", model)
        if found is not None:
            sources["price"] = "built-in list price" if found.origin == "builtin" else found.origin
        return ModelInfo(
            model=model,
            provider=provider,
            family=matches[0].name if matches else None,
            tokenizer=tokenizer,
            price=found.price if found is not None else None,
            price_entry=found.key if found is not None else None,
            sources=sources,
            **facts,
        )

    def accepts_images(self, provider: str, model: str) -> bool:
        """Whether to send images to ``model`` on ``provider``; when in doubt yes (the provider then
        reports a real error, better than refusing a model we do not know)."""
        entry = self.user_entry(model)
        if entry is not None and entry.images is not None:
            return entry.images
        if provider in _TEXT_ONLY_PROVIDERS:
            return False
        maker = _PROVIDER_MAKER.get(provider)
        if maker is None:
            return True
        for fam in _families(model.lower()):
            if fam.images is not None and fam.maker == maker:
                return fam.images
        return provider not in _UNKNOWN_MEANS_NO_IMAGES

    def accepts_audio(self, provider: str, model: str) -> bool | None:
        """Whether ``model`` takes audio input: True, False, or None (not known: refused until the user
        says ``supportsAudio: true``, since most models do not)."""
        entry = self.user_entry(model)
        if entry is not None and entry.audio is not None:
            return entry.audio
        if provider not in AUDIO_PROVIDERS:
            return False
        value, _ = family_fact(model, "audio")
        return value

    def default_max_tokens(self, model: str) -> int:
        """``max_tokens`` for APIs that require one (Anthropic) when ``llm.maxTokens`` is unset: the
        model's output limit up to 8,192."""
        info = self.lookup(model)
        if info.max_output is None:
            return ANTHROPIC_DEFAULT_MAX_TOKENS
        return min(info.max_output, ANTHROPIC_DEFAULT_MAX_TOKENS)

    def families(self) -> list[Family]:
        """The built-in families, in matching order."""
        return list(FAMILIES)


def user_entry(name: str, target: Any, origin: str = "cipher.yml") -> UserEntry:
    """The catalog facts of a ``models:`` entry (a ``TargetConfig``)."""
    price: Price | None = None
    if target.input_price is not None and target.output_price is not None:
        price = Price(
            target.input_price,
            target.output_price,
            target.cached_input_price,
            source=f"{origin}: models.{name}",
        )
    return UserEntry(
        name=name,
        provider=target.provider,
        model=target.model,
        window=target.context_window,
        max_output=target.max_output,
        tokenizer=target.tokenizer,
        images=target.supports_images,
        audio=target.supports_audio,
        native_tools=target.native_tools,
        structured_output=target.structured_output,
        price=price,
    )


_DEFAULT: list[Catalog] = []


def default_catalog() -> Catalog:
    """The built-in catalog (no user entries); built once, immutable."""
    if not _DEFAULT:
        _DEFAULT.append(Catalog())
    return _DEFAULT[0]


def catalog_for(config: AgentConfig | None) -> Catalog:
    """``config``'s catalog, or the built-in one without a config."""
    return default_catalog() if config is None else Catalog.from_config(config)


def lookup(model: str, provider: str | None = None) -> ModelInfo:
    """What the built-in catalog knows of ``model``."""
    return default_catalog().lookup(model, provider)


__all__ = [
    "AUDIO_PROVIDERS",
    "FACTS",
    "TOKENIZERS",
    "Catalog",
    "ModelInfo",
    "Tokenizer",
    "UserEntry",
    "catalog_for",
    "default_catalog",
    "family_fact",
    "lookup",
]
