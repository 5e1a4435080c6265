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


def _first_warning(model: str) -> bool:
    """True the first time ``model`` is seen unknown on this machine: a marker file under
    ``$AGENTCORE_HOME/warned`` keeps the fact, so a local model is not warned about on every run."""
    import hashlib
    import os
    from pathlib import Path

    home = Path(os.environ.get("AGENTCORE_HOME") or Path.home() / ".agentcore").expanduser()
    marker = home / "warned" / ("unknown-model-" + hashlib.sha256(model.encode()).hexdigest()[:24])
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch(exist_ok=False)
    except FileExistsError:
        return False
    except OSError:  # a read-only home: warn every time rather than never
        return True
    return True


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
        if _first_warning(model):
            log.warning(
                "context.unknown_model",
                model=model,
                assumed_window=DEFAULT_WINDOW,
                hint="set context.maxTokens to the model's context window (said once per model)",
            )
    if reserve_output is None:
        reserve_output = llm_max_tokens if llm_max_tokens is not None else min(8_192, size // 8)
    reserve_output = min(reserve_output, size // 2)
    return ContextWindow(size, reserve_output, source)
