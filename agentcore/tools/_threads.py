"""Worker threads for synchronous tools: bounded, never blocking exit, and abandonable.

Not ``asyncio.to_thread``: the loop's default executor is shared with the database layer (a stuck
tool would starve it) and its threads are joined at interpreter exit (a stuck tool would hang the
process). Here every thread is a daemon; a call whose awaiting task is cancelled (a timeout) is
*abandoned*: its thread no longer counts against the bound, so a replacement can start, and whatever
it eventually returns is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Literal

__all__ = ["ThreadsExhausted", "ToolTerminated", "ToolThreads"]

_IDLE_SECONDS = 30.0


class ThreadsExhausted(RuntimeError):
    """Too many abandoned calls are still running; no new thread is started for sync tools."""


class ToolTerminated(Exception):
    """A tool raised ``SystemExit`` or ``KeyboardInterrupt``: carried as an ordinary error, because
    either one set on an asyncio future or raised inside a task would stop the whole event loop."""

    def __init__(self, original: BaseException) -> None:
        self.original = original
        detail = f"({original})" if str(original) else ""
        super().__init__(f"the tool raised {type(original).__name__}{detail}")


def terminated(exc: BaseException) -> BaseException:
    """``exc`` with ``SystemExit`` / ``KeyboardInterrupt`` turned into ``ToolTerminated``."""
    if isinstance(exc, SystemExit | KeyboardInterrupt):
        return ToolTerminated(exc)
    return exc


class _Job:
    __slots__ = ("abandoned", "args", "context", "fn", "future", "loop", "state")

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[Any],
    ) -> None:
        self.fn = fn
        self.args = args
        self.loop = loop
        self.future = future
        self.context = contextvars.copy_context()  # tracing spans see the calling task's context
        self.state: Literal["queued", "running", "done", "dropped"] = "queued"
        self.abandoned = False


class ToolThreads:
    """At most ``max_workers`` calls run at once (abandoned ones excluded); at most ``max_stuck``
    abandoned calls may still be running before new calls are refused."""

    def __init__(self, max_workers: int = 8, *, max_stuck: int = 64, name: str = "agentcore-tool") -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        self.max_workers = max_workers
        self.max_stuck = max_stuck
        self._name = name
        self._cond = threading.Condition()
        self._jobs: deque[_Job] = deque()
        self._idle = 0
        self._running = 0
        self._threads = 0
        self._stuck = 0

    @property
    def stuck(self) -> int:
        """Abandoned calls whose threads are still running."""
        with self._cond:
            return self._stuck

    async def run(self, fn: Callable[..., Any], /, *args: Any) -> Any:
        """``fn(*args)`` in a worker thread; cancelling the await abandons the call."""
        loop = asyncio.get_running_loop()
        job = _Job(fn, args, loop, loop.create_future())
        self._submit(job)
        try:
            return await job.future
        except asyncio.CancelledError:
            self._abandon(job)
            raise

    def _submit(self, job: _Job) -> None:
        with self._cond:
            if self._stuck >= self.max_stuck:
                raise ThreadsExhausted(
                    f"{self._stuck} earlier tool calls timed out and are still running; "
                    "no new thread is started until some finish"
                )
            self._jobs.append(job)
            self._wake_or_spawn()

    def _wake_or_spawn(self) -> None:
        # Called with the lock held. Each idle worker will take one queued job.
        if self._idle >= len(self._jobs):
            self._cond.notify(len(self._jobs))
            return
        self._cond.notify(self._idle)
        if self._threads - self._stuck < self.max_workers:
            self._threads += 1
            thread = threading.Thread(target=self._work, name=f"{self._name}-{self._threads}", daemon=True)
            try:
                thread.start()
            except BaseException:
                self._threads -= 1
                raise

    def _abandon(self, job: _Job) -> None:
        with self._cond:
            if job.state == "queued":
                with contextlib.suppress(ValueError):
                    self._jobs.remove(job)
                job.state = "dropped"
            elif job.state == "running" and not job.abandoned:
                job.abandoned = True
                self._running -= 1
                self._stuck += 1
                if self._jobs:
                    self._wake_or_spawn()

    def _work(self) -> None:
        while True:
            with self._cond:
                job: _Job | None = None
                while job is None:
                    if self._jobs and self._running < self.max_workers:
                        job = self._jobs.popleft()
                        break
                    self._idle += 1
                    woken = self._cond.wait(_IDLE_SECONDS)
                    self._idle -= 1
                    if not woken and not (self._jobs and self._running < self.max_workers):
                        self._threads -= 1
                        return
                job.state = "running"
                self._running += 1
            self._execute(job)
            with self._cond:
                job.state = "done"
                if job.abandoned:
                    self._stuck -= 1
                else:
                    self._running -= 1
                if self._jobs:
                    self._cond.notify()

    @staticmethod
    def _execute(job: _Job) -> None:
        try:
            result = job.context.run(job.fn, *job.args)
        except BaseException as exc:  # everything, SystemExit included, goes back to the caller
            _deliver(job, None, terminated(exc))
        else:
            _deliver(job, result, None)


def _deliver(job: _Job, result: Any, error: BaseException | None) -> None:
    def settle() -> None:
        if job.future.done():
            return  # the caller was cancelled: the result is dropped
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(result)

    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
        job.loop.call_soon_threadsafe(settle)
