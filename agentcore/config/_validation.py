"""Turning a pydantic ``ValidationError`` into one ``ConfigError`` a user can act on."""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from agentcore._redact import redact_text
from agentcore.config._yaml import KeyPath, LineMap, format_key_path, line_for
from agentcore.config.schema import AgentConfig
from agentcore.errors import ConfigError

# Set by the loader only; a file that sets them is wrong, and the JSON schema hides them.
INTERNAL_FIELDS = ("base_dir", "source")


@dataclass
class _Problem:
    path: KeyPath
    message: str
    hint: str | None
    kind: str
    suggestion: str | None = None


def convert_validation_error(
    exc: ValidationError, data: dict[str, Any], file: str | None, lines: LineMap, overridden: list[KeyPath]
) -> ConfigError:
    details = exc.errors()
    located = [(_locate(err["loc"], data), err) for err in details]
    # A union (systemPrompt: text or {file: ...}) reports every branch; keep the branch matching the input.
    fitting = [(loc, err) for loc, err in located if loc.fits]
    if not fitting:
        # No branch fits (systemPrompt: 5): one report per key, not one per branch.
        seen: set[KeyPath] = set()
        for loc, err in located:
            if loc.path not in seen:
                seen.add(loc.path)
                fitting.append((loc, err))
    problems = [_describe_error(loc, err) for loc, err in fitting]
    # An unknown key is usually the misspelling behind a "missing" one, so it is the more useful report.
    problems.sort(key=lambda p: p.kind != "extra_forbidden")
    first = problems[0]
    explained = {(*p.path[:-1], p.suggestion) for p in problems if p.suggestion}
    others = [p for p in problems[1:] if not (p.kind == "missing" and p.path in explained)]
    errors = [_to_error(p, file, lines, overridden) for p in (first, *others)]
    return errors[0].with_others(errors[1:])


def _to_error(problem: _Problem, file: str | None, lines: LineMap, overridden: list[KeyPath]) -> ConfigError:
    from_cli = any(problem.path[: len(leaf)] == leaf for leaf in overridden)
    return ConfigError(
        problem.message,
        key_path=format_key_path(problem.path) or None,
        file=None if from_cli else file,
        line=None if from_cli else line_for(lines, problem.path),
        hint=_join(problem.hint, "set on the command line" if from_cli else None),
    )


@dataclass
class _Location:
    path: KeyPath
    model: type[BaseModel] | None
    value: Any
    fits: bool


_MISSING = object()


def _locate(loc: tuple[int | str, ...], data: Any) -> _Location:
    """Walk ``loc`` through the schema and the data: the user's key path, owning model and value."""
    annotation: Any = AgentConfig
    value: Any = data
    path: list[str | int] = []
    model: type[BaseModel] | None = None
    fits = True
    parts = list(loc)
    while parts:
        annotation = _strip_optional(annotation)
        members = _union_members(annotation)
        if members:
            # pydantic names the union branch it tried (e.g. 'str', 'PromptFile'); it is not a user key.
            tag = parts.pop(0)
            annotation = next((m for m in members if getattr(m, "__name__", None) == tag), None)
            fits = fits and _fits(annotation, value)
            continue
        part = parts.pop(0)
        path.append(part)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
            field = next(
                (f for n, f in annotation.model_fields.items() if part in (n, f.alias)),
                None,
            )
            annotation = field.annotation if field else None
        else:
            model = None
            args = typing.get_args(annotation)
            annotation = args[-1] if args else None
        value = _child(value, part)
    return _Location(tuple(path), model, value, fits)


def _strip_optional(annotation: Any) -> Any:
    members = _union_args(annotation)
    if members is None:
        return annotation
    real = [m for m in members if m is not type(None)]
    return real[0] if len(real) == 1 else annotation


def _union_members(annotation: Any) -> list[Any]:
    members = _union_args(annotation)
    return [m for m in members if m is not type(None)] if members else []


def _union_args(annotation: Any) -> tuple[Any, ...] | None:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(annotation)
    return None


def _fits(annotation: Any, value: Any) -> bool:
    if annotation is None or value is _MISSING:
        return True
    origin = typing.get_origin(annotation) or annotation
    wants_mapping = origin is dict or (isinstance(origin, type) and issubclass(origin, BaseModel))
    if wants_mapping or isinstance(value, dict):
        return wants_mapping == isinstance(value, dict)
    if origin is str:
        return isinstance(value, str)
    return True


def _child(value: Any, part: str | int) -> Any:
    if isinstance(value, dict) and part in value:
        return typing.cast(dict[Any, Any], value)[part]
    if isinstance(value, list) and isinstance(part, int) and part < len(typing.cast(list[Any], value)):
        return typing.cast(list[Any], value)[part]
    return _MISSING


_NUMBER_TYPES = {"int_parsing", "int_type", "float_parsing", "float_type", "int_from_float", "finite_number"}
_BOUNDS = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}
_CONTAINER_TYPES = {"dict_type", "model_type", "model_attributes_type", "mapping_type"}


def _describe_error(loc: _Location, err: ErrorDetails) -> _Problem:
    kind = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    value: Any = err.get("input")
    key = str(loc.path[-1]) if loc.path else ""
    got = describe_value(value)
    hint: str | None = None
    suggestion: str | None = None
    if kind == "extra_forbidden":
        known = _keys_of(loc.model)
        suggestion = _closest(key, known)
        message = f"unknown key '{key}'"
        hint = f"did you mean '{suggestion}'?" if suggestion else _valid("valid keys", known)
    elif kind == "missing":
        message = f"missing required key '{key}'"
    elif kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        suggestion_value = _closest(str(value), allowed)
        message = f"unknown {key or 'value'} {got}"
        valid = _valid("valid values", allowed)
        hint = f"did you mean '{suggestion_value}'? {valid}" if suggestion_value else valid
    elif kind == "finite_number":
        message = f"must be a finite number, got {got}"
    elif kind in _NUMBER_TYPES:
        whole = kind.startswith("int")
        message = f"expected a {'whole number' if whole else 'number'}, got {got}"
    elif kind in ("bool_parsing", "bool_type"):
        message = f"expected true or false, got {got}"
    elif kind == "string_type":
        message = f"expected text, got {got}"
        if isinstance(value, int | float | bool):
            hint = "put the value in quotes"
    elif kind in ("list_type", "tuple_type"):
        message = f"expected a list, got {got}"
        hint = "write it as [a, b] or as lines starting with '- '"
    elif kind in _CONTAINER_TYPES:
        message = f"expected a mapping of keys, got {got}"
        if loc.model is not None or isinstance(value, str):
            hint = _valid("valid keys", _keys_of(_model_of(loc)))
    elif kind in _BOUNDS:
        bound: Any = next(iter(ctx.values()), "?")
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        message = f"must be {_BOUNDS[kind]} {bound}, got {got}"
    elif kind == "value_error":
        message = str(ctx.get("error") or err["msg"]).removeprefix("Value error, ")
    else:
        text = err["msg"]
        message = f"{text[:1].lower()}{text[1:]}, got {got}"
    return _Problem(loc.path, message, hint, kind, suggestion)


def _model_of(loc: _Location) -> type[BaseModel] | None:
    # The value itself should have been a model: find which one from the owning model's field.
    if loc.model is None or not loc.path:
        return None
    field = next((f for n, f in loc.model.model_fields.items() if loc.path[-1] in (n, f.alias)), None)
    annotation = _strip_optional(field.annotation) if field else None
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _keys_of(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [f.alias or n for n, f in model.model_fields.items() if n not in INTERNAL_FIELDS]


def _closest(word: str, choices: list[str]) -> str | None:
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:  # a case slip ("apikey") is the likeliest mistake of all
        return lowered[word.lower()]
    matches = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return matches[0] if matches else None


def _valid(label: str, choices: list[str]) -> str | None:
    return f"{label}: {', '.join(choices)}" if choices else None


def _join(*parts: str | None) -> str | None:
    text = "; ".join(p for p in parts if p)
    return text or None


def describe_value(value: Any) -> str:
    """A short, redacted rendering of a user's value for error messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = redact_text(value)
        return f"'{text[:57]}...'" if len(text) > 60 else f"'{text}'"
    return redact_text(str(value))[:60]
