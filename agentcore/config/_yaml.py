"""YAML parsing that remembers the line of every key, so config errors can point at it."""

from __future__ import annotations

from collections.abc import Iterator
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


# A config is a few hundred lines: these bounds stop alias bombs and runaway nesting long before they
# cost memory or hit Python's recursion limit, and no real config comes near them.
MAX_DEPTH = 40
MAX_NODES = 20_000


def parse_yaml(text: str, file: str) -> tuple[Any, LineMap]:
    """The document in ``text`` plus a map key path -> 1-based line; YAML errors become ConfigError."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, file) from None
    try:
        _check_depth(text, file)
        node = loader.get_single_node()
        if node is None:
            return None, {}
        _check_size(node, file)
        lines: LineMap = {}
        _collect_lines(node, (), lines, file)
        try:
            data = cast(Any, loader.construct_document(node))  # pyright: ignore[reportUnknownArgumentType]
        except (ValueError, OverflowError) as exc:  # e.g. an integer of 5,000 digits
            raise _value_error(node, lines, file, exc) from None
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, file) from None
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, file) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=file) from None
    except RecursionError:
        raise ConfigError(
            "the YAML is nested too deeply", file=file, line=loader.line + 1, hint=_NESTING_HINT
        ) from None
    finally:
        loader.dispose()
    return data, lines


_NESTING_HINT = f"a config needs far fewer than {MAX_DEPTH} levels"
_OPENS = (
    yaml.BlockMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.FlowSequenceStartToken,
)
_CLOSES = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def _check_depth(text: str, file: str) -> None:
    # PyYAML composes nodes recursively; this token pass is flat, so it can refuse deep nesting first.
    keys: list[str | None] = []
    expect_key = False
    tokens = cast(Iterator[yaml.Token], yaml.scan(text, Loader=yaml.SafeLoader))  # pyright: ignore[reportUnknownMemberType]
    for token in tokens:
        if isinstance(token, _OPENS):
            keys.append(None)
            if len(keys) > MAX_DEPTH:
                path = tuple(k for k in keys if k is not None)
                raise ConfigError(
                    f"the YAML is nested more than {MAX_DEPTH} levels deep",
                    key_path=format_key_path(path) or None,
                    file=file,
                    line=token.start_mark.line + 1,
                    hint=_NESTING_HINT,
                )
        elif isinstance(token, _CLOSES):
            if keys:
                keys.pop()
        elif isinstance(token, yaml.KeyToken):
            expect_key = True
            continue
        elif isinstance(token, yaml.ScalarToken) and expect_key and keys:
            keys[-1] = str(token.value)  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        expect_key = False


def _value_error(root: Node, lines: LineMap, file: str, exc: Exception) -> ConfigError:
    # Find the scalar that cannot be built by building each one alone (configs are small).
    constructor = yaml.SafeLoader("")
    pending: list[tuple[KeyPath, int, Node]] = [((), 1, root)]
    while pending:
        path, line, node = pending.pop()
        if isinstance(node, ScalarNode):
            try:
                constructor.construct_object(node)  # pyright: ignore[reportUnknownMemberType]
            except (ValueError, OverflowError, yaml.YAMLError):
                reason = (
                    "the number has too many digits"
                    if "digits" in str(exc)
                    else f"cannot read the value: {exc}"
                )
                return ConfigError(reason, key_path=format_key_path(path) or None, file=file, line=line)
        pending.extend(reversed(_children(node, path, line)))
    return ConfigError(f"cannot read a value: {exc}", file=file)


def _reader_error(exc: yaml.reader.ReaderError, text: str, file: str) -> ConfigError:
    position = max(0, min(exc.position, len(text)))
    line = text.count("\n", 0, position) + 1
    char: Any = exc.character
    shown = f"U+{ord(char) if isinstance(char, str) else int(char):04X}"
    return ConfigError(
        f"the file contains a control character ({shown}) that YAML does not allow",
        file=file,
        line=line,
        hint="remove it; write escapes such as \\t inside double quotes if you need them",
    )


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


def _check_size(root: Node, file: str) -> None:
    """Refuse recursive aliases, and documents whose aliases expand past ``MAX_NODES`` values."""
    sizes: dict[int, int] = {}

    def measure(node: Node, path: KeyPath, line: int, active: set[int]) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if id(node) in active:
            raise ConfigError(
                "an alias refers to a value that contains it (a recursive alias)",
                key_path=format_key_path(path) or None,
                file=file,
                line=line,
                hint="an alias (*name) can only repeat an anchor (&name) defined outside it",
            )
        total = 1
        active.add(id(node))
        for child_path, child_line, child in _children(node, path, line):
            # Capped, so sizes stay small numbers however many times an alias repeats an alias.
            total = min(total + measure(child, child_path, child_line, active), MAX_NODES + 1)
        active.discard(id(node))
        sizes[id(node)] = total
        return total

    if measure(root, (), 1, set()) <= MAX_NODES:
        return
    # Point at the innermost key whose value alone is too big: that is where the aliases multiply.
    path: KeyPath = ()
    line = 1
    node = root
    while True:
        bigger = next(
            ((p, ln, c) for p, ln, c in _children(node, path, line) if sizes[id(c)] > MAX_NODES), None
        )
        if bigger is None:
            break
        path, line, node = bigger
    raise ConfigError(
        f"the YAML expands to more than {MAX_NODES} values (aliases repeated inside aliases?)",
        key_path=format_key_path(path) or None,
        file=file,
        line=line,
        hint="write the values out or use fewer nested aliases",
    )


def _children(node: Node, path: KeyPath, line: int) -> list[tuple[KeyPath, int, Node]]:
    """(key path, line, node) of each key and value under ``node``; merged (``<<``) values keep ``path``."""
    found: list[tuple[KeyPath, int, Node]] = []
    if isinstance(node, MappingNode):
        pairs: list[tuple[Node, Node]] = node.value
        for key_node, value_node in pairs:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                found.append((path, key_line, key_node))
                found.append((path, key_line, value_node))
            elif key_node.value == "<<":
                found.append((path, key_line, value_node))
            else:
                found.append(((*path, str(key_node.value)), key_line, value_node))
    elif isinstance(node, SequenceNode):
        items: list[Node] = node.value
        found.extend(((*path, i), item.start_mark.line + 1, item) for i, item in enumerate(items))
    return found


def _collect_lines(node: Node, path: KeyPath, lines: LineMap, file: str) -> None:
    if isinstance(node, MappingNode | SequenceNode):
        _collect_children(node, path, lines, file)


def _collect_children(node: MappingNode | SequenceNode, path: KeyPath, lines: LineMap, file: str) -> None:
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
    else:
        items: list[Node] = node.value
        for index, item in enumerate(items):
            lines[(*path, index)] = item.start_mark.line + 1
            _collect_lines(item, (*path, index), lines, file)
