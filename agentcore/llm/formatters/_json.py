"""JSON pieces shared by the formatters: compact dumps and the per-tool-list cache."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from agentcore.tools.base import ToolSpec


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON; text that UTF-8 cannot hold (lone surrogates, e.g. a non-UTF-8 file name a
    tool returned) is sent as ``\\u`` escapes instead of failing the turn."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":")).encode()


class ToolsJsonCache:
    """The tools array rendered once per tool-list version (the manager returns the same list until it changes)."""

    def __init__(self, render: Callable[[ToolSpec], dict[str, Any]]) -> None:
        self._render = render
        self._specs: Sequence[ToolSpec] | None = None
        self._json = b"[]"

    def get(self, specs: Sequence[ToolSpec]) -> bytes:
        """The JSON array for ``specs``."""
        if specs is not self._specs:
            self._json = dumps([self._render(s) for s in specs])
            self._specs = specs
        return self._json
