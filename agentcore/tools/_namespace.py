"""The one namespace the model sees over several tool sources: provider-safe, unique names.

Earlier sources keep the plain names; a later source's clashing tool is qualified by its source
(``server__tool``), and numbered if even that is taken.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

from agentcore.tools.base import ToolSource, ToolSpec

__all__ = ["Entry", "build_namespace", "sanitize_tool_name"]

_MAX_NAME = 64
_BAD_CHARS = re.compile(r"[^a-zA-Z0-9_-]")


def sanitize_tool_name(name: str) -> str:
    """``name`` made provider-safe: ``^[a-zA-Z0-9_-]{1,64}$``."""
    return _BAD_CHARS.sub("_", name)[:_MAX_NAME] or "_"


def _unique(name: str, used: set[str]) -> str:
    if name not in used:
        return name
    n = 2
    while True:
        suffix = f"_{n}"
        candidate = name[: _MAX_NAME - len(suffix)] + suffix
        if candidate not in used:
            return candidate
        n += 1


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """One tool of the namespace."""

    spec: ToolSpec  # as exposed to the model
    original: ToolSpec  # as the source listed it; what the source gets back
    source: ToolSource


def build_namespace(sources: Sequence[ToolSource], listed: Mapping[str, list[ToolSpec]]) -> dict[str, Entry]:
    """Exposed name -> entry, for the tools each source listed (``listed``: source name -> specs)."""
    used: set[str] = set()
    by_name: dict[str, Entry] = {}
    for source in sources:
        for spec in listed.get(source.name, []):
            exposed = sanitize_tool_name(spec.name)
            if exposed in used:
                # Earlier sources keep the plain name; this one is qualified by its source.
                exposed = sanitize_tool_name(f"{source.name}__{spec.name}")
            exposed = _unique(exposed, used)
            used.add(exposed)
            public = dataclasses.replace(spec, name=exposed, source=source.name, original_name=spec.call_name)
            by_name[exposed] = Entry(public, spec, source)
    return by_name
