"""Prints a run's events for people: text as it arrives, tool calls as they start and finish."""

from __future__ import annotations

import re
import sys
from typing import TextIO

from agentcore._redact import redact_text
from agentcore.llm.events import (
    FinalAnswer,
    LimitReached,
    StreamEvent,
    TextDelta,
    ToolCallStarted,
    ToolResult,
)

_DIM = "\x1b[2m"
_RED = "\x1b[31m"
_RESET = "\x1b[0m"
# Control characters (escape sequences included) in tool output must not drive the terminal.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]+")


def one_line(text: str, width: int = 100) -> str:
    """``text`` as one printable, redacted line of at most ``width`` characters."""
    line = _CONTROL.sub(" ", redact_text(text)).strip()
    return line if len(line) <= width else line[: width - 3] + "..."


class EventPrinter:
    """Writes answer text to ``out`` and tool activity to ``err`` (dimmed on a terminal)."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self._color = self.err.isatty()
        self._mid_line = False
        self.limit: LimitReached | None = None
        self.final: FinalAnswer | None = None

    def _note(self, text: str, error: bool = False) -> None:
        if self._mid_line:
            self.out.write("\n")
            self.out.flush()
            self._mid_line = False
        if self._color:
            text = f"{_RED if error else _DIM}{text}{_RESET}"
        self.err.write(text + "\n")
        self.err.flush()

    def __call__(self, event: StreamEvent) -> None:
        if isinstance(event, TextDelta):
            self.out.write(event.text)
            self.out.flush()
            self._mid_line = not event.text.endswith("\n")
        elif isinstance(event, ToolCallStarted):
            self._note(f"→ {one_line(event.name, 64)} …")
        elif isinstance(event, ToolResult):
            status = "failed" if event.message.is_error else "done"
            self._note(
                f"← {one_line(event.call.name, 64)} {status} ({event.elapsed_ms:.0f} ms): "
                f"{one_line(event.message.text)}",
                event.message.is_error,
            )
        elif isinstance(event, FinalAnswer):
            self.final = event
            self.finish()
        elif isinstance(event, LimitReached):
            self.limit = event
            self._note(
                f"stopped after {event.iterations} iterations with tool calls pending "
                "(raise llm.maxIterations to allow more)",
                error=True,
            )

    def finish(self) -> None:
        """End the current line of answer text."""
        if self._mid_line:
            self.out.write("\n")
            self.out.flush()
            self._mid_line = False
