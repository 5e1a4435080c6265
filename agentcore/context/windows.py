"""Context windows (from the model catalog), overridable with ``context.maxTokens``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentcore.logs import get_logger

if TYPE_CHECKING:
    from agentcore.models import Catalog

log = get_logger("agentcore.context")

DEFAULT_WINDOW = 32_768


@dataclass(frozen=True, slots=True)
class ContextWindow:
    """The token budget of one model: window size, output reserve, and where it came from."""

    max_tokens: int
    reserve_output: int
    source: str  # "config", "table" or "default"

    @property
    def budget(self) -> int:
        """Tokens the request (system prompt, tools, messages) may use."""
        return max(1, self.max_tokens - self.reserve_output)


def lookup_window(model: str, catalog: Catalog | None = None) -> int | None:
    """The window of ``model`` from the catalog, None when unknown."""
    from agentcore.models import default_catalog

    return (catalog or default_catalog()).lookup(model).window


def window_for(
    model: str,
    *,
    max_tokens: int | None = None,
    reserve_output: int | None = None,
    llm_max_tokens: int | None = None,
    catalog: Catalog | None = None,
) -> ContextWindow:
    """The window for ``model``: ``max_tokens`` (config) wins, then the catalog (with the user's
    ``models:`` entries when ``catalog`` is the config's), then a stated default."""
    source = "config"
    size = max_tokens
    if size is None:
        size = lookup_window(model, catalog)
        source = "table"
    if size is None:
        size = DEFAULT_WINDOW
        source = "default"
        log.warning(
            "context.unknown_model",
            model=model,
            assumed_window=DEFAULT_WINDOW,
            hint="set context.maxTokens to the model's context window",
        )
    if reserve_output is None:
        reserve_output = llm_max_tokens if llm_max_tokens is not None else min(8_192, size // 8)
    reserve_output = min(reserve_output, size // 2)
    return ContextWindow(size, reserve_output, source)
