"""SIGTERM and SIGHUP handled like Ctrl-C by ``run`` and ``chat``.

A service manager's stop (SIGTERM) or a closed terminal (SIGHUP) must not lose the call log: the
signal cancels the turn in flight exactly as Ctrl-C does (the attempt is logged as ``cancelled``,
queued rows are written when the agent closes), then the command exits with 128 + the signal.
Installed only for the command's duration and only in the main thread (the CLI, not the library).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class TerminateAsInterrupt:
    """``with TerminateAsInterrupt() as stop:``; ``stop.signum`` is the signal received (0: none)."""

    def __init__(self) -> None:
        self.signum = 0
        self._previous: dict[int, Any] = {}

    @property
    def exit_code(self) -> int:
        """128 + the signal, the shell's convention."""
        return 128 + self.signum

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signum = signum
        # Whatever Ctrl-C would do now: asyncio.Runner's handler cancels the main task (first
        # signal) so that ``finally`` blocks run; outside a runner, KeyboardInterrupt.
        interrupt = signal.getsignal(signal.SIGINT)
        if callable(interrupt) and interrupt is not signal.default_int_handler:
            interrupt(signal.SIGINT, frame)
            return
        raise KeyboardInterrupt

    def __enter__(self) -> TerminateAsInterrupt:
        if threading.current_thread() is threading.main_thread():
            for signum in _SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()
