"""Turning requests, runs and tool calls into call-log rows (cheap: this runs on the event loop).

The recorder implements the loop's observer protocol (``agentcore.llm.observer``): a model client
asks it for an observer per attempt, feeds it the events and tells it how the attempt ended; the
observer builds one row and hands it to the writer. The loop runs each tool call through
``run_tool`` (a span). The default recorder (``NULL_RECORDER``) does nothing, so a bare service
pays nothing.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Protocol, cast

from agentcore._redact import redact_text
from agentcore.llm.events import TurnComplete, UsageReport
from agentcore.logs import get_logger
from agentcore.messages import Usage
from agentcore.tracing.context import CallContext, current, new_id, span_scope
from agentcore.tracing.writer import CallLogWriter, tags_json, utcnow

if TYPE_CHECKING:
    from agentcore.llm.request import LLMRequest
    from agentcore.llm.route import RouteInfo
    from agentcore.messages import InternalMessage, ToolCall
    from agentcore.tracing.pricing import PriceTable

log = get_logger("agentcore.llm")
_stdlog = logging.getLogger("agentcore.llm")  # what structlog writes through (agentcore.logs)
_perf = time.perf_counter
_KIND_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz_")


class Client(Protocol):
    """What the recorder reads from the client making the request."""

    @property
    def provider(self) -> str: ...

    @property
    def model(self) -> str: ...


class _NullObserver:
    __slots__ = ()

    def see(self, event: object) -> None:
        """Nothing to record."""

    def ok(self) -> None:
        """Nothing to record."""

    def error(self, exc: BaseException, usage: Usage | None = None, kind: str | None = None) -> None:
        """Nothing to record."""

    def close(self) -> None:
        """Nothing to record."""


NULL_OBSERVER = _NullObserver()


class CallObserver:
    """One request attempt: times it, keeps its usage, and queues itself once it is over.

    Only timing and references are taken here (on the event loop, per call); the row itself -
    cost, redaction, bodies - is built by the writer task when it drains the queue.
    """

    __slots__ = (
        "_ctx",
        "_end",
        "_error",
        "_first",
        "_kind",
        "_model",
        "_provider",
        "_recorder",
        "_request",
        "_route",
        "_start",
        "_status",
        "_turn",
        "_usage",
        "attempt",
        "call_id",
        "created_at",
        "done",
        "parent_id",
    )

    def __init__(
        self,
        recorder: CallRecorder,
        service: Client,
        request: LLMRequest,
        attempt: int,
        route: RouteInfo | None = None,
    ) -> None:
        self._recorder = recorder
        # Taken now: the service's model may be switched (/model) before the writer builds the row.
        self._provider = service.provider
        self._model = service.model
        self._request = request
        self._route = route
        self.attempt = attempt
        self.call_id = new_id()
        ctx = self._ctx = current()
        run = ctx.run
        if request.purpose == "turn":
            self.parent_id = ctx.parent_id
            if run is not None:
                run.last_call_id = self.call_id
        else:  # a summary or side request belongs under the turn that led to it
            self.parent_id = run.last_call_id if run is not None and run.last_call_id else ctx.parent_id
        self._turn: TurnComplete | None = None
        self._usage: Usage | None = None  # what the provider reported so far (a cut stream's part)
        self._kind: str | None = None
        self._first: float | None = None
        self._end = 0.0
        self._status = ""
        self._error: tuple[str, str] | None = None
        self.done = False
        self.created_at = utcnow()
        self._start = _perf()

    def see(self, event: object) -> None:
        """An event of the response went by."""
        if self._first is None:
            self._first = _perf()
        kind = type(event)
        if kind is TurnComplete:
            # The round trip's last event: the attempt succeeded, even if the consumer stops here.
            turn = cast(TurnComplete, event)
            self._turn = turn
            self._finish("success" if turn.cached is None else "cache_hit", None)
        elif kind is UsageReport:
            self._usage = cast(UsageReport, event).usage

    def ok(self) -> None:
        """The response ended. Without its final message it was cut short: not a success."""
        if self._turn is None:
            self._kind = "incomplete_stream"
            self._finish("error", None)
        self._finish("success", None)

    def error(self, exc: BaseException, usage: Usage | None = None, kind: str | None = None) -> None:
        """The attempt failed with ``exc`` (it may be retried: the next attempt gets its own row).

        ``usage``: what the provider had reported before the failure (kept, e.g. Anthropic's input
        tokens of a cut stream); also taken from an earlier ``UsageReport`` or ``exc.usage``.
        ``kind``: the classified failure (``incomplete_stream``, ``timeout``...), else read from
        ``exc``."""
        if self.done:
            return
        partial = usage if usage is not None else getattr(exc, "usage", None)
        if isinstance(partial, Usage):
            self._usage = partial
        self._kind = kind or error_kind(exc)
        self._finish("error", exc)

    def close(self) -> None:
        """The attempt is over; if nothing was recorded, it was cancelled or abandoned."""
        if not self.done:
            self._finish("cancelled", None)

    def _finish(self, status: str, exc: BaseException | None) -> None:
        if self.done:
            return
        self._end = _perf()
        self.done = True
        self._status = status
        if exc is not None:  # keep the text, not the exception (its traceback holds frames alive)
            self._error = (type(exc).__name__, str(exc))
        elif status == "error":
            self._error = ("IncompleteResponse", "the response ended before its final message")
        self._recorder.writer.submit("call", self)

    def row(self) -> dict[str, Any]:
        """The call-log row of this finished attempt (built by the writer, off the request path)."""
        ctx: CallContext = self._ctx
        provider, model = self._provider, self._model
        request = self._request
        turn = self._turn
        status = self._status
        usage = turn.usage if turn is not None else self._usage
        recorder = self._recorder
        hit = False
        saved: float | None = None
        if turn is not None and turn.cached is not None:
            # cache_hit: the original tokens, nothing spent, and what the original call cost
            hit, usage = True, turn.cached
            saved = row_cost(recorder, provider, model, "success", usage)
        stream = request.stream
        first = self._first
        error = self._error
        route = self._route
        row: dict[str, Any] = {
            "id": self.call_id,
            "trace_id": ctx.trace_id,
            "parent_call_id": self.parent_id,
            "session_id": ctx.session_id,
            "agent": ctx.agent if ctx.agent is not None else recorder.agent,
            "agent_id": ctx.agent_id if ctx.agent_id is not None else recorder.agent_id,
            "module": ctx.module,
            "user_id": ctx.user_id,
            "tags": tags_json(dict(ctx.tags)) if ctx.tags else None,
            "provider": provider,
            "model": model,
            "profile": route.profile if route is not None else None,
            "target": route.target if route is not None else None,
            "failover": route.failover if route is not None else False,
            "base_url_host": route.base_url_host if route is not None else None,
            "purpose": request.purpose,
            "stream": stream,
            "messages_count": len(request.messages) + (1 if request.system else 0),
            **usage_columns(usage),
            "cost_usd": 0.0 if hit else row_cost(recorder, provider, model, status, usage),
            "saved_usd": saved,
            "latency_ms": round((self._end - self._start) * 1000, 3),
            "time_to_first_token_ms": round((first - self._start) * 1000, 3)
            if stream and first is not None
            else None,
            "status": status,
            "error_kind": self._kind,
            "error_type": error[0] if error is not None else None,
            "error_message": redact_text(error[1])[:2000] if error is not None else None,
            "finish_reason": turn.finish_reason if turn is not None else None,
            "attempt": self.attempt,
            "retries": self.attempt - 1,
            "request_body": _request_body(request) if recorder.store_content else None,
            "response_body": _message_body(turn.message) if recorder.store_content and turn else None,
            "created_at": self.created_at,
        }
        # One line per call for the JSON log (INFO: filtered out at the default console level).
        # Built here, in the writer task, so the context fields are passed explicitly.
        if _stdlog.isEnabledFor(logging.INFO):
            self._log(row, saved)
        return row

    def _log(self, row: dict[str, Any], saved: float | None) -> None:
        log.info(
            "llm.call",
            call_id=row["id"],
            trace_id=row["trace_id"],
            session_id=row["session_id"],
            agent=row["agent"],
            module=row["module"],
            status=row["status"],
            error_kind=row["error_kind"],
            provider=row["provider"],
            model=row["model"],
            usage_reported=row["usage_reported"],
            prompt_tokens=row["prompt_tokens"],
            completion_tokens=row["completion_tokens"],
            cache_write_tokens=row["cache_write_tokens"],
            cost_usd=row["cost_usd"],
            saved_usd=saved,
            latency_ms=row["latency_ms"],
            attempt=self.attempt,
            error=row["error_message"],
        )


_UNREPORTED: dict[str, Any] = {
    "usage_reported": False,
    "prompt_tokens": None,
    "completion_tokens": None,
    "cached_tokens": None,
    "cache_write_tokens": None,
    "cache_write_1h_tokens": None,
    "reasoning_tokens": None,
    "total_tokens": None,
}


def usage_columns(usage: Usage | None) -> dict[str, Any]:
    """The token columns of a row: the provider's figures, or NULL when it reported none."""
    if usage is None or not usage.reported:
        return _UNREPORTED
    return {
        "usage_reported": True,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "cached_tokens": usage.cached_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "cache_write_1h_tokens": usage.cache_write_1h_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "total_tokens": usage.total_tokens,
    }


def row_cost(
    recorder: CallRecorder, provider: str, model: str, status: str, usage: Usage | None
) -> float | None:
    """The cost of an attempt when it is known exactly, else None.

    A free model (a local server, or a configured zero price) costs 0 whatever happened. Otherwise
    only a successful attempt with reported usage is priced: a failed or cancelled one may have
    been billed for more than the part it reported."""
    price = recorder.prices.price(provider, model)
    if price is None:
        return None
    if price.input == 0 and price.output == 0:
        return 0.0
    if status != "success" or usage is None or not usage.reported:
        return None
    return price.cost(usage)


def error_kind(exc: BaseException) -> str | None:
    """The classified failure of ``exc`` (a short identifier such as ``incomplete_stream``)."""
    for attr in ("kind", "reason_code", "reason"):
        value = getattr(exc, attr, None)
        if isinstance(value, str) and 0 < len(value) <= 50 and _KIND_CHARS.issuperset(value):
            return value
    failure = getattr(exc, "failure", None)
    value = getattr(failure, "kind", None)
    if isinstance(value, str):
        return value
    name = type(exc).__name__
    if "Incomplete" in name or "Truncat" in name:
        return "incomplete_stream"
    if isinstance(exc, TimeoutError) or "Timeout" in name:
        return "timeout"
    if "Authentication" in name:
        return "auth"
    if "ContextLength" in name:
        return "context_length"
    if "Connection" in name:
        return "connection"
    return None


class CallRecorder:
    """Records every request attempt, run and tool call of a service into a writer."""

    enabled = True

    def __init__(
        self,
        writer: CallLogWriter,
        prices: PriceTable,
        *,
        store_content: bool = False,
        agent: str | None = None,
        agent_id: str | None = None,
    ) -> None:
        self.writer = writer
        self.prices = prices
        self.store_content = store_content
        self.agent = agent  # the agent this recorder belongs to (rows made outside its runs)
        self.agent_id = agent_id

    def attempt(
        self, client: Client, request: LLMRequest, attempt: int, *, route: RouteInfo | None = None
    ) -> CallObserver:
        """An observer for attempt number ``attempt`` of ``request`` (``route``: the routed target)."""
        return CallObserver(self, client, request, attempt, route)

    def record_span(
        self,
        span_id: str,
        kind: str,
        name: str,
        parent_id: str | None,
        ctx: CallContext,
        status: str,
        started: float,
        created_at: Any,
        detail: str | None = None,
    ) -> None:
        """Queue a run or tool-call span."""
        self.writer.submit(
            "span",
            {
                "id": span_id,
                "trace_id": ctx.trace_id,
                "parent_id": parent_id,
                "kind": kind,
                "name": name,
                "session_id": ctx.session_id,
                "module": ctx.module,
                "user_id": ctx.user_id,
                "status": status,
                "latency_ms": round((_perf() - started) * 1000, 3),
                "detail": detail,
                "created_at": created_at,
            },
        )

    @asynccontextmanager
    async def run_span(self, session_id: str | None, name: str = "run") -> AsyncGenerator[CallContext]:
        """The span of one ``Agent.run``/``stream``: opens (or, nested in a tool, joins) a trace."""
        span_id = new_id()
        outer = current()
        started, created = _perf(), utcnow()
        status = "cancelled"
        scope = span_scope(span_id, run=True, session_id=session_id, agent=self.agent, agent_id=self.agent_id)
        with scope as ctx:
            try:
                yield ctx
                status = "success"
            except Exception:
                status = "error"
                raise
            finally:
                self.record_span(span_id, "run", name, outer.parent_id, ctx, status, started, created)

    async def run_tool(
        self, call: ToolCall, execute: Callable[[ToolCall], Awaitable[InternalMessage]]
    ) -> InternalMessage:
        """Run one tool call as a span: the parent of any call made inside the tool."""
        outer = current()
        span_id = new_id()
        parent = outer.run.last_call_id if outer.run and outer.run.last_call_id else outer.parent_id
        started, created = _perf(), utcnow()
        status = "cancelled"
        with span_scope(span_id, run=False) as ctx:
            try:
                result = await execute(call)
                status = "error" if result.is_error else "success"
                return result
            except Exception:
                status = "error"
                raise
            finally:
                self.record_span(span_id, "tool", call.name, parent, ctx, status, started, created)


class _NullRecorder:
    """Records nothing (a service used without an agent, or with the call log off)."""

    enabled = False

    def attempt(
        self, client: Client, request: LLMRequest, attempt: int, *, route: RouteInfo | None = None
    ) -> _NullObserver:
        """The do-nothing observer."""
        return NULL_OBSERVER

    def run_tool(
        self, call: ToolCall, execute: Callable[[ToolCall], Awaitable[InternalMessage]]
    ) -> Awaitable[InternalMessage]:
        """Run the tool, unrecorded."""
        return execute(call)


NULL_RECORDER = _NullRecorder()


def _message_body(message: InternalMessage) -> str:
    data: dict[str, Any] = {"role": message.role, "content": message.text}
    if message.tool_calls:
        data["tool_calls"] = [
            {"id": c.id, "name": c.name, "arguments": c.arguments} for c in message.tool_calls
        ]
    return redact_text(json.dumps(data, ensure_ascii=False))


def _request_body(request: LLMRequest) -> str:
    messages = [{"role": "system", "content": request.system}] if request.system else []
    messages += [json.loads(_message_body(m)) for m in request.messages]
    return redact_text(
        json.dumps({"messages": messages, "tools": [t.name for t in request.tools]}, ensure_ascii=False)
    )


Recorder = CallRecorder | _NullRecorder
