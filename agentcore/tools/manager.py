"""One namespace over every tool source, and the one place tool calls are run.

Whatever goes wrong in a call (unknown name, bad JSON, bad arguments, an exception, a timeout)
becomes a tool result the model can read and act on; only cancellation escapes.

Each call runs in its own task, at most ``concurrency`` at once; its timeout starts when it gets a
slot, not while it waits for one. A call that overruns is cancelled and *abandoned* (never awaited),
so a tool that ignores cancellation cannot hold up the turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import time
import traceback
import weakref
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextvars import ContextVar
from types import TracebackType
from typing import Any, Self, cast

from agentcore._redact import redact_text
from agentcore.errors import ToolError, describe
from agentcore.logs import get_logger
from agentcore.messages import InternalMessage, ToolCall
from agentcore.tools._namespace import Entry, build_namespace, sanitize_tool_name
from agentcore.tools._results import (
    arguments_error_text,
    one_line,
    parse_arguments,
    truncate,
    unknown_tool_text,
)
from agentcore.tools._schema import InvalidArguments
from agentcore.tools._threads import ToolTerminated
from agentcore.tools.base import ToolOutput, ToolsChanged, ToolSource, ToolSpec
from agentcore.tools.context import ApprovalRequest, RunState, set_run_context
from agentcore.tools.decorator import to_tool_output

__all__ = ["UnifiedToolManager", "sanitize_tool_name"]

log = get_logger(__name__)

DEFAULT_CONCURRENCY = 8
# How long ``close()`` lets abandoned calls react to a second cancellation before closing them.
_ABANDON_GRACE = 1.0
# Set inside a running tool: a tool that runs an agent (which calls tools) must not wait for a slot
# held by itself, or nested calls could deadlock.
_inside_tool: ContextVar[bool] = ContextVar("agentcore_inside_tool", default=False)


class UnifiedToolManager:
    """Merges the tools of several sources into one namespace and runs the model's calls."""

    def __init__(
        self,
        sources: Sequence[ToolSource],
        *,
        default_timeout: float = 60.0,
        output_limit: int = 20_000,
        concurrency: int = DEFAULT_CONCURRENCY,
        approve: Mapping[str, str | Sequence[str]] | None = None,
    ) -> None:
        names = [s.name for s in sources]
        if len(set(names)) != len(names):
            raise ValueError(f"tool source names must be unique, got {names}")
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self._sources = list(sources)
        self.default_timeout = default_timeout
        self.output_limit = output_limit
        self.concurrency = concurrency
        # source name -> "all" or name globs: the tools of that source that need approval (MCP ``approve:``)
        self.approve_rules: dict[str, str | Sequence[str]] = dict(approve or {})
        # One semaphore per event loop: an asyncio primitive is bound to the loop it first waits on,
        # and an agent may be used from several loops in turn (``run_sync``).
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        self._abandoned: set[asyncio.Task[Any]] = set()
        self._start_task: asyncio.Task[None] | None = None
        self._started = False
        self._listed: dict[str, list[ToolSpec]] = {}
        self._specs: list[ToolSpec] = []
        self._by_name: dict[str, Entry] = {}
        self.version = 0
        """Bumped whenever the namespace is rebuilt; lets callers cache work done on ``specs()``."""

    @property
    def sources(self) -> list[ToolSource]:
        """The sources, in priority order (earlier ones keep the plain names on a clash)."""
        return list(self._sources)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start every source concurrently, then build the namespace; on failure close what started.

        Single-flight: concurrent callers share one start-up (one copy of each MCP server), and a
        started manager returns at once. A failed start-up is retried by the next call.
        Sources that can report tool-list changes (``set_change_callback``) are wired to ``refresh``.
        """
        if self._started:
            return
        loop = asyncio.get_running_loop()
        task = self._start_task
        if task is None or task.get_loop() is not loop or (task.done() and not self._started):
            task = self._start_task = loop.create_task(self._start_once(), name="agentcore-tools-start")
        # Shielded: one impatient caller cancelling must not tear down the others' start-up.
        await asyncio.shield(task)

    async def _start_once(self) -> None:
        try:
            await self._start_sources()
        except BaseException:
            self._start_task = None
            raise
        self._started = True

    async def _start_sources(self) -> None:
        for source in self._sources:
            hook = getattr(source, "set_change_callback", None)
            if callable(hook):
                hook(self.change_callback(source.name))
        results = await asyncio.gather(*(s.start() for s in self._sources), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            started = [
                s for s, r in zip(self._sources, results, strict=True) if not isinstance(r, BaseException)
            ]
            await self._close(started)
            raise failures[0]
        listed = await asyncio.gather(*(s.list_tools() for s in self._sources))
        self._listed = {s.name: specs for s, specs in zip(self._sources, listed, strict=True)}
        self._rebuild()

    async def close(self) -> None:
        """Close every source (after any start-up in flight); a failing close is logged, not raised.

        Calls abandoned after a timeout are cancelled once more; those still running after a short
        grace are closed, so they cannot hold up the event loop's shutdown either.
        """
        task, self._start_task = self._start_task, None
        if task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop():
            with contextlib.suppress(Exception):
                await asyncio.shield(task)
        self._started = False
        await self._reap_abandoned()
        await self._close(self._sources)

    async def _reap_abandoned(self) -> None:
        loop = asyncio.get_running_loop()
        pending = [t for t in self._abandoned if not t.done() and t.get_loop() is loop]
        if not pending:
            return
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=_ABANDON_GRACE)
        closed: list[asyncio.Task[Any]] = []
        for task in pending:
            if task.done():
                continue
            log.warning("a tool ignores cancellation; closing it", task=task.get_name())
            # Closing the coroutine ends it at its current await; the task itself only finishes when
            # next woken, so wake it now: left to the loop's shutdown, its end ("cannot reuse already
            # awaited coroutine") would be printed as an unhandled exception.
            with contextlib.suppress(RuntimeError):  # it ignored GeneratorExit too: nothing more to do
                task.get_coro().close()
                task.cancel()
                closed.append(task)
        if closed:
            await asyncio.wait(closed, timeout=_ABANDON_GRACE)
            for task in closed:
                if task.done() and not task.cancelled():
                    task.exception()  # retrieved: the task's end is expected, not an error to report

    async def _close(self, sources: Sequence[ToolSource]) -> None:
        results = await asyncio.gather(*(s.close() for s in sources), return_exceptions=True)
        for source, result in zip(sources, results, strict=True):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, BaseException):
                log.warning("tool source close failed", source=source.name, error=describe(result).message)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def refresh(self, source_name: str) -> None:
        """Re-list one source's tools (it reported a change) and rebuild the namespace."""
        source = next((s for s in self._sources if s.name == source_name), None)
        if source is None:
            raise KeyError(f"no tool source named '{source_name}'")
        self._listed[source_name] = await source.list_tools()
        self._rebuild()

    def change_callback(self, source_name: str) -> ToolsChanged:
        """A callback a source can call when its tool list changes."""

        async def changed() -> None:
            await self.refresh(source_name)

        return changed

    # ------------------------------------------------------------------ namespace

    def _rebuild(self) -> None:
        self._by_name = build_namespace(self._sources, self._listed)
        self._specs = [e.spec for e in self._by_name.values()]
        self.version += 1

    def specs(self) -> list[ToolSpec]:
        """The tools as the model sees them; the same list until the namespace changes (do not mutate)."""
        return self._specs

    def get(self, name: str) -> ToolSpec | None:
        """The exposed spec called ``name``, if any."""
        entry = self._by_name.get(name)
        return entry.spec if entry else None

    def status(self) -> list[dict[str, Any]]:
        """One row per tool: exposed name, source, the source's own name, description, origin."""
        return [
            {
                "name": e.spec.name,
                "source": e.spec.source,
                "original_name": e.spec.call_name,
                "description": e.spec.description,
                "origin": e.spec.origin,
            }
            for e in self._by_name.values()
        ]

    def source(self, name: str) -> ToolSource | None:
        """The source called ``name``, if any."""
        return next((s for s in self._sources if s.name == name), None)

    def source_status(self) -> list[dict[str, Any]]:
        """One row per source: name, type, state (``up``/``down``/...), tool count, error if any."""
        rows: list[dict[str, Any]] = []
        for source in self._sources:
            info = getattr(source, "info", None)
            row: dict[str, Any] = {}
            if callable(info):
                got = info()
                if isinstance(got, dict):
                    row = dict(cast(dict[str, Any], got))
            row.setdefault("name", source.name)
            row.setdefault("type", "local" if source.name == "local" else type(source).__name__)
            row.setdefault("state", "up")
            row["tools"] = sum(1 for e in self._by_name.values() if e.source is source)
            row.setdefault("error", None)
            rows.append(row)
        return rows

    def timeout_for(self, name: str) -> float:
        """The timeout for tool ``name``: its own, else its source's default, else the manager's."""
        entry = self._by_name.get(name)
        if entry is None:
            return self.default_timeout
        own = getattr(entry.source, "timeout_for", None)
        if callable(own):
            value = own(entry.original)
            if isinstance(value, int | float) and value > 0:
                return float(value)
        source_default = getattr(entry.source, "default_timeout", None)
        if isinstance(source_default, int | float) and source_default > 0:
            return float(source_default)
        return self.default_timeout

    # ------------------------------------------------------------------ execution

    def needs_approval(self, spec: ToolSpec) -> bool:
        """Whether calls of ``spec`` wait for approval (``@tool(require_approval=True)``, ``approve:``)."""
        entry = self._by_name.get(spec.name)
        if entry is None:
            return False
        own = getattr(entry.source, "requires_approval", None)
        if callable(own) and own(entry.original):
            return True
        rule = self.approve_rules.get(entry.spec.source)
        if rule is None:
            return False
        if rule == "all":
            return True
        names = (entry.spec.name, entry.spec.call_name)
        return any(fnmatch.fnmatchcase(n, glob) for glob in rule for n in names)

    async def execute_all(
        self, calls: Sequence[ToolCall], run: RunState | None = None
    ) -> list[InternalMessage]:
        """Run ``calls`` concurrently; results in call order. One cancelled means all are cancelled."""
        tasks = [asyncio.ensure_future(self.execute(c, run)) for c in calls]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncGenerator[None]:
        if _inside_tool.get():
            yield  # a call made from inside a tool already holds a slot through its caller
            return
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.concurrency)
        async with slots:
            yield

    async def execute(self, call: ToolCall, run: RunState | None = None) -> InternalMessage:
        """Run one call; every failure but cancellation comes back as an error result.
        ``run``: the run's deps, session and usage (for ``RunContext``) and its approver."""
        entry = self._by_name.get(call.name)
        if entry is None:
            return self._error(call, unknown_tool_text(call.name, self._by_name))
        if call.arguments_error:
            return self._error(call, arguments_error_text(call))
        arguments = parse_arguments(call)
        if isinstance(arguments, str):
            return self._error(call, arguments)
        if self.needs_approval(entry.spec):
            denied = await self._ask(call, entry, arguments, run)
            if denied is not None:
                return denied
        timeout = self.timeout_for(call.name)
        # A source may need extra time around the call itself (an MCP server reconnecting
        # transparently); it then enforces ``timeout`` on the call on its own.
        slack = getattr(entry.source, "timeout_slack", 0.0)
        slack = float(slack) if isinstance(slack, int | float) and slack > 0 else 0.0
        async with self._slot():
            started = time.monotonic()
            task = asyncio.get_running_loop().create_task(
                _invoke(entry.source, entry.original, arguments, timeout, run, call), name=f"tool-{call.name}"
            )
            try:
                done, _ = await asyncio.wait({task}, timeout=timeout + slack)
            except asyncio.CancelledError:
                self._abandon(task)
                raise
            if not done:
                self._abandon(task)
                log.info("tool timed out", tool=call.name, timeout=timeout)
                return self._error(
                    call, f"'{call.name}' timed out after {timeout:g} s and was stopped (abandoned)."
                )
        try:
            output = task.result()
        except InvalidArguments as exc:
            problems = "; ".join(exc.problems)
            return self._error(
                call,
                f"Invalid arguments for '{call.name}': {problems}. Fix them and call '{call.name}' again.",
            )
        except asyncio.CancelledError:
            raise  # the tool cancelled itself: cancellation always escapes, and ends the turn
        except Exception as exc:
            return self._raised(call, entry, exc)
        log.debug("tool done", tool=call.name, source=entry.spec.source, seconds=time.monotonic() - started)
        if not isinstance(output, ToolOutput):  # pyright: ignore[reportUnnecessaryIsInstance]
            output = to_tool_output(output)  # a source outside our control returned a bare value
        content = truncate(output.content, self.output_limit)
        return InternalMessage.tool_result(call, content, is_error=output.is_error)

    async def _ask(
        self, call: ToolCall, entry: Entry, arguments: dict[str, Any], run: RunState | None
    ) -> InternalMessage | None:
        """None when the call is approved, else the denial the model reads."""
        state = run if run is not None else RunState()
        answer = await state.ask(ApprovalRequest(call, entry.spec, arguments))
        if answer is True:
            return None
        reason = f": {answer}" if isinstance(answer, str) and answer else ""
        log.info("tool call denied", tool=call.name, source=entry.spec.source)
        return self._error(
            call,
            f"The user denied this call of '{call.name}'{reason}. It was not run. Do not retry it "
            "unchanged; continue without it or ask the user.",
        )

    def _abandon(self, task: asyncio.Task[Any]) -> None:
        """Cancel ``task`` without waiting for it; keep a reference until it is really over."""
        task.cancel()
        if task.done():
            return
        self._abandoned.add(task)

        def forget(done: asyncio.Task[Any]) -> None:
            self._abandoned.discard(done)
            if not done.cancelled():
                done.exception()  # retrieved: an abandoned call's failure is nobody's to report

        task.add_done_callback(forget)

    def _raised(self, call: ToolCall, entry: Entry, exc: Exception) -> InternalMessage:
        # The model gets the whole message; the terminal one line (a traceback only at debug level).
        # Both are redacted: an exception may well quote the API key it was given.
        if isinstance(exc, ToolError | ToolTerminated):
            text = redact_text(str(exc))
            if isinstance(exc, ToolTerminated):
                text = f"{call.name}: {text}"
        else:
            message = str(exc).strip()
            kind = type(exc).__name__
            text = redact_text(
                f"{call.name} raised {kind}: {message}" if message else f"{call.name} raised {kind}"
            )
        # Info, not warning: a failing tool is routine (the model reads the error and carries on),
        # and the CLI already shows it as one line.
        log.info("tool failed", tool=call.name, source=entry.spec.source, error=one_line(text))
        log.debug(
            "tool traceback",
            tool=call.name,
            traceback=redact_text("".join(traceback.format_exception(exc))),
        )
        return self._error(call, text)

    @staticmethod
    def _error(call: ToolCall, text: str) -> InternalMessage:
        return InternalMessage.tool_result(call, text, is_error=True)


async def _invoke(
    source: ToolSource,
    spec: ToolSpec,
    arguments: dict[str, Any],
    timeout: float,
    run: RunState | None,
    call: ToolCall,
) -> ToolOutput:
    _inside_tool.set(True)  # this task's own context copy: never leaks to the caller
    set_run_context(run, call)
    try:
        return await source.call(spec, arguments, timeout)
    except (SystemExit, KeyboardInterrupt) as exc:
        # Left to reach the task, either one would stop the event loop and so the whole process.
        raise ToolTerminated(exc) from exc
