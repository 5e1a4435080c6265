"""``{{name}}`` templates: a whole-value template keeps the JSON type of its value.

``"{{stream}}"`` renders as ``true``, ``"{{messages}}"`` as a list; inside longer text a value is
inserted as text (lists and mappings as JSON). ``{{name | conv | conv}}`` pipes the value through
converters. In a mapping, a key whose whole-value template is null (an unset ``temperature``, no
``tools``) is left out, because most APIs reject ``null`` where they expect a number or a list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

_REF = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DROP = object()

#: variables every chat template may use (plus the auth step's ``setData`` names)
BASE_VARIABLES = (
    "model",
    "messages",
    "system",
    "stream",
    "tools",
    "max_tokens",
    "temperature",
    "api_key",
    "user",
)


@dataclass(frozen=True, slots=True)
class Ref:
    """One ``{{...}}`` reference: where it is (a key path below the template's root) and what it names."""

    where: str
    name: str
    converters: tuple[str, ...]


class TemplateError(Exception):
    """A template cannot be rendered; ``where`` is the key path below the template's root."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


def _split(expr: str) -> tuple[str, tuple[str, ...]]:
    name, *convs = (part.strip() for part in expr.split("|"))
    return name, tuple(convs)


def refs(value: Any, where: str = "") -> Iterator[Ref]:
    """Every reference in ``value`` (strings, and strings inside mappings and lists)."""
    if isinstance(value, str):
        for match in _REF.finditer(value):
            name, convs = _split(match.group(1))
            yield Ref(where, name, convs)
    elif isinstance(value, dict):
        for key, item in cast(dict[str, Any], value).items():
            yield from refs(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(cast(list[Any], value)):
            yield from refs(item, f"{where}[{index}]")


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a template variable, or None."""
    return None if _NAME.match(name) else f"'{name}' is not a variable name"


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


class Renderer:
    """Renders templates against variables, with converters looked up by name."""

    def __init__(
        self, variables: Mapping[str, Any], converters: Callable[[str], Callable[[Any], Any]]
    ) -> None:
        self._vars = variables
        self._converter = converters

    def _value(self, expr: str, where: str) -> Any:
        name, convs = _split(expr)
        if name not in self._vars:
            raise TemplateError(where, f"unknown template variable '{name}'")
        value = self._vars[name]
        for conv in convs:
            try:
                func = self._converter(conv)
            except TemplateError as exc:
                raise TemplateError(where, exc.message) from None
            except KeyError:
                raise TemplateError(where, f"unknown converter '{conv}'") from None
            try:
                value = func(value)
            except Exception as exc:
                raise TemplateError(
                    where, f"converter '{conv}' failed: {type(exc).__name__}: {exc}"
                ) from None
        return value

    def render(self, value: Any, where: str = "") -> Any:
        """``value`` with every template replaced."""
        out = self._render(value, where)
        return None if out is _DROP else out

    def _render(self, value: Any, where: str) -> Any:
        if isinstance(value, str):
            whole = _REF.fullmatch(value.strip()) if value.strip().startswith("{{") else None
            if whole is not None and value.strip().count("{{") == 1:
                rendered = self._value(whole.group(1), where)
                return _DROP if rendered is None else rendered
            return _REF.sub(lambda m: _as_text(self._value(m.group(1), where)), value)
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in cast(dict[str, Any], value).items():
                rendered = self._render(item, f"{where}.{key}" if where else str(key))
                if rendered is not _DROP:
                    out[str(key)] = rendered
            return out
        if isinstance(value, list):
            items = [self._render(item, f"{where}[{i}]") for i, item in enumerate(cast(list[Any], value))]
            return [None if item is _DROP else item for item in items]
        return value

    def text(self, value: str, where: str) -> str:
        """A template rendered as text (URLs, headers)."""
        return _as_text(self.render(value, where))
