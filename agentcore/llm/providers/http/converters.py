"""Converters: functions applied to a template value (``{{messages | last_user_text}}``).

Built-ins are below. User converters are plain functions marked with ``@converter`` in a module of
``localTools``; they are found in the modules that tool loading imported, never in a process-wide
registry, so two agents with different tool folders do not see each other's.
"""

from __future__ import annotations

import base64 as _b64
import json as _json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar, cast, overload

Converter = Callable[[Any], Any]
F = TypeVar("F", bound=Callable[..., Any])
_MARK = "__agentcore_converter__"
_LOCAL_PREFIX = "agentcore_local_tools"


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else _json.dumps(value, ensure_ascii=False)


def _base64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else str(value).encode()
    return _b64.b64encode(raw).decode("ascii")


def _text_of(message: Any) -> str:
    if isinstance(message, str):
        return message
    if not isinstance(message, dict):
        return ""
    content = cast(dict[str, Any], message).get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = cast(list[Any], content)
        return "".join(
            str(cast(dict[str, Any], p).get("text", ""))
            for p in parts
            if isinstance(p, dict) and cast(dict[str, Any], p).get("type") == "text"
        )
    return ""


def _join_text(value: Any) -> str:
    """Messages (or any list) as one text: ``role: text`` lines."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        lines: list[str] = []
        for item in cast(list[Any], value):
            if isinstance(item, dict):
                role = cast(dict[str, Any], item).get("role", "")
                lines.append(f"{role}: {_text_of(item)}" if role else _text_of(item))
            else:
                lines.append(str(item))
        return "\n".join(lines)
    return "" if value is None else str(value)


def _last_user_text(value: Any) -> str:
    """The text of the last user message of a messages list."""
    if isinstance(value, list):
        for item in reversed(cast(list[Any], value)):
            if isinstance(item, dict) and cast(dict[str, Any], item).get("role") == "user":
                return _text_of(item)
        return ""
    return "" if value is None else str(value)


BUILTIN: dict[str, Converter] = {
    "json": _json_text,
    "base64": _base64,
    "join_text": _join_text,
    "last_user_text": _last_user_text,
}


@overload
def converter(func: F, /) -> F: ...
@overload
def converter(*, name: str | None = None) -> Callable[[F], F]: ...


def converter(func: Any = None, /, *, name: str | None = None) -> Any:
    """Mark a function of a ``localTools`` module as a converter usable as ``{{value | NAME}}``.

    >>> @converter
    ... def upper(value): return str(value).upper()
    """

    def mark(f: Any) -> Any:
        setattr(f, _MARK, name or f.__name__)
        return f

    return mark(func) if func is not None else mark


def user_converters(folders: Iterable[Path] | None = None) -> dict[str, Converter]:
    """``@converter`` functions of the local-tool modules imported so far (limited to ``folders``)."""
    found: dict[str, Converter] = {}
    roots = [p.resolve() for p in folders] if folders is not None else None
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith(_LOCAL_PREFIX):
            continue
        file = getattr(module, "__file__", None)
        if roots is not None and (file is None or not _under(Path(file), roots)):
            continue
        for value in vars(module).values():
            mark = getattr(value, _MARK, None)
            if isinstance(mark, str) and callable(value):
                found[mark] = cast(Converter, value)
    return found


def _under(file: Path, roots: list[Path]) -> bool:
    resolved = file.resolve()
    return any(resolved == root or root in resolved.parents for root in roots)
