"""Claude Desktop / Cursor / VS Code ``mcpServers`` JSON to cipher.yml entries (``agentcore mcp import``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, cast

from agentcore.errors import ConfigError

__all__ = ["check_merged", "entries_yaml", "merge_into_config", "read_servers_file"]

# What cipher.yml's McpServerConfig knows; anything else in the source file is dropped with a note.
_KEPT = ("type", "command", "args", "env", "cwd", "url", "headers", "timeout")
_TYPES = {
    "stdio": "stdio",
    "sse": "sse",
    "http": "streamable-http",
    "streamable-http": "streamable-http",
    "streamable_http": "streamable-http",
    "streamableHttp": "streamable-http",
}


def read_servers_file(path: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The servers of a Claude Desktop / Cursor (``mcpServers``) or VS Code (``servers``) JSON file.

    Returns the cipher.yml entries and notes about what was changed or dropped.
    """
    shown = str(path)
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no such file: {path}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON: {exc.msg}", file=shown, line=exc.lineno) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the file: {exc}", file=shown) from None
    if not isinstance(data, dict):
        raise ConfigError("expected a JSON object with an 'mcpServers' key", file=shown)
    top = cast(dict[str, Any], data)
    servers: Any = top.get("mcpServers", top.get("servers"))
    if not isinstance(servers, dict):
        raise ConfigError(
            "no 'mcpServers' object found",
            file=shown,
            hint='expected Claude Desktop\'s or Cursor\'s shape: {"mcpServers": {"name": {...}}}',
        )
    entries: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for name, raw in cast(dict[str, Any], servers).items():
        if not isinstance(raw, dict):
            notes.append(f"skipped '{name}': not an object")
            continue
        entry, entry_notes = _convert(name, cast(dict[str, Any], raw))
        notes.extend(entry_notes)
        if entry is not None:
            entries[name] = entry
    return entries, notes


def _convert(name: str, raw: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    notes: list[str] = []
    entry: dict[str, Any] = {}
    if "type" in raw:
        kind = _TYPES.get(str(raw["type"]))
        if kind is None:
            return None, [f"skipped '{name}': unknown transport type {raw['type']!r}"]
        entry["type"] = kind
    for key in _KEPT[1:]:
        if key in raw and raw[key] not in (None, [], {}):
            entry[key] = raw[key]
    if "command" not in entry and "url" not in entry:
        return None, [f"skipped '{name}': it has neither 'command' nor 'url'"]
    for key in ("command", "cwd", "url"):
        if isinstance(entry.get(key), str):
            entry[key] = _escape(entry[key], f"{name}.{key}", notes)
    if isinstance(entry.get("args"), list):
        entry["args"] = [
            _escape(a, f"{name}.args[{i}]", notes) if isinstance(a, str) else a
            for i, a in enumerate(cast(list[Any], entry["args"]))
        ]
    for key in ("env", "headers"):
        if isinstance(entry.get(key), dict):
            entry[key] = {
                k: _escape(v, f"{name}.{key}.{k}", notes) if isinstance(v, str) else v
                for k, v in cast(dict[str, Any], entry[key]).items()
            }
    if raw.get("disabled") is True:
        entry["enabled"] = False
    dropped = sorted(k for k in raw if k not in (*_KEPT, "disabled"))
    if dropped:
        notes.append(f"'{name}': dropped keys cipher.yml does not use: {', '.join(dropped)}")
    return entry, notes


# Editor variables (Cursor, VS Code): ``${env:NAME}`` maps onto our ``${NAME}``, ``${userHome}`` onto
# ``${HOME}``; the rest (``${workspaceFolder}``, ``${input:...}``...) only mean something inside the editor.
_EDITOR_VAR = re.compile(r"\$\{([A-Za-z]+)(?::([^}]*))?\}")


def _escape(value: str, where: str, notes: list[str]) -> str:
    """A source value as a cipher.yml value: literal ``$`` doubled, editor variables translated.

    The source files do not expand ``$NAME`` (Claude Desktop passes values as written), while
    cipher.yml does: an unescaped ``p@$$w0rd`` would load as ``p@$w0rd``.
    """
    out: list[str] = []
    pos = 0
    for match in _EDITOR_VAR.finditer(value):
        out.append(value[pos : match.start()].replace("$", "$$"))
        pos = match.end()
        kind, arg = match.group(1), match.group(2)
        if kind == "env" and arg and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", arg):
            out.append("${" + arg + "}")
        elif kind == "userHome" and arg is None:
            out.append("${HOME}")
        else:
            notes.append(
                f"'{where}': {match.group(0)} is an editor variable with no meaning here; "
                "it was kept as literal text: replace it in cipher.yml"
            )
            out.append(match.group(0).replace("$", "$$"))
    out.append(value[pos:].replace("$", "$$"))
    return "".join(out)


def entries_yaml(entries: dict[str, dict[str, Any]], *, with_key: bool = True) -> str:
    """The entries as YAML (under an ``mcpServers:`` key unless ``with_key`` is false)."""
    import yaml

    body = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, default_flow_style=False)
    if not with_key:
        return body
    return "mcpServers:\n" + "".join(f"  {line}\n" if line else "\n" for line in body.splitlines())


_TOP_KEY = re.compile(r"^mcpServers\s*:\s*(.*?)\s*$")


def merge_into_config(text: str, entries: dict[str, dict[str, Any]], *, replace: bool = False) -> str:
    """``text`` (a cipher.yml) with ``entries`` added under ``mcpServers``, keeping its comments.

    Raises ``ConfigError`` for a name already configured unless ``replace``.
    """
    import yaml

    current: Any = yaml.safe_load(text) if text.strip() else {}
    existing: Any = cast(dict[str, Any], current).get("mcpServers") if isinstance(current, dict) else None
    existing_names = set(cast(dict[str, Any], existing)) if isinstance(existing, dict) else set[str]()
    clash = sorted(set(entries) & existing_names)
    if clash and not replace:
        raise ConfigError(
            f"already in the config: {', '.join(clash)}",
            key_path="mcpServers",
            hint="pass --replace to overwrite them, or rename them in the source file",
        )
    lines = text.splitlines()
    if clash:
        # Each replaced entry is rewritten where it stands; every other line (comments included) stays.
        lines = _replace_entries(lines, {name: entries[name] for name in clash})
        entries = {name: entry for name, entry in entries.items() if name not in clash}
        if not entries:
            return "\n".join(lines) + "\n"
    for index, line in enumerate(lines):
        match = _TOP_KEY.match(line)
        if match is None:
            continue
        inline = match.group(1)
        if inline and not inline.startswith("#") and inline not in ("{}", "null", "~"):
            # A flow mapping ``mcpServers: {...}``: re-dump the whole block.
            data = cast(dict[str, Any], current)
            data["mcpServers"] = {**cast(dict[str, Any], existing or {}), **entries}
            return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        indent = _child_indent(lines[index + 1 :])
        block = [" " * indent + part for part in entries_yaml(entries, with_key=False).splitlines() if part]
        head = [*lines[:index], "mcpServers:", *block]
        return "\n".join(head + lines[index + 1 :]) + "\n"
    sep = "" if not text or text.endswith("\n") else "\n"
    return text + sep + "\n" + entries_yaml(entries)


def _replace_entries(lines: list[str], new: dict[str, dict[str, Any]]) -> list[str]:
    """``lines`` with the block-style ``mcpServers`` children named in ``new`` rewritten in place."""
    out: list[str] = []
    inside = False
    indent = 0
    dropping = False
    for index, line in enumerate(lines):
        stripped = line.lstrip()
        width = len(line) - len(stripped)
        if _TOP_KEY.match(line):
            inside, dropping = True, False
            indent = _child_indent(lines[index + 1 :])
            out.append(line)
            continue
        if inside and stripped and not stripped.startswith("#") and width == 0:
            inside = dropping = False
        if inside and stripped and width <= indent and stripped.startswith("#"):
            dropping = False  # a comment at entry level belongs to the next entry
        elif inside and stripped and width == indent:
            key = stripped.split(":", 1)[0].strip().strip("'\"")
            dropping = key in new
            if dropping:
                body = entries_yaml({key: new[key]}, with_key=False).splitlines()
                out.extend(" " * indent + part for part in body if part)
        elif inside and dropping and stripped and width < indent:
            dropping = False
        if not dropping:
            out.append(line)
    return out


def _child_indent(rest: list[str]) -> int:
    for line in rest:
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        width = len(line) - len(stripped)
        return width if width > 0 else 2
    return 2


def check_merged(text: str, entries: dict[str, dict[str, Any]], file: str) -> None:
    """Raise ``ConfigError`` unless ``text`` parses and holds every entry as a valid server config."""
    import yaml
    from pydantic import ValidationError

    from agentcore.config.schema import McpServerConfig

    data: Any = yaml.safe_load(text)
    servers: Any = cast(dict[str, Any], data).get("mcpServers") if isinstance(data, dict) else None
    if not isinstance(servers, dict) or not set(entries) <= set(cast(dict[str, Any], servers)):
        raise ConfigError("merging the servers would not produce a valid mcpServers block", file=file)
    for name in entries:
        try:
            McpServerConfig.model_validate(cast(dict[str, Any], servers)[name])
        except ValidationError as exc:
            problem = exc.errors()[0]["msg"]
            raise ConfigError(
                f"imported server is invalid: {problem}", key_path=f"mcpServers.{name}", file=file
            ) from None
