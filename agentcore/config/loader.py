"""Finding, reading and validating ``cipher.yml``; every mistake becomes one ``ConfigError`` line."""

from __future__ import annotations

import contextlib
import os
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agentcore._redact import is_secret_env, is_secret_header, is_secret_key, register_secret
from agentcore.config._checks import control_characters, read_bounded
from agentcore.config._env import expand_env, expand_env_collect
from agentcore.config._validation import INTERNAL_FIELDS, convert_validation_error, describe_value
from agentcore.config._yaml import KeyPath, LineMap, format_key_path, line_for, parse_yaml
from agentcore.config.schema import AgentConfig
from agentcore.errors import ConfigError, ConfigNotFound
from agentcore.llm.providers.http import check as http_check

CONFIG_ENV_VAR = "AGENTCORE_CONFIG"
CONFIG_NAME = "cipher.yml"
MAX_CONFIG_BYTES = 1024 * 1024  # configs are a few KiB; this bounds the memory a wrong file can take


def find_config(explicit: str | Path | None) -> Path:
    """The config file to use: ``explicit``, else ``$AGENTCORE_CONFIG``, else ./cipher.yml, else ~/.config."""
    if explicit is not None and str(explicit) != "":
        return _existing(Path(explicit), "--config")
    from_env = os.environ.get(CONFIG_ENV_VAR)
    if from_env:
        return _existing(Path(from_env), f"${CONFIG_ENV_VAR}")
    candidates = [Path.cwd() / CONFIG_NAME, Path.home() / ".config" / "agentcore" / CONFIG_NAME]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise ConfigNotFound(
        f"no {CONFIG_NAME} found (looked at --config, ${CONFIG_ENV_VAR}, {looked})",
        hint=f"copy the example {CONFIG_NAME} into this folder or pass --config PATH",
    )


def _existing(path: Path, origin: str) -> Path:
    path = path.expanduser()
    if path.is_dir():
        raise ConfigError(f"the config path from {origin} is a folder, not a file: {path}")
    if path.exists() and not path.is_file():
        raise ConfigError(f"the config path from {origin} is not a regular file: {path}")
    if not path.is_file():
        raise ConfigError(
            f"the config file from {origin} does not exist: {path}",
            hint="check the path, or copy the example cipher.yml there",
        )
    return path


def load_config(path: str | Path | None = None, *, overrides: dict[str, Any] | None = None) -> AgentConfig:
    """Read, expand and validate the config file (found with :func:`find_config`); ``overrides`` win."""
    file = find_config(path)
    shown = str(file)
    text = _read(file, shown)
    raw, lines = parse_yaml(text, shown)
    if raw is None:
        raise ConfigError(
            "the file is empty",
            file=shown,
            hint="it needs at least an 'llm:' section with provider and model",
        )
    if not isinstance(raw, dict):
        raise ConfigError(
            f"expected a mapping of keys at the top level, got {describe_value(raw)}",
            file=shown,
            line=1,
            hint="start with 'llm:'",
        )
    http_check.check_raw(raw, shown, lines)  # ${model} meant as {{model}}: say so before expansion fails
    used: list[tuple[str, str]] = []
    data, env_problems = expand_env_collect(raw, os.environ, file=shown, lines=lines, used=used)
    _register_env_secrets(used)
    overridden: list[KeyPath] = []
    if overrides:
        _merge(data, overrides, (), overridden)
    config = _validate(data, file=shown, lines=lines, overridden=overridden, earlier=env_problems)
    config.base_dir = file.resolve().parent
    config.source = file.resolve()
    http_check.check_config(config, shown, lines)
    config._lines = {format_key_path(k): v for k, v in lines.items()}  # pyright: ignore[reportPrivateUsage]
    return config


def _read(file: Path, shown: str) -> str:
    try:
        data = read_bounded(file, MAX_CONFIG_BYTES)
        if data is None:
            raise ConfigError(
                f"the file is over the {MAX_CONFIG_BYTES // 1024} KiB a config may have",
                file=shown,
                hint="is this the right file? put long prompts in a file named by systemPrompt.file",
            )
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", file=shown) from None
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise ConfigError("the file contains a NUL byte: it is not a text file", file=shown, line=line)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            "the file is not UTF-8 text", file=shown, line=line, hint="save it as UTF-8"
        ) from None


def load_config_from_dict(data: Mapping[str, Any], *, base_dir: Path | None = None) -> AgentConfig:
    """Validate config data given in code (env expansion included); relative paths resolve to ``base_dir``."""
    if not isinstance(data, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigError(f"expected a mapping of keys, got {describe_value(data)}")
    used: list[tuple[str, str]] = []
    expanded = expand_env(dict(data), os.environ, used=used)
    _register_env_secrets(used)
    config = _validate(expanded, file=None, lines={}, overridden=[])
    config.base_dir = (base_dir or Path.cwd()).resolve()
    http_check.check_config(config)
    return config


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema of ``cipher.yml`` (keys as users write them), for editor completion."""
    schema = AgentConfig.model_json_schema(by_alias=True)
    properties: dict[str, Any] = schema.get("properties", {})
    for name in INTERNAL_FIELDS:
        properties.pop(name, None)
    if "required" in schema:
        schema["required"] = [r for r in schema["required"] if r not in INTERNAL_FIELDS]
    return schema


def _merge(target: dict[str, Any], extra: Mapping[str, Any], path: KeyPath, leaves: list[KeyPath]) -> None:
    for key, value in extra.items():
        current = target.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict):
            _merge(
                typing.cast(dict[str, Any], current),
                typing.cast(Mapping[str, Any], value),
                (*path, key),
                leaves,
            )
        else:
            target[key] = value
            leaves.append((*path, key))


def _validate(
    data: dict[str, Any],
    *,
    file: str | None,
    lines: LineMap,
    overridden: list[KeyPath],
    earlier: list[ConfigError] | None = None,
) -> AgentConfig:
    # Problems found before validation (unset variables) come first; a value that could not be
    # expanded is not reported a second time by the schema.
    problems: list[ConfigError] = list(earlier or [])
    skip = {p.key_path for p in problems}
    for name in INTERNAL_FIELDS:
        if name in data:
            problems.append(
                ConfigError(
                    f"unknown key '{name}'",
                    key_path=name,
                    file=file,
                    line=lines.get((name,)),
                    hint="it is set by agentcore itself",
                )
            )
    for path, char in control_characters(data):
        if not char.startswith("U+"):
            problems.append(
                ConfigError(
                    f"the key {path[-1]} is not text",
                    key_path=format_key_path(path),
                    file=file,
                    line=line_for(lines, path),
                    hint="quote it",
                )
            )
            continue
        problems.append(
            ConfigError(
                f"the value contains a control character ({char})",
                key_path=format_key_path(path) or None,
                file=file,
                line=line_for(lines, path),
                hint="remove it; only tabs and newlines are allowed in text",
            )
        )
    try:
        config = AgentConfig.model_validate(data)
    except ValidationError as exc:
        error = convert_validation_error(exc, data, file, lines, overridden)
        problems.extend(
            p
            for p in error.problems()
            if p.key_path not in skip and not p.message.startswith("keys should be strings")
        )
        config = None
    except RecursionError:
        problems.append(ConfigError("the config is nested too deeply", file=file))
        config = None
    if problems or config is None:
        raise problems[0].with_others(problems[1:])
    _register_secrets(config)
    return config


def _register_env_secrets(used: list[tuple[str, str]]) -> None:
    # A value read from OPENAI_API_KEY or DB_PASSWORD is a secret wherever the config puts it.
    for name, value in used:
        if is_secret_env(name):
            register_secret(value)


def _register_secrets(config: AgentConfig) -> None:
    llm = config.llm
    register_secret(llm.api_key)
    if llm.aws is not None:
        for value in (llm.aws.access_key_id, llm.aws.secret_access_key, llm.aws.session_token):
            register_secret(value)
    # Every configured header value is a credential unless the header is a plain one (Accept...):
    # custom auth headers (Ocp-Apim-Subscription-Key, X-Custom-Auth) have no recognisable name.
    for key, value in llm.headers.items():
        if is_secret_header(key):
            register_secret(_credential(value))
    targets = [*config.models.values()]
    targets += [t for p in config.profiles.values() for t in p.targets if not isinstance(t, str)]
    for target in targets:
        register_secret(target.api_key)
        for key, value in target.headers.items():
            if is_secret_header(key):
                register_secret(_credential(value))
    for server in config.mcp_servers.values():
        for key, value in server.headers.items():
            if is_secret_header(key):
                register_secret(_credential(value))
        for key, value in server.env.items():
            if is_secret_key(key) or is_secret_env(key):
                register_secret(value)
    if config.storage.url:
        from urllib.parse import urlsplit

        with contextlib.suppress(ValueError):
            register_secret(urlsplit(config.storage.url).password)


def _credential(header_value: str) -> str:
    # "Bearer abc" is masked as a whole and by its token, which is what leaks on its own.
    register_secret(header_value)
    scheme, _, token = header_value.partition(" ")
    return token.strip() if token and scheme.isalpha() else header_value
