"""Context windows by model family (not exact names), overridable with ``context.maxTokens``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentcore.logs import get_logger

log = get_logger("agentcore.context")

DEFAULT_WINDOW = 32_768

# First match wins: more specific patterns come first. Matched against the lower-cased model name
# with any routing prefix (``openai/``, ``us.anthropic.``) and Ollama tag left in place.
_TABLE: tuple[tuple[str, int], ...] = (
    (r"gpt-4\.1", 1_047_576),
    (r"gpt-5", 400_000),
    (r"gpt-4o|chatgpt-4o|gpt-4\.5|gpt-4-turbo|gpt-4-1106|gpt-4-0125", 128_000),
    (r"gpt-4-32k", 32_768),
    (r"gpt-4", 8_192),
    (r"gpt-3\.5", 16_385),
    (r"gpt-oss", 131_072),
    (r"(^|/)o[1-9](\b|-)", 200_000),
    (r"claude-(sonnet-4|opus-4|3-7|3-5|3|haiku-4|sonnet|opus|haiku)|claude", 200_000),
    (r"gemini-1\.5-pro|gemini-2|gemini-3|gemini-1\.5", 1_048_576),
    (r"gemini", 32_768),
    (r"qwen-max", 32_768),
    (r"qwen3|qwen2\.5|qwen-plus|qwen-turbo|qwen-long|qwq|qwen", 131_072),
    (r"deepseek", 128_000),
    (r"llama-?3\.[1-3]|llama-?4", 131_072),
    (r"llama-?3", 8_192),
    (r"llama-?2", 4_096),
    (r"mistral-large|mistral-small|mistral-nemo|ministral|codestral", 131_072),
    (r"mistral|mixtral", 32_768),
    (r"phi-?4", 16_384),
    (r"phi-?3", 128_000),
    (r"gemma-?3", 131_072),
    (r"gemma", 8_192),
    (r"smollm", 4_096),  # cli: the built-in model, as its server is started (agentcore.llm.local)
)


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


def lookup_window(model: str) -> int | None:
    """The window of ``model`` from the family table, None when unknown."""
    name = model.lower()
    for pattern, size in _TABLE:
        if re.search(pattern, name):
            return size
    return None


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
) -> ContextWindow:
    """The window for ``model``: ``max_tokens`` (config) wins, then the table, then a stated default."""
    source = "config"
    size = max_tokens
    if size is None:
        size = lookup_window(model)
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
