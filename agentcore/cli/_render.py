"""Prints a run's events for people: text as it arrives, tool calls as they start and finish, and a
live progress line while a tool reports progress (rewritten in place on a terminal)."""

from __future__ import annotations

import re
import shutil
import sys
from typing import TextIO

from agentcore._redact import redact_text
from agentcore.llm.events import (
    FinalAnswer,
    LimitReached,
    StreamEvent,
    TextDelta,
    ToolCallStarted,
    ToolProgress,
    ToolResult,
)

_DIM = "\x1b[2m"
_RED = "\x1b[31m"
_RESET = "\x1b[0m"
_CLEAR_LINE = "\r\x1b[2K"
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
        self._progress = False  # a live progress line is showing on ``err`` (terminal only)
        self.limit: LimitReached | None = None
        self.final: FinalAnswer | None = None

    def _clear_progress(self) -> None:
        if self._progress:
            self.err.write(_CLEAR_LINE)
            self.err.flush()
            self._progress = False

    def _show_progress(self, event: ToolProgress) -> None:
        done = f"{event.progress:g}/{event.total:g}" if event.total else f"{event.progress:g}"
        if event.total and event.total > 0:
            done += f" ({min(event.progress / event.total, 1.0):.0%})"
        text = f"… {one_line(event.tool, 64)} {done}"
        if event.message:
            text += f": {one_line(event.message, 80)}"
        if not self._color:
            self._note(text)  # not a terminal: one plain line per report
            return
        # Kept within one row: a wrapped line could not be rewritten in place.
        text = text[: max(shutil.get_terminal_size().columns - 1, 20)]
        if self._mid_line:
            self.out.write("\n")
            self.out.flush()
            self._mid_line = False
        self.err.write(f"{_CLEAR_LINE}{_DIM}{text}{_RESET}")
        self.err.flush()
        self._progress = True

    def _note(self, text: str, error: bool = False) -> None:
        self._clear_progress()
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
            self._clear_progress()
            self.out.write(event.text)
            self.out.flush()
            self._mid_line = not event.text.endswith("\n")
        elif isinstance(event, ToolCallStarted):
            self._note(f"→ {one_line(event.name, 64)} …")
        elif isinstance(event, ToolProgress):
            self._show_progress(event)
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
        """End the current line of answer text (and clear a progress line left showing)."""
        self._clear_progress()
        if self._mid_line:
            self.out.write("\n")
            self.out.flush()
            self._mid_line = False
