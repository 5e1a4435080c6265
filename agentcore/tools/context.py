"""What a run shares with its tools: ``RunContext`` (deps, session, usage, the call), approvals
and progress reports (``ToolProgress``, streamed while the tool runs).

A tool whose first parameter is annotated ``RunContext[...]`` receives one per call; the parameter is
left out of the schema the model sees. A tool that needs approval waits for the run's approver
(an ``approve=`` callback, the chat prompt, or an ``ApprovalRequired`` event the caller answers).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from agentcore.messages import ToolCall, Usage

if TYPE_CHECKING:
    from agentcore.tools.base import ToolSpec
    from agentcore.tracing.context import CallContext

__all__ = ["ApprovalRequest", "ApprovalRequired", "Approver", "RunContext", "RunState", "ToolProgress"]

DepsT = TypeVar("DepsT")


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """A tool call waiting for the user's yes or no."""

    call: ToolCall
    tool: ToolSpec
    arguments: dict[str, Any]

    @property
    def source(self) -> str:
        """The tool's source: ``local`` or the MCP server's name."""
        return self.tool.source


#: answers an ``ApprovalRequest``: True to run the call, False (or a reason string) to deny it
Approver = Callable[[ApprovalRequest], "bool | str | Awaitable[bool | str]"]


@dataclass(eq=False)
class ApprovalRequired:
    """Stream event: a tool call needs approval. Call ``approve()`` or ``deny(reason)`` before asking
    for the next event; an unanswered request is denied."""

    request: ApprovalRequest
    _answer: asyncio.Future[bool | str] = field(repr=False)

    @property
    def call(self) -> ToolCall:
        """The call waiting."""
        return self.request.call

    def approve(self) -> None:
        """Run the call."""
        if not self._answer.done():
            self._answer.set_result(True)

    def deny(self, reason: str = "") -> None:
        """Do not run the call; ``reason`` reaches the model."""
        if not self._answer.done():
            self._answer.set_result(reason or False)


@dataclass(frozen=True, slots=True)
class ToolProgress:
    """Stream event: a running tool reported progress (an MCP progress notification, or a local
    tool's ``ctx.report_progress``). ``total`` is None when the tool does not know it."""

    call_id: str
    tool: str
    progress: float
    total: float | None = None
    message: str | None = None


RunEvent = ApprovalRequired | ToolProgress
"""What a run's tools put on its event queue for a stream to yield."""


@dataclass(slots=True)
class RunState:
    """One run's state shared with its tool calls (the loop keeps ``usage`` current)."""

    deps: Any = None
    session: str | None = None
    usage: Usage = field(default_factory=Usage)
    approve: Approver | None = None
    events: asyncio.Queue[RunEvent] | None = None  # streaming: progress, and approvals without a callback

    async def ask(self, request: ApprovalRequest) -> bool | str:
        """The approver's answer: True, or False / a reason to deny."""
        if self.approve is not None:
            answer = self.approve(request)
            if inspect.isawaitable(answer):
                answer = await answer
            return answer
        if self.events is not None:
            event = ApprovalRequired(request, asyncio.get_running_loop().create_future())
            self.events.put_nowait(event)
            return await event._answer  # pyright: ignore[reportPrivateUsage]
        return "no approver is set (pass approve= to run, or answer ApprovalRequired when streaming)"


@dataclass(frozen=True, slots=True)
class RunContext(Generic[DepsT]):
    """Given to a tool whose first parameter is annotated ``RunContext[Deps]``."""

    deps: DepsT
    session: str | None
    usage: Usage
    tool_call: ToolCall
    _report: Callable[[ToolProgress], None] | None = field(default=None, repr=False, compare=False)

    def report_progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        """Tell the caller how far this call got: a ``ToolProgress`` event when the run streams (the
        CLI's live progress line), nothing otherwise. Safe from a sync tool's worker thread."""
        if self._report is not None:
            self._report(ToolProgress(self.tool_call.id, self.tool_call.name, progress, total, message))

    @property
    def call_context(self) -> CallContext:
        """The tracing call context (trace id, session id, tags) this call runs in."""
        from agentcore.tracing.context import current

        return current()


_current: ContextVar[RunContext[Any] | None] = ContextVar("agentcore_run_context", default=None)


def current_run_context() -> RunContext[Any] | None:
    """The context of the tool call running in this task (set by the tool manager)."""
    return _current.get()


def set_run_context(state: RunState | None, call: ToolCall) -> None:
    """Make ``call``'s context current in this (the tool call's own) task."""
    state = state if state is not None else RunState()
    _current.set(RunContext(state.deps, state.session, state.usage, call, _reporter(state.events)))


def _reporter(queue: asyncio.Queue[RunEvent] | None) -> Callable[[ToolProgress], None] | None:
    if queue is None:
        return None
    loop = asyncio.get_running_loop()

    def report(event: ToolProgress) -> None:
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if here is loop:
            queue.put_nowait(event)
        elif not loop.is_closed():
            # A sync tool runs in a worker thread: asyncio queues are not thread-safe.
            loop.call_soon_threadsafe(queue.put_nowait, event)

    return report
