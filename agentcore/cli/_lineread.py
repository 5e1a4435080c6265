"""Reading the chat's input: line editing, history and multi-line input on a terminal (prompt_toolkit),
plain lines otherwise (a piped script)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

PROMPT = "you> "
HISTORY_FILE = "chat_history"


def history_path() -> Path:
    """``$AGENTCORE_HOME/chat_history``: the lines typed in ``agentcore chat``, kept across runs."""
    home = Path(os.environ.get("AGENTCORE_HOME") or Path.home() / ".agentcore").expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home / HISTORY_FILE


Runner = Callable[[Coroutine[Any, Any, str]], str]


def make_reader(run: Runner) -> Callable[[], str]:
    """A function returning the next input; raises EOFError at the end (Ctrl-D) and KeyboardInterrupt
    on Ctrl-C. ``run`` runs a coroutine on the chat's event loop."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return lambda: input(PROMPT)
    try:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory
        from prompt_toolkit.key_binding import KeyBindings
    except ImportError:  # an install without it: plain input() still works
        return lambda: input(PROMPT)

    bindings = KeyBindings()

    @bindings.add("escape", "enter")  # Alt-Enter (or Esc then Enter): a new line instead of sending
    def _newline(event: Any) -> None:  # pyright: ignore[reportUnusedFunction]
        event.current_buffer.insert_text("\n")

    session: PromptSession[str] = PromptSession(
        history=FileHistory(str(history_path())),
        key_bindings=bindings,
        prompt_continuation=lambda width, line, soft: "... ".rjust(width),  # pyright: ignore[reportUnknownLambdaType]
    )
    return lambda: run(session.prompt_async(PROMPT))
