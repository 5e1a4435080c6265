"""YAML parsing that remembers the line of every key, so config errors can point at it."""

from __future__ import annotations

from typing import Any, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from agentcore.errors import ConfigError

KeyPath = tuple[str | int, ...]
LineMap = dict[KeyPath, int]


def format_key_path(path: KeyPath) -> str:
    """``("mcpServers", "fs", "args", 0)`` -> ``mcpServers.fs.args[0]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text = f"{text}.{part}" if text else part
    return text


def line_for(lines: LineMap, path: KeyPath) -> int | None:
    """The line of ``path``, or of its nearest parent that has one (a missing key has no line)."""
    for end in range(len(path), 0, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None


def parse_yaml(text: str, file: str) -> tuple[Any, LineMap]:
    """The document in ``text`` plus a map key path -> 1-based line; YAML errors become ConfigError."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: LineMap = {}
        _collect_lines(node, (), lines, file)
        data = cast(Any, loader.construct_document(node))  # pyright: ignore[reportUnknownArgumentType]
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, file) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=file) from None
    finally:
        loader.dispose()
    return data, lines


def _syntax_error(exc: yaml.MarkedYAMLError, file: str) -> ConfigError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "cannot parse"
    if exc.context and exc.problem:
        problem = f"{problem} ({exc.context})"
    hint = None
    if "\\t" in problem or "\t" in problem:
        hint = "indent with spaces, not tabs"
    elif "could not find expected ':'" in problem or "mapping values are not allowed" in problem:
        hint = "check the indentation and that every key is followed by ': '"
    return ConfigError(
        f"invalid YAML: {problem}",
        file=file,
        line=mark.line + 1 if mark is not None else None,
        hint=hint,
    )


def _collect_lines(node: Node, path: KeyPath, lines: LineMap, file: str) -> None:
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        pairs: list[tuple[Node, Node]] = node.value
        for key_node, value_node in pairs:
            if not isinstance(key_node, ScalarNode):
                continue
            key = str(key_node.value)
            if key == "<<":  # a merge key: its keys belong to this mapping, lines stay with the anchor
                continue
            line = key_node.start_mark.line + 1
            if key in seen:
                # PyYAML keeps the last value silently; a config that says two things is a mistake.
                raise ConfigError(
                    f"duplicate key '{key}'",
                    key_path=format_key_path((*path, key)),
                    file=file,
                    line=line,
                    hint="keep only one of them",
                )
            seen.add(key)
            lines[(*path, key)] = line
            _collect_lines(value_node, (*path, key), lines, file)
    elif isinstance(node, SequenceNode):
        items: list[Node] = node.value
        for index, item in enumerate(items):
            lines[(*path, index)] = item.start_mark.line + 1
            _collect_lines(item, (*path, index), lines, file)
