"""``config check`` for ``llm.http``: template variables, converters, regexes and paths, by key path.

Two hooks for the config loader: :func:`check_raw` runs before environment expansion (it catches
``${model}`` written where ``{{model}}`` was meant, which expansion would report as an unset
environment variable), :func:`check_config` after validation.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from agentcore.config._yaml import KeyPath, LineMap, format_key_path, line_for
from agentcore.errors import ConfigError
from agentcore.llm.providers.http._paths import path_problem
from agentcore.llm.providers.http._template import BASE_VARIABLES, name_problem, refs
from agentcore.llm.providers.http.converters import BUILTIN

if TYPE_CHECKING:
    from agentcore.config.http_schema import HttpProviderConfig, HttpToolCallsMapping, HttpUsageMapping
    from agentcore.config.schema import AgentConfig, LLMConfig

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TEMPLATE_BLOCKS = ("auth", "chat")
_TEMPLATE_KEYS = ("url", "headers", "params", "body")


def check_raw(raw: Any, file: str | None = None, lines: LineMap | None = None) -> None:
    """Before env expansion: ``${model}`` in an http template is a template variable in the wrong syntax."""
    http = _dig(raw, "llm", "http")
    if not isinstance(http, dict):
        return
    http_map = cast(dict[str, Any], http)
    names = set(BASE_VARIABLES) | set(_set_data_names(http_map))
    for block in _TEMPLATE_BLOCKS:
        section = http_map.get(block)
        if not isinstance(section, dict):
            continue
        for key in _TEMPLATE_KEYS:
            for path, text in _strings(cast(dict[str, Any], section).get(key), ("llm", "http", block, key)):
                for match in _ENV_REF.finditer(text):
                    name = match.group(1)
                    if name in names and os.environ.get(name) is None:
                        raise ConfigError(
                            f"'${{{name}}}' is an environment variable here, and '{name}' is not set",
                            key_path=format_key_path(path),
                            file=file,
                            line=line_for(lines or {}, path),
                            hint=f"template variables are written {{{{{name}}}}}; ${{...}} means the environment",
                        )


def check_config(config: AgentConfig, file: str | None = None, lines: LineMap | None = None) -> None:
    """After validation: the whole ``llm.http`` block; resolves ``userKeys.file`` against the config folder."""
    http = config.llm.http
    if http is not None and http.user_keys is not None and http.user_keys.file:
        http.user_keys.file = str(config.resolve_path(Path(http.user_keys.file)))
    try:
        check_llm(config.llm)
    except ConfigError as exc:
        if file is None or exc.file is not None:
            raise
        path = tuple(_parse(exc.key_path)) if exc.key_path else ()
        raise ConfigError(
            exc.message, key_path=exc.key_path, file=file, line=line_for(lines or {}, path), hint=exc.hint
        ) from None


def check_llm(llm: LLMConfig) -> None:
    """Raise ConfigError (with the key path) for the first problem of ``llm.http``."""
    http = llm.http
    if llm.provider == "http" and http is None:
        raise ConfigError(
            "llm.provider is 'http' but there is no 'http:' block describing the API",
            key_path="llm.http",
            hint="see docs/http-providers.md",
        )
    if http is None:
        return
    _check_templates(http)
    _check_paths(http)
    _check_stream(http)
    keys = http.user_keys
    if keys is not None and keys.env and "{{user}}" not in keys.env.replace(" ", ""):
        raise ConfigError(
            "the env pattern must contain {{user}}",
            key_path="llm.http.userKeys.env",
            hint="e.g. ERNIE_KEY_{{user}}",
        )


def _check_templates(http: HttpProviderConfig) -> None:
    auth_names = list(http.auth.set_data) if http.auth else []
    for name in auth_names:
        if name in BASE_VARIABLES:
            raise ConfigError(
                f"setData name '{name}' would hide the template variable of that name",
                key_path=f"llm.http.auth.setData.{name}",
            )
    blocks: list[tuple[str, Any, list[str]]] = [("chat", http.chat, [*BASE_VARIABLES, *auth_names])]
    if http.auth is not None:
        blocks.append(("auth", http.auth, list(BASE_VARIABLES)))
    for block_name, block, allowed in blocks:
        for key in _TEMPLATE_KEYS:
            prefix = f"llm.http.{block_name}.{key}"
            for ref in refs(getattr(block, key)):
                where = f"{prefix}.{ref.where}" if ref.where else prefix
                problem = name_problem(ref.name)
                if problem is None and ref.name not in allowed:
                    close = difflib.get_close_matches(ref.name, allowed, n=1)
                    extra = " (setData names are for the chat request only)" if ref.name in auth_names else ""
                    raise ConfigError(
                        f"unknown template variable '{ref.name}'{extra}",
                        key_path=where,
                        hint=(f"did you mean '{close[0]}'? " if close else "")
                        + "variables: "
                        + ", ".join(allowed),
                    )
                if problem is not None:
                    raise ConfigError(problem, key_path=where, hint="write {{name}} or {{name | converter}}")
                for conv in ref.converters:
                    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", conv):
                        raise ConfigError(
                            f"'{conv}' is not a converter name",
                            key_path=where,
                            hint="built-in converters: " + ", ".join(BUILTIN),
                        )


def mapping_paths(http: HttpProviderConfig) -> Iterator[tuple[str, str]]:
    response = http.response
    for key, value in (("text", response.text), ("finishReason", response.finish_reason)):
        if value is not None:
            yield f"llm.http.response.{key}", value
    yield from _calls_paths("llm.http.response.toolCalls", response.tool_calls)
    yield from _usage_paths("llm.http.response.usage", response.usage)
    for key in ("message", "code"):
        value = getattr(response.error, key)
        if value is not None:
            yield f"llm.http.response.error.{key}", value
    stream = http.stream
    for key, value in (("text", stream.text), ("finishReason", stream.finish_reason), ("done", stream.done)):
        if value is not None:
            yield f"llm.http.stream.{key}", value
    yield from _calls_paths("llm.http.stream.toolCalls", stream.tool_calls)
    yield from _usage_paths("llm.http.stream.usage", stream.usage)
    for index, rule in enumerate(stream.chunk_filter):
        yield f"llm.http.stream.chunkFilter[{index}].path", rule.path
    if http.auth is not None:
        for name, value in http.auth.set_data.items():
            yield f"llm.http.auth.setData.{name}", value
        if isinstance(http.auth.expires_in, str):
            yield "llm.http.auth.expiresIn", http.auth.expires_in


def _calls_paths(prefix: str, mapping: HttpToolCallsMapping | None) -> Iterator[tuple[str, str]]:
    if mapping is None:
        return
    for key in ("path", "id", "name", "arguments", "index"):
        value = getattr(mapping, key)
        if value is not None:
            yield f"{prefix}.{key}", value


def _usage_paths(prefix: str, mapping: HttpUsageMapping | None) -> Iterator[tuple[str, str]]:
    if mapping is None:
        return
    for key in ("prompt", "completion", "cached", "total"):
        value = getattr(mapping, key)
        if value is not None:
            yield f"{prefix}.{key}", value


def _check_paths(http: HttpProviderConfig) -> None:
    for key_path, path in mapping_paths(http):
        problem = path_problem(path)
        if problem is not None:
            raise ConfigError(
                f"bad path: {problem}", key_path=key_path, hint="e.g. choices.0.message.content"
            )
    if http.response.text is None and http.response.tool_calls is None:
        raise ConfigError(
            "the response mapping needs at least 'text' (a dotted path to the answer's text)",
            key_path="llm.http.response.text",
            hint="e.g. choices.0.message.content",
        )


def _check_stream(http: HttpProviderConfig) -> None:
    stream = http.stream
    if stream.chunk_match is not None:
        try:
            pattern = re.compile(stream.chunk_match)
        except re.error as exc:
            raise ConfigError(
                f"bad regular expression: {exc}",
                key_path="llm.http.stream.chunkMatch",
                hint="e.g. 'data: (.*)'",
            ) from None
        if pattern.groups > 1:
            raise ConfigError(
                f"the regex has {pattern.groups} groups; it needs one (or none)",
                key_path="llm.http.stream.chunkMatch",
                hint="use (?:...) for groups that are not the JSON",
            )
    for index, rule in enumerate(stream.chunk_filter):
        if rule.op == "in" and not isinstance(rule.value, list):
            raise ConfigError(
                "op 'in' needs a list value", key_path=f"llm.http.stream.chunkFilter[{index}].value"
            )


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = cast(dict[str, Any], data).get(key)
    return data


def _set_data_names(http: dict[str, Any]) -> list[str]:
    auth = http.get("auth")
    set_data = cast(dict[str, Any], auth).get("setData") if isinstance(auth, dict) else None
    return [str(k) for k in cast(dict[Any, Any], set_data)] if isinstance(set_data, dict) else []


def _strings(value: Any, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in cast(dict[Any, Any], value).items():
            yield from _strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(cast(list[Any], value)):
            yield from _strings(item, (*path, index))


def _parse(key_path: str) -> Iterator[str | int]:
    for match in re.finditer(r"([^.\[\]]+)|\[(\d+)\]", key_path):
        yield int(match.group(2)) if match.group(2) else match.group(1)
