"""Turning requests, runs and tool calls into call-log rows (cheap: this runs on the event loop).

The recorder implements the loop's observer protocol (``agentcore.llm.observer``): a model client
asks it for an observer per attempt, feeds it the events and tells it how the attempt ended; the
observer builds one row and hands it to the writer. The loop runs each tool call through
``run_tool`` (a span). The default recorder (``NULL_RECORDER``) does nothing, so a bare service
pays nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import structlog

from agentcore._redact import redact_text
from agentcore.llm.events import TurnComplete
from agentcore.messages import Usage
from agentcore.tracing.context import CallContext, current, new_id, span_scope
from agentcore.tracing.writer import CallLogWriter, tags_json, utcnow

if TYPE_CHECKING:
    from agentcore.llm.observer import Target
    from agentcore.llm.request import LLMRequest
    from agentcore.llm.route import RouteInfo
    from agentcore.messages import InternalMessage, ToolCall
    from agentcore.tracing.pricing import PriceTable

log = structlog.get_logger("agentcore.llm")
_perf = time.perf_counter
_ZERO = Usage()


class _NullObserver:
    __slots__ = ()

    def see(self, event: object) -> None:
        """Nothing to record."""

    def ok(self) -> None:
        """Nothing to record."""

    def error(self, exc: BaseException) -> None:
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
        "_model",
        "_provider",
        "_recorder",
        "_request",
        "_start",
        "_status",
        "_turn",
        "attempt",
        "call_id",
        "created_at",
        "done",
        "parent_id",
    )

    def __init__(self, recorder: CallRecorder, service: Target, request: LLMRequest, attempt: int) -> None:
        self._recorder = recorder
        # Taken now: the service's model may be switched (/model) before the writer builds the row.
        self._provider = service.provider
        self._model = service.model
        self._request = request
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
        if type(event) is TurnComplete:
            # The round trip's last event: the attempt succeeded, even if the consumer stops here.
            self._turn = event
            self._finish("success" if event.cached is None else "cache_hit", None)

    def ok(self) -> None:
        """The attempt completed."""
        self._finish("success", None)

    def error(self, exc: BaseException) -> None:
        """The attempt failed with ``exc`` (it may be retried: the next attempt gets its own row)."""
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
        self._recorder.writer.submit("call", self)

    def row(self) -> dict[str, Any]:
        """The call-log row of this finished attempt (built by the writer, off the request path)."""
        ctx: CallContext = self._ctx
        provider, model = self._provider, self._model
        request = self._request
        turn = self._turn
        usage = turn.usage if turn is not None else _ZERO
        recorder = self._recorder
        saved: float | None = None
        if turn is not None and turn.cached is not None:  # cache_hit: the original tokens, nothing spent
            usage = turn.cached
            saved = recorder.prices.cost(provider, model, usage)
        stream = request.stream
        first = self._first
        error = self._error
        row: dict[str, Any] = {
            "id": self.call_id,
            "trace_id": ctx.trace_id,
            "parent_call_id": self.parent_id,
            "session_id": ctx.session_id,
            "module": ctx.module,
            "user_id": ctx.user_id,
            "tags": tags_json(dict(ctx.tags)) if ctx.tags else None,
            "provider": provider,
            "model": model,
            "purpose": request.purpose,
            "stream": stream,
            "messages_count": len(request.messages) + (1 if request.system else 0),
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "cached_tokens": usage.cached_tokens,
            "reasoning_tokens": usage.reasoning_tokens,
            "total_tokens": usage.prompt_tokens + usage.completion_tokens,
            "cost_usd": None
            if turn is None
            else (0.0 if turn.cached is not None else recorder.prices.cost(provider, model, usage)),
            "latency_ms": round((self._end - self._start) * 1000, 3),
            "time_to_first_token_ms": round((first - self._start) * 1000, 3)
            if stream and first is not None
            else None,
            "status": self._status,
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
        log.info(
            "llm.call",
            call_id=row["id"],
            trace_id=row["trace_id"],
            session_id=row["session_id"],
            module=row["module"],
            status=row["status"],
            provider=provider,
            model=model,
            prompt_tokens=row["prompt_tokens"],
            completion_tokens=row["completion_tokens"],
            cost_usd=row["cost_usd"],
            saved_usd=saved,
            latency_ms=row["latency_ms"],
            attempt=self.attempt,
            error=row["error_message"],
        )
        return row


class CallRecorder:
    """Records every request attempt, run and tool call of a service into a writer."""

    enabled = True

    def __init__(self, writer: CallLogWriter, prices: PriceTable, *, store_content: bool = False) -> None:
        self.writer = writer
        self.prices = prices
        self.store_content = store_content

    def attempt(
        self, client: Target, request: LLMRequest, attempt: int, *, route: RouteInfo | None = None
    ) -> CallObserver:
        """An observer for attempt number ``attempt`` of ``request`` (sent to ``client``)."""
        return CallObserver(self, client, request, attempt)

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
        with span_scope(span_id, run=True, session_id=session_id) as ctx:
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
        self, client: Target, request: LLMRequest, attempt: int, *, route: RouteInfo | None = None
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
