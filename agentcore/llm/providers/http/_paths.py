"""Dotted paths into JSON answers: ``choices.0.delta.content`` (a number indexes a list)."""

from __future__ import annotations

import re
from typing import Any, Final, cast


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()
_SEGMENT = re.compile(r"^(?:-?\d+|[^.\s]+)$")


def path_problem(path: str) -> str | None:
    """Why ``path`` is not a valid dotted path, or None."""
    if not path or path.strip() != path:
        return "a path must be non-empty, without surrounding spaces"
    for segment in path.split("."):
        if not segment:
            return f"empty segment in '{path}' (two dots, or a leading/trailing dot)"
        if not _SEGMENT.match(segment):
            return f"invalid segment '{segment}' in '{path}'"
    return None


def get_path(data: Any, path: str) -> Any:
    """The value at ``path`` in ``data``, or ``MISSING`` when any step is absent."""
    value = data
    for segment in path.split("."):
        if isinstance(value, dict):
            mapping = cast(dict[str, Any], value)
            if segment not in mapping:
                return MISSING
            value = mapping[segment]
        elif isinstance(value, list):
            items = cast(list[Any], value)
            try:
                index = int(segment)
            except ValueError:
                return MISSING
            if not -len(items) <= index < len(items):
                return MISSING
            value = items[index]
        else:
            return MISSING
    return value


def describe_keys(data: Any) -> str:
    """What is there instead, for an error naming an absent path."""
    if isinstance(data, dict):
        keys = list(cast(dict[str, Any], data))[:12]
        return "the answer has keys: " + (", ".join(keys) if keys else "(none)")
    if isinstance(data, list):
        return f"the answer is a list of {len(cast(list[Any], data))}"
    return f"the answer is {type(data).__name__}"
