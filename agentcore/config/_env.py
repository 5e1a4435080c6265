"""``$VAR``, ``${VAR}`` and ``${VAR:-default}`` expansion in config string values (``$$`` is a literal ``$``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, cast

from agentcore.config._yaml import KeyPath, LineMap, format_key_path, line_for
from agentcore.errors import ConfigError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNSET_HINT = "set it in the environment or use ${{{name}:-default}}"


class _ExpansionError(Exception):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def expand_env(
    data: Any,
    environ: Mapping[str, str],
    *,
    file: str | None = None,
    lines: LineMap | None = None,
    used: list[tuple[str, str]] | None = None,
) -> Any:
    """A copy of ``data`` with variables expanded in every string value (keys are left alone).

    Every value that cannot be expanded is reported: one ``ConfigError`` carrying the others.
    ``used`` collects (name, value) of each variable read, so secrets taken from the environment
    can be masked later.
    """
    result, problems = expand_env_collect(data, environ, file=file, lines=lines, used=used)
    if problems:
        raise problems[0].with_others(problems[1:])
    return result


def expand_env_collect(
    data: Any,
    environ: Mapping[str, str],
    *,
    file: str | None = None,
    lines: LineMap | None = None,
    used: list[tuple[str, str]] | None = None,
) -> tuple[Any, list[ConfigError]]:
    """Like :func:`expand_env`, but returns the problems; values that failed are left unexpanded."""
    problems: list[ConfigError] = []
    result = _expand(data, (), _Lookup(environ, used), file, lines or {}, problems)
    return result, problems


class _Lookup:
    def __init__(self, environ: Mapping[str, str], used: list[tuple[str, str]] | None) -> None:
        self.environ = environ
        self.used = used

    def __call__(self, name: str) -> str | None:
        value = self.environ.get(name)
        if value is not None and self.used is not None:
            self.used.append((name, value))
        return value


def _expand(
    data: Any,
    path: KeyPath,
    lookup: _Lookup,
    file: str | None,
    lines: LineMap,
    problems: list[ConfigError],
) -> Any:
    if isinstance(data, str):
        try:
            return expand_string(data, lookup)
        except _ExpansionError as exc:
            problems.append(
                ConfigError(
                    exc.message,
                    key_path=format_key_path(path) or None,
                    file=file,
                    line=line_for(lines, path),
                    hint=exc.hint,
                )
            )
            return data
    if isinstance(data, dict):
        mapping = cast(dict[Any, Any], data)
        return {k: _expand(v, (*path, str(k)), lookup, file, lines, problems) for k, v in mapping.items()}
    if isinstance(data, list):
        items = cast(list[Any], data)
        return [_expand(v, (*path, i), lookup, file, lines, problems) for i, v in enumerate(items)]
    return data


def expand_string(text: str, lookup: Callable[[str], str | None]) -> str:
    """``text`` with its variables replaced; raises ``_ExpansionError`` for an unset one without default."""
    if "$" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char != "$":
            out.append(char)
            i += 1
            continue
        following = text[i + 1] if i + 1 < n else ""
        if following == "$":
            out.append("$")
            i += 2
        elif following == "{":
            end = _closing_brace(text, i + 2)
            out.append(_braced(text[i + 2 : end], lookup))
            i = end + 1
        elif match := _NAME.match(text, i + 1):
            out.append(_required(match.group(), lookup))
            i = match.end()
        else:
            # "$5" or a trailing "$" is plain text, as in a shell.
            out.append("$")
            i += 1
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    # Defaults may themselves contain ${...}, so braces are counted rather than searched for.
    depth = 1
    for pos in range(start, len(text)):
        if text[pos] == "{":
            depth += 1
        elif text[pos] == "}":
            depth -= 1
            if depth == 0:
                return pos
    raise _ExpansionError("unclosed '${' in value", hint="close it with '}' or write '$$' for a literal '$'")


def _braced(inner: str, lookup: Callable[[str], str | None]) -> str:
    name, sep, default = inner.partition(":-")
    if not _NAME.fullmatch(name):
        raise _ExpansionError(
            f"invalid variable name '{name}' in '${{{inner}}}'",
            hint="names are letters, digits and '_'; write '$$' for a literal '$'",
        )
    if not sep:
        return _required(name, lookup)
    value = lookup(name)
    # As in a shell, ':-' also replaces a variable that is set but empty.
    return value if value else expand_string(default, lookup)


def _required(name: str, lookup: Callable[[str], str | None]) -> str:
    value = lookup(name)
    if value is None:
        raise _ExpansionError(f"environment variable '{name}' is not set", hint=_UNSET_HINT.format(name=name))
    return value
