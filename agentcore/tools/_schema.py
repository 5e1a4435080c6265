"""JSON schema and argument validation for a Python function, from its type hints and docstring.

The schema is what the model sees, so it is kept small: no ``title`` noise, ``$defs`` inlined when
nothing is recursive, ``additionalProperties: false`` on every object with fixed properties.
Validation goes through one pydantic model per function, built once, so the model's JSON is coerced
(``"5"`` -> ``5``) the same way it is checked.
"""

from __future__ import annotations

import copy
import inspect
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import UnionType
from typing import Annotated, Any, Literal, NotRequired, Required, Union, cast, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic.fields import FieldInfo
from typing_extensions import TypedDict, is_typeddict

from agentcore.errors import ToolError


class InvalidArguments(ToolError):
    """The model's arguments do not fit the tool's signature; ``problems`` are one line each."""

    def __init__(self, tool: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(tool, "; ".join(problems))


# --- docstrings


@dataclass(frozen=True, slots=True)
class DocInfo:
    """What a docstring says: the prose before any section, and one text per parameter."""

    summary: str = ""
    params: dict[str, str] = field(default_factory=dict[str, str])


_GOOGLE_PARAMS = re.compile(
    r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Other Parameters)\s*:\s*$"
)
_GOOGLE_OTHER = re.compile(
    r"^(Returns?|Yields?|Raises|Examples?|Notes?|Attributes|See Also|Warnings?|Todo|References|Methods)\s*:\s*$"
)
_GOOGLE_ENTRY = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_NUMPY_PARAMS = {"parameters", "other parameters", "keyword arguments", "arguments", "args"}
_NUMPY_ENTRY = re.compile(r"^\*{0,2}([\w\s,*]+?)\s*(?::\s*(.*))?$")
_REST_PARAM = re.compile(
    r"^:(?:param|parameter|arg|argument|key|keyword)\s+(?:[^:]*\s)?\*{0,2}(\w+)\s*:\s*(.*)$"
)
_REST_FIELD = re.compile(r"^:\w+")
_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")


def parse_docstring(doc: str | None) -> DocInfo:
    """Summary and per-parameter text from a Google, numpy or reST style docstring."""
    if not doc:
        return DocInfo()
    lines = inspect.cleandoc(doc).splitlines()
    params: dict[str, str] = {}
    summary_lines: list[str] = []
    in_summary = True
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        is_numpy_header = i + 1 < len(lines) and bool(_UNDERLINE.match(lines[i + 1])) and bool(stripped)
        if is_numpy_header:
            in_summary = False
            i = _numpy_section(lines, i, params)
            continue
        if _GOOGLE_PARAMS.match(stripped) and _indent(line) == 0:
            in_summary = False
            i = _google_section(lines, i, params)
            continue
        if _GOOGLE_OTHER.match(stripped) and _indent(line) == 0:
            in_summary = False
            i += 1
            continue
        if _REST_FIELD.match(stripped):
            in_summary = False
            i = _rest_field(lines, i, params)
            continue
        if in_summary:
            summary_lines.append(stripped)
        i += 1
    return DocInfo(_join_paragraphs(summary_lines), params)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _join_paragraphs(lines: list[str]) -> str:
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join(" ".join(p) for p in paragraphs if p)


def _google_section(lines: list[str], start: int, params: dict[str, str]) -> int:
    i = start + 1
    entry_indent: int | None = None
    current: str | None = None
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        indent = _indent(line)
        if indent == 0:
            break
        if entry_indent is None:
            entry_indent = indent
        match = _GOOGLE_ENTRY.match(line.strip()) if indent <= entry_indent else None
        if match:
            entry: str = match.group(1) or ""
            params[entry] = (match.group(2) or "").strip()
            current = entry
        elif current is not None:
            params[current] = f"{params[current]} {line.strip()}".strip()
        i += 1
    return i


def _numpy_section(lines: list[str], start: int, params: dict[str, str]) -> int:
    parse = lines[start].strip().lower() in _NUMPY_PARAMS
    i = start + 2
    current: list[str] = []
    while i < len(lines):
        line = lines[i]
        if line.strip() and i + 1 < len(lines) and _UNDERLINE.match(lines[i + 1]):
            break
        if parse and line.strip():
            if _indent(line) == 0:
                match = _NUMPY_ENTRY.match(line.strip())
                names = match.group(1) if match else ""
                current = [n.strip().lstrip("*") for n in names.split(",") if n.strip()]
                for name in current:
                    params[name] = ""
            else:
                for name in current:
                    params[name] = f"{params[name]} {line.strip()}".strip()
        i += 1
    return i


def _rest_field(lines: list[str], start: int, params: dict[str, str]) -> int:
    match = _REST_PARAM.match(lines[start].strip())
    i = start + 1
    text = match.group(2).strip() if match else ""
    while i < len(lines) and lines[i].strip() and _indent(lines[i]) > 0:
        text = f"{text} {lines[i].strip()}".strip()
        i += 1
    if match:
        params[match.group(1)] = text
    return i


# --- arguments model


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    field_name: str
    positional_only: bool


class ArgumentsModel:
    """A function's parameters as one pydantic model: the JSON schema and the validator, built once."""

    def __init__(self, tool: str, model: type[BaseModel], params: list[_Param], extra_kwargs: bool) -> None:
        self._tool = tool
        self._model = model
        self._params = params
        self._extra_kwargs = extra_kwargs
        self.schema: dict[str, Any] = clean_schema(model.model_json_schema(by_alias=True))
        if extra_kwargs:
            self.schema["additionalProperties"] = True

    def validate(self, arguments: Mapping[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Positional and keyword arguments for the call, coerced; raises ``InvalidArguments``."""
        try:
            instance = self._model.model_validate(dict(arguments))
        except ValidationError as exc:
            raise InvalidArguments(
                self._tool, describe_validation_error(exc, dict(arguments), self.accepted)
            ) from None
        given = instance.model_fields_set
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for param in self._params:
            if param.field_name not in given:
                # Leave it out so the function's own default applies (not a copy pydantic made).
                continue
            value = getattr(instance, param.field_name)
            if param.positional_only:
                args.append(value)
            else:
                kwargs[param.name] = value
        if self._extra_kwargs and instance.model_extra:
            kwargs.update(instance.model_extra)
        return tuple(args), kwargs

    @property
    def accepted(self) -> list[str]:
        """The argument names the function accepts."""
        return [p.name for p in self._params]


def build_arguments(
    func: Callable[..., Any], tool: str, docs: DocInfo, *, skip_first: bool = False
) -> ArgumentsModel:
    """The arguments model of ``func``; raises ``TypeError`` for a signature that cannot be a tool.
    ``skip_first``: the first parameter is the run context, which the model never fills."""
    signature = inspect.signature(func)
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception as exc:
        raise TypeError(f"cannot resolve the type hints of tool '{tool}': {exc}") from exc
    fields: dict[str, Any] = {}
    params: list[_Param] = []
    extra_kwargs = False
    for index, (name, parameter) in enumerate(signature.parameters.items()):
        if skip_first and index == 0:
            continue
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            continue  # JSON arguments are named; *args cannot be filled.
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            extra_kwargs = True
            continue
        annotation, description = _split_annotation(_compat(hints.get(name, Any)))
        field_name = f"p{index}"
        info: dict[str, Any] = {"alias": name}
        default = parameter.default
        documented = _has_description(annotation) or (isinstance(default, FieldInfo) and default.description)
        if description is None and not documented:
            description = docs.params.get(name)
        if description:
            info["description"] = description
        if isinstance(default, FieldInfo):
            annotation = Annotated[annotation, default]
        elif default is not inspect.Parameter.empty:
            info["default"] = default
        fields[field_name] = (annotation, Field(**info))
        params.append(_Param(name, field_name, parameter.kind is inspect.Parameter.POSITIONAL_ONLY))
    config = ConfigDict(extra="allow" if extra_kwargs else "forbid", arbitrary_types_allowed=False)
    try:
        model = create_model(f"{tool}_arguments", __config__=config, **fields)
        model.model_json_schema(by_alias=True)
    except Exception as exc:
        raise TypeError(
            f"tool '{tool}' has a parameter type that cannot be described as JSON: {exc}"
        ) from exc
    return ArgumentsModel(tool, model, params, extra_kwargs)


def _split_annotation(annotation: Any) -> tuple[Any, str | None]:
    """``Annotated[T, "text"]`` -> ``(T, "text")``; pydantic itself ignores bare strings."""
    if get_origin(annotation) is not Annotated:
        return annotation, None
    base, *metadata = get_args(annotation)
    texts = [m for m in metadata if isinstance(m, str)]
    rest = [m for m in metadata if not isinstance(m, str)]
    description = " ".join(texts) if texts else None
    if rest:
        return Annotated[(base, *rest)], description  # pyright: ignore[reportInvalidTypeArguments]
    return base, description


_TYPEDDICTS: dict[type, Any] = {}


def _compat(annotation: Any) -> Any:
    """``annotation`` with every ``typing.TypedDict`` swapped for a ``typing_extensions`` one.

    pydantic refuses ``typing.TypedDict`` before Python 3.12, but that is what users write.
    """
    if isinstance(annotation, type) and type(annotation).__module__ == "typing" and is_typeddict(annotation):
        return _convert_typeddict(annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is None or not args or origin is Literal:
        return annotation
    if origin is Annotated:
        return Annotated[(_compat(args[0]), *args[1:])]  # pyright: ignore[reportInvalidTypeArguments]
    new_args = tuple(_compat(a) for a in args)
    if new_args == args:
        return annotation
    if origin in (Union, UnionType):
        return Union[new_args]  # noqa: UP007 - built from a runtime tuple
    try:
        return origin[new_args]
    except TypeError:
        return annotation


def _convert_typeddict(cls: type) -> Any:
    if cls not in _TYPEDDICTS:
        hints = typing.get_type_hints(cls, include_extras=True)
        required: frozenset[str] = getattr(cls, "__required_keys__", frozenset())
        fields = {
            key: (Required[_compat(hint)] if key in required else NotRequired[_compat(hint)])
            for key, hint in hints.items()
        }
        converted: Any = TypedDict(cls.__name__, fields)  # type: ignore[misc]
        converted.__doc__ = cls.__doc__
        converted.__module__ = cls.__module__
        _TYPEDDICTS[cls] = converted
    return _TYPEDDICTS[cls]


def _has_description(annotation: Any) -> bool:
    if get_origin(annotation) is not Annotated:
        return False
    return any(isinstance(m, FieldInfo) and m.description for m in get_args(annotation)[1:])


# --- schema cleaning

_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = ("items", "not", "additionalProperties", "contains", "propertyNames")


def clean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic schema without titles, with ``$defs`` inlined when not recursive."""
    defs: dict[str, Any] = schema.pop("$defs", {})
    recursive = any(_refers_to_self(name, defs) for name in defs)
    result = _walk(schema, defs, inline=not recursive, seen=())
    if recursive:
        result["$defs"] = {name: _walk(d, defs, inline=False, seen=()) for name, d in defs.items()}
    return result


def _refers_to_self(name: str, defs: dict[str, Any]) -> bool:
    todo, seen = [name], set[str]()
    while todo:
        current = todo.pop()
        for ref in _refs(defs.get(current, {})):
            if ref == name:
                return True
            if ref not in seen:
                seen.add(ref)
                todo.append(ref)
    return False


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found: list[str] = []
        for key, value in typing.cast(dict[str, Any], node).items():
            if key == "$ref" and isinstance(value, str):
                found.append(value.rsplit("/", 1)[-1])
            else:
                found.extend(_refs(value))
        return found
    if isinstance(node, list):
        return [r for item in typing.cast(list[Any], node) for r in _refs(item)]
    return []


def _walk(
    node: dict[str, Any], defs: dict[str, Any], *, inline: bool, seen: tuple[str, ...]
) -> dict[str, Any]:
    ref = node.get("$ref")
    if inline and isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        target = copy.deepcopy(defs[name])
        extra = {k: v for k, v in node.items() if k != "$ref"}
        return _walk({**target, **extra}, defs, inline=inline, seen=(*seen, name))
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title":
            continue
        if key in ("properties", "$defs", "patternProperties") and isinstance(value, dict):
            props = typing.cast(dict[str, Any], value)
            out[key] = {k: _walk(v, defs, inline=inline, seen=seen) for k, v in props.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            items = typing.cast(list[Any], value)
            out[key] = [
                _walk(typing.cast(dict[str, Any], v), defs, inline=inline, seen=seen)
                if isinstance(v, dict)
                else v
                for v in items
            ]
        elif key in _SCHEMA_ONE and isinstance(value, dict):
            out[key] = _walk(typing.cast(dict[str, Any], value), defs, inline=inline, seen=seen)
        else:
            out[key] = value
    if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if out.get("type") == "object" and "properties" not in out and "additionalProperties" not in out:
        out["properties"] = {}
        out["additionalProperties"] = False
    _collapse_nullable(out)
    return out


def _collapse_nullable(node: dict[str, Any]) -> None:
    """``anyOf: [{type: T}, {type: null}]`` -> ``type: [T, "null"]``: shorter, and every provider reads it."""
    options = node.get("anyOf")
    if not isinstance(options, list) or len(typing.cast(list[Any], options)) < 2:
        return
    typed = typing.cast(list[Any], options)
    if all(isinstance(o, dict) and set(typing.cast(dict[str, Any], o)) == {"type"} for o in typed):
        types = [typing.cast(dict[str, Any], o)["type"] for o in typed]
        if all(isinstance(t, str) for t in types):
            del node["anyOf"]
            node["type"] = types


# --- error text

_EXPECTED_KINDS = {
    "expected an integer": ("int_type", "int_parsing"),
    "expected an integer (no fractional part)": ("int_from_float",),
    "expected a number": ("float_type", "float_parsing"),
    "expected a boolean (true or false)": ("bool_type", "bool_parsing"),
    "expected a string": ("string_type",),
    "expected an array": ("list_type", "tuple_type", "set_type"),
    "expected an object": ("dict_type", "model_type", "model_attributes_type", "dataclass_type"),
    "expected null": ("none_required",),
}
_EXPECTED = {kind: text for text, kinds in _EXPECTED_KINDS.items() for kind in kinds}


def describe_validation_error(
    exc: ValidationError, arguments: Any = None, accepted: list[str] | None = None
) -> list[str]:
    """One plain line per problem, e.g. ``argument 'n': expected an integer, got 'abc'``.

    ``arguments`` (the validated input) lets union-member tags be told apart from real keys in
    pydantic's error locations.
    """
    missing: list[str] = []
    wrong: dict[tuple[str, str], list[str]] = {}
    for error in exc.errors(include_url=False):
        kind = error["type"]
        loc = _format_loc(error["loc"], arguments, keep_last=kind in ("missing", "extra_forbidden"))
        if kind == "missing":
            line = f"missing required argument '{loc}'"
        elif kind == "extra_forbidden":
            line = f"unexpected argument '{loc}'"
            if accepted is not None and len(error["loc"]) == 1:
                line += f" (accepted: {', '.join(accepted) or 'none'})"
        else:
            ctx = error.get("ctx") or {}
            if kind in _EXPECTED:
                what = _EXPECTED[kind]
            elif kind in ("literal_error", "enum") and "expected" in ctx:
                what = f"expected {ctx['expected']}"
            else:
                msg = error["msg"]
                what = msg[:1].lower() + msg[1:]
            whats = wrong.setdefault((loc, _short_repr(error.get("input"))), [])
            if what not in whats:
                whats.append(what)
            continue
        if line not in missing:
            missing.append(line)
    lines = [
        # Union members fail one by one; say it once: "expected an integer or a string".
        f"argument '{loc}': {' or '.join(w if i == 0 else w.removeprefix('expected ') for i, w in enumerate(whats))}"
        f", got {got}"
        for (loc, got), whats in wrong.items()
    ]
    return (lines + missing)[:8]


def _format_loc(loc: tuple[int | str, ...], arguments: Any, *, keep_last: bool) -> str:
    text = ""
    current: Any = arguments
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(part, int) and isinstance(current, list | tuple):
            items = cast(list[Any], current)
            current = items[part] if 0 <= part < len(items) else None
            text += f"[{part}]"
        elif (
            isinstance(part, str) and isinstance(current, dict) and (part in current or (last and keep_last))
        ):
            current = cast(dict[str, Any], current).get(part)
            text += f".{part}" if text else part
        elif arguments is None:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        # Anything else is a pydantic union-member tag ("int", "function-after[...]"), not a key.
    return text or "arguments"


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
