"""Who is calling: the call context, carried by contextvars so that no signature has to pass it.

``call_context(module=..., user_id=..., session_id=..., **tags)`` states the caller; every LLM
request made inside it is logged with those fields. Each ``Agent.run`` opens a trace; spans (runs,
LLM calls, tool calls) get ids, and the id of the span they happen in becomes their parent.
asyncio tasks copy the context when they are created, so concurrent runs never see each other's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import suppress
from contextvars import ContextVar, Token
from dataclasses import dataclass, field, replace
from types import MappingProxyType, TracebackType
from typing import Any

_EMPTY_TAGS: Mapping[str, str] = MappingProxyType({})


def new_id() -> str:
    """A fresh 32-hex-digit id (random; cheaper than ``uuid4().hex``)."""
    return os.urandom(16).hex()


@dataclass(slots=True)
class RunState:
    """Mutable bookkeeping of one run (not shared with runs nested in its tools)."""

    span_id: str
    last_call_id: str | None = None  # the latest turn request: parent of the tools and summaries after it


@dataclass(frozen=True, slots=True)
class CallContext:
    """The caller's identity plus where in the trace tree we are."""

    module: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=lambda: _EMPTY_TAGS)
    trace_id: str | None = None
    parent_id: str | None = None  # the enclosing span (a run or a tool call)
    run: RunState | None = None
    agent: str | None = None  # the name of the agent whose run this is (set by ``Agent.run``)
    agent_id: str | None = None  # that Agent instance


_EMPTY = CallContext()
_current: ContextVar[CallContext] = ContextVar("agentcore_call_context", default=_EMPTY)


def current() -> CallContext:
    """The call context in effect here."""
    return _current.get()


class _Scope:
    """Sets a context on enter and restores the previous one on exit; sync and async."""

    __slots__ = ("_make", "_token", "context")

    def __init__(self, make: Any) -> None:
        self._make = make
        self._token: Token[CallContext] | None = None
        self.context: CallContext = _EMPTY

    def __enter__(self) -> CallContext:
        self.context = self._make(_current.get())
        self._token = _current.set(self.context)
        return self.context

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._token is not None:
            # ValueError: exited from another context (an abandoned async generator)
            with suppress(ValueError):
                _current.reset(self._token)
            self._token = None

    async def __aenter__(self) -> CallContext:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def call_context(
    module: str | None = None,
    user_id: str | None = None,
    session_id: str | None = None,
    **tags: Any,
) -> _Scope:
    """State who is calling; LLM calls inside are logged with these fields.

    Use as ``with`` or ``async with``. Nested contexts inherit what they do not override; tags merge.

    >>> with call_context("recipe_generator", user_id="u123"):
    ...     result = await agent.run("...")
    """
    extra = {k: str(v) for k, v in tags.items()}

    def make(outer: CallContext) -> CallContext:
        merged = MappingProxyType({**outer.tags, **extra}) if extra else outer.tags
        return replace(
            outer,
            module=module if module is not None else outer.module,
            user_id=user_id if user_id is not None else outer.user_id,
            session_id=session_id if session_id is not None else outer.session_id,
            tags=merged,
        )

    return _Scope(make)


def span_scope(
    span_id: str,
    *,
    run: bool,
    session_id: str | None = None,
    agent: str | None = None,
    agent_id: str | None = None,
) -> _Scope:
    """Enter span ``span_id`` (a run when ``run``, else a tool call): calls inside get it as parent.
    A run opens a trace unless it is nested in one (an agent called from a tool), and names the
    agent making the calls inside it."""

    def make(outer: CallContext) -> CallContext:
        return replace(
            outer,
            trace_id=outer.trace_id or new_id(),
            parent_id=span_id,
            run=RunState(span_id) if run else None,
            session_id=session_id if session_id is not None else outer.session_id,
            agent=agent if agent is not None else outer.agent,
            agent_id=agent_id if agent_id is not None else outer.agent_id,
        )

    return _Scope(make)
