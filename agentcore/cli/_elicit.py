"""An MCP server's elicitation as a prompt in ``agentcore chat``: form fields from the requested
schema (string, number, integer, boolean, enum), checked and asked again on bad input; ``/decline``
or ``/cancel`` at any field refuses; URL mode prints the URL and asks to confirm.

Lines are read through ``ReadLine`` so the chat's line editor can be swapped in.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

from agentcore.tools.mcp._handlers import ElicitationReply, ElicitationRequest

__all__ = ["ChatElicitor", "ReadLine", "parse_field", "read_line"]

ReadLine = Callable[[str], Awaitable[str | None]]
"""Show a prompt, return the line typed (None at end of input)."""

_YES = ("y", "yes", "true", "1")
_NO = ("n", "no", "false", "0")


async def read_line(prompt: str) -> str | None:
    """The plain terminal reader: the prompt on stdout, a line from stdin (off the event loop)."""
    sys.stdout.write(prompt)
    sys.stdout.flush()
    line = await asyncio.to_thread(sys.stdin.readline)
    return None if line == "" else line.rstrip("\r\n")


def _choices(spec: Mapping[str, Any]) -> list[tuple[Any, str]]:
    """(value, label) of an enum field: ``enum`` (+ ``enumNames``) or ``oneOf`` / ``anyOf`` consts."""
    if "enum" in spec:
        values = cast(list[Any], spec["enum"])
        names = cast(list[Any], spec.get("enumNames") or values)
        return [(v, str(n)) for v, n in zip(values, names, strict=False)]
    options = cast(list[Any], spec.get("oneOf") or spec.get("anyOf") or [])
    out: list[tuple[Any, str]] = []
    for option in options:
        if isinstance(option, dict) and "const" in option:
            entry = cast(dict[str, Any], option)
            out.append((entry["const"], str(entry.get("title", entry["const"]))))
    return out


def parse_field(spec: Mapping[str, Any], text: str) -> tuple[Any, str | None]:
    """``text`` as the field's value, or an error saying what is expected."""
    choices = _choices(spec)
    if choices:
        if text.isdigit() and 1 <= int(text) <= len(choices):
            return choices[int(text) - 1][0], None
        for value, label in choices:
            if text in (str(value), label):
                return value, None
        return None, "choose one of the numbers shown"
    kind = spec.get("type", "string")
    if kind == "boolean":
        if text.lower() in _YES:
            return True, None
        if text.lower() in _NO:
            return False, None
        return None, "answer y or n"
    if kind in ("number", "integer"):
        try:
            number: float | int = int(text) if kind == "integer" else float(text)
        except ValueError:
            return None, "a whole number is expected" if kind == "integer" else "a number is expected"
        low, high = spec.get("minimum"), spec.get("maximum")
        if (low is not None and number < low) or (high is not None and number > high):
            return (
                None,
                f"must be between {low if low is not None else '-inf'} and {high if high is not None else 'inf'}",
            )
        return number, None
    low, high = spec.get("minLength"), spec.get("maxLength")
    if low is not None and len(text) < low:
        return None, f"at least {low} characters"
    if high is not None and len(text) > high:
        return None, f"at most {high} characters"
    return text, None


class ChatElicitor:
    """Asks the user in the terminal; one request at a time."""

    def __init__(self, read: ReadLine = read_line) -> None:
        self._read = read
        self._lock = asyncio.Lock()

    def _say(self, text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    async def __call__(self, request: ElicitationRequest) -> ElicitationReply:
        async with self._lock:
            self._say(f"\n? MCP server '{request.server}' asks: {request.message}")
            if request.mode == "url":
                return await self._url(request)
            return await self._form(request)

    async def _url(self, request: ElicitationRequest) -> ElicitationReply:
        self._say(f"  open: {request.url}")
        while True:
            line = await self._read("  done? [y]es / [n]o (decline) / [c]ancel: ")
            answer = (line or "c").strip().lower()
            if answer in ("y", "yes"):
                return ElicitationReply("accept")
            if answer in ("n", "no", "decline"):
                return ElicitationReply("decline")
            if answer in ("c", "cancel"):
                return ElicitationReply("cancel")

    async def _form(self, request: ElicitationRequest) -> ElicitationReply:
        properties = cast(dict[str, Any], request.schema.get("properties") or {})
        required = set(cast(list[str], request.schema.get("required") or []))
        self._say("  (type /decline or /cancel to refuse)")
        content: dict[str, Any] = {}
        for name, raw in properties.items():
            spec = cast(dict[str, Any], raw) if isinstance(raw, dict) else {}
            choices = _choices(spec)
            if spec.get("description"):
                self._say(f"  {spec['description']}")
            for i, (_, label) in enumerate(choices, 1):
                self._say(f"    {i}) {label}")
            default = spec.get("default")
            kind = "y/n" if spec.get("type") == "boolean" else spec.get("type", "string")
            hint = f" [{default}]" if default is not None else ("" if name in required else " (optional)")
            label = f"  {spec.get('title') or name} ({'choice' if choices else kind}){hint}: "
            while True:
                line = await self._read(label)
                if line is None or line.strip() == "/cancel":
                    return ElicitationReply("cancel")
                text = line.strip()
                if text == "/decline":
                    return ElicitationReply("decline")
                if not text:
                    if default is not None:
                        content[name] = default
                        break
                    if name not in required:
                        break
                    self._say("  required")
                    continue
                value, error = parse_field(spec, text)
                if error is None:
                    content[name] = value
                    break
                self._say(f"  {error}")
        return ElicitationReply("accept", content)
