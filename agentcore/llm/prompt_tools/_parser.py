"""Reading ``<tool_call>{...}</tool_call>`` blocks out of a model's text, as it streams.

The parser takes text fragments in any split and gives back what the user may see (text outside
the blocks) and the calls found. It holds back only the few characters that might be the start of
a tag, so text streams with no visible delay and markup never reaches the answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, cast

from agentcore.context.repair import checked_call
from agentcore.messages import ToolCall

OPEN = "<tool_call>"
CLOSE = "</tool_call>"
# A model that goes on to invent the tool's answer: everything from here on is dropped.
_INVENTED = ("<tool_response>",)
_NAME = re.compile(r'"name"\s*:\s*"((?:[^"\\]|\\.)*)"')
UNNAMED = "invalid_tool_call"


@dataclass(slots=True)
class Piece:
    """What one fragment produced: visible text, and calls whose name (``started``) or whole block
    (``finished``) became known."""

    text: str = ""
    started: list[tuple[int, str]] = field(default_factory=list[tuple[int, str]])
    finished: list[tuple[int, ToolCall]] = field(default_factory=list[tuple[int, ToolCall]])


def _held_prefix(buffer: str, tags: tuple[str, ...]) -> int:
    """How many trailing characters of ``buffer`` could be the beginning of one of ``tags``."""
    best = 0
    for tag in tags:
        for size in range(min(len(tag) - 1, len(buffer)), best, -1):
            if buffer.endswith(tag[:size]):
                best = size
                break
    return best


def _call_from_block(call_id: str, body: str, closed: bool) -> ToolCall:
    """The ToolCall a block's JSON stands for; a block we cannot read becomes a call with an error
    the model is shown as the call's result (never executed)."""
    text = body.strip()
    try:
        value: Any = json.loads(text)
    except ValueError as exc:
        found = _NAME.search(text)
        name = found.group(1) if found else UNNAMED
        why = "was cut off before </tool_call>" if not closed else f"is not valid JSON ({exc})"
        return ToolCall(
            call_id,
            name,
            "{}",
            text,
            f"Your <tool_call> block {why}: {text[:300]!r}, so no tool was run. Write each call as "
            '<tool_call>{"name": "<tool name>", "arguments": {<arguments as a JSON object>}}</tool_call>.',
        )
    if not isinstance(value, dict) or not isinstance(cast(dict[str, Any], value).get("name"), str):
        return ToolCall(
            call_id,
            UNNAMED,
            "{}",
            text,
            f'A <tool_call> block needs a JSON object with "name" and "arguments", got {text[:300]!r}, '
            "so no tool was run. Resend the call in that form.",
        )
    data = cast(dict[str, Any], value)
    name = cast(str, data["name"])
    arguments = data.get("arguments", data.get("parameters", {}))
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return checked_call(call_id, name, raw)


class ToolCallParser:
    """A streaming reader of Hermes/Qwen tool-call markup; ``feed`` fragments, then ``finish``."""

    def __init__(self, id_prefix: str) -> None:
        self._prefix = id_prefix
        self._buffer = ""
        self._in_call = False
        self._done = False  # an invented tool response began: ignore the rest
        self._started = False  # the current block's name was announced
        self.calls: list[ToolCall] = []
        self.text_parts: list[str] = []

    @property
    def text(self) -> str:
        """The visible text so far."""
        return "".join(self.text_parts)

    def _next_id(self) -> str:
        return f"{self._prefix}_{len(self.calls)}"

    def feed(self, fragment: str) -> Piece:
        """Take one fragment; what became visible or known."""
        piece = Piece()
        if self._done:
            return piece
        self._buffer += fragment
        while True:
            if self._in_call:
                if not self._started:
                    found = _NAME.search(self._buffer)
                    if found:
                        self._started = True
                        piece.started.append((len(self.calls), found.group(1)))
                end = self._buffer.find(CLOSE)
                if end < 0:
                    return piece
                self._close_block(self._buffer[:end], True, piece)
                self._buffer = self._buffer[end + len(CLOSE) :]
                continue
            start = self._buffer.find(OPEN)
            invented = min((i for i in (self._buffer.find(t) for t in _INVENTED) if i >= 0), default=-1)
            if invented >= 0 and (start < 0 or invented < start) and self.calls:
                self._emit(self._buffer[:invented], piece)
                self._buffer = ""
                self._done = True
                return piece
            if start < 0:
                keep = _held_prefix(self._buffer, (OPEN, *_INVENTED))
                self._emit(self._buffer[: len(self._buffer) - keep], piece)
                self._buffer = self._buffer[len(self._buffer) - keep :]
                return piece
            self._emit(self._buffer[:start], piece)
            self._buffer = self._buffer[start + len(OPEN) :]
            self._in_call = True
            self._started = False

    def finish(self) -> Piece:
        """The response ended: an open block is read as far as it goes, held-back text released."""
        piece = Piece()
        if self._done:
            return piece
        if self._in_call:
            body = self._buffer
            # Many servers stop at </tool_call> as a stop word and leave it out: whole JSON is a call.
            closed = _complete_json(body)
            if not self._started:
                found = _NAME.search(body)
                piece.started.append((len(self.calls), found.group(1) if found else UNNAMED))
                self._started = True
            self._close_block(body, closed, piece)
        elif self._buffer:
            self._emit(self._buffer, piece)
        self._buffer = ""
        self._done = True
        return piece

    def _close_block(self, body: str, closed: bool, piece: Piece) -> None:
        call = _call_from_block(self._next_id(), body, closed)
        index = len(self.calls)
        if not self._started:
            piece.started.append((index, call.name))
        self.calls.append(call)
        piece.finished.append((index, call))
        self._in_call = False
        self._started = False

    def _emit(self, text: str, piece: Piece) -> None:
        if not text:
            return
        if self.calls and not text.strip():
            return  # whitespace between blocks is markup layout, not answer text
        self.text_parts.append(text)
        piece.text += text


def _complete_json(body: str) -> bool:
    try:
        json.loads(body.strip())
    except ValueError:
        return False
    return True


def parse_all(text: str, id_prefix: str) -> tuple[str, list[ToolCall]]:
    """The visible text and the calls of a whole (non-streamed) answer."""
    parser = ToolCallParser(id_prefix)
    parser.feed(text)
    parser.finish()
    return parser.text, parser.calls
