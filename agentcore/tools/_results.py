"""What the model reads back from a call that could not run as asked, and how long a result may be:
argument parsing, error texts, truncation."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from typing import Any, cast

from agentcore.messages import Content, Part, TextPart, ToolCall

__all__ = ["arguments_error_text", "one_line", "parse_arguments", "truncate", "unknown_tool_text"]


def arguments_error_text(call: ToolCall) -> str:
    """The model's note for a call whose arguments did not even parse as JSON while streaming."""
    return (
        f"The arguments for '{call.name}' were not valid JSON ({call.arguments_error}), so the "
        f"tool was not run. Resend the call with the arguments as one complete, valid JSON object."
    )


def unknown_tool_text(name: str, known: Iterable[str]) -> str:
    """The model's note for a call of a tool that does not exist, naming the closest ones."""
    names = list(known)
    if not names:
        return f"Unknown tool '{name}': no tools are available."
    ranked = sorted(names, key=lambda n: (-difflib.SequenceMatcher(None, name, n).ratio(), n))
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return f"Unknown tool '{name}'.{hint} Available tools: {', '.join(ranked)}."


def one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def parse_arguments(call: ToolCall) -> dict[str, Any] | str:
    """The call's arguments as a dict, or the error text for the model."""
    if call.arguments_error is not None:  # prov stand-in for the tools helper's refusal (merge: keep theirs)
        return call.arguments_error
    raw = call.arguments
    if not raw or not raw.strip():
        return {}
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError as exc:
        shown = raw if len(raw) <= 200 else raw[:200] + "..."
        return (
            f"The arguments for '{call.name}' are not valid JSON ({exc.msg} at line {exc.lineno} column "
            f"{exc.colno}) in: {shown}. Resend the call with the arguments as one valid JSON object."
        )
    if value is None:
        return {}  # some models send "null" for "no arguments"
    if not isinstance(value, dict):
        value_type: type[Any] = type(cast(object, value))
        kind = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
            value_type, value_type.__name__
        )
        return (
            f"The arguments for '{call.name}' must be a JSON object with one key per argument "
            f'(like {{"name": value}}), got {kind}. Resend the call with an object.'
        )
    return dict(cast(dict[str, Any], value))


def truncate(content: Content, limit: int) -> Content:
    """``content`` cut to ``limit`` text characters, with a note saying how much was cut."""
    if content is None:
        return content
    if isinstance(content, str):
        if len(content) <= limit:
            return content
        return content[:limit] + _cut_note(len(content) - limit, len(content))
    total = sum(len(p.text) for p in content if isinstance(p, TextPart))
    if total <= limit:
        return content
    left = limit
    parts: list[Part] = []
    for part in content:
        if isinstance(part, TextPart):
            if left <= 0:
                continue
            parts.append(TextPart(part.text[:left]))
            left -= len(part.text)
        else:
            parts.append(part)
    parts.append(TextPart(_cut_note(total - limit, total)))
    return tuple(parts)


def _cut_note(cut: int, total: int) -> str:
    return f"\n\n[output truncated: {cut} of {total} characters cut]"
