"""What the loop and the model clients report, and to whom: the observer protocol.

The call log (``agentcore.tracing``) implements it; ``llm`` never imports ``tracing``. A client
asks the observer for an ``AttemptObserver`` per attempt (one call-log row each); the loop hands
every tool call to ``run_tool`` so a recorder can time it and make it the parent of what runs inside.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from agentcore.llm.request import LLMRequest
    from agentcore.llm.route import RouteInfo
    from agentcore.messages import InternalMessage, ToolCall, Usage


class Target(Protocol):
    """The endpoint an attempt went to (a provider client)."""

    @property
    def provider(self) -> str: ...

    @property
    def model(self) -> str: ...


class AttemptObserver(Protocol):
    """One attempt of one request: sees its events and how it ended."""

    def see(self, event: object) -> None: ...

    def ok(self) -> None: ...

    def error(self, exc: BaseException, usage: Usage | None = None, kind: str | None = None) -> None: ...

    def close(self) -> None: ...


ToolRunner = Callable[["ToolCall"], Awaitable["InternalMessage"]]


class LoopObserver(Protocol):
    """Told about every attempt and every tool call of a loop."""

    @property
    def enabled(self) -> bool: ...

    def attempt(
        self, client: Target, request: LLMRequest, attempt: int, *, route: RouteInfo | None = None
    ) -> AttemptObserver: ...

    def run_tool(self, call: ToolCall, execute: ToolRunner) -> Awaitable[InternalMessage]: ...


class _NullAttempt:
    __slots__ = ()

    def see(self, event: object) -> None:
        """Nothing to record."""

    def ok(self) -> None:
        """Nothing to record."""

    def error(self, exc: BaseException, usage: Usage | None = None, kind: str | None = None) -> None:
        """Nothing to record."""

    def close(self) -> None:
        """Nothing to record."""


NULL_ATTEMPT = _NullAttempt()


class NullObserver:
    """Records nothing (a service used without an agent, or with the call log off)."""

    enabled = False

    def attempt(
        self, client: Target, request: LLMRequest, attempt: int, *, route: RouteInfo | None = None
    ) -> _NullAttempt:
        """The do-nothing attempt observer."""
        return NULL_ATTEMPT

    def run_tool(self, call: ToolCall, execute: ToolRunner) -> Awaitable[InternalMessage]:
        """Run the tool, unobserved."""
        return execute(call)


NULL_OBSERVER = NullObserver()
