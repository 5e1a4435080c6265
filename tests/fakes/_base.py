"""Reply scripting shared by the fake provider servers.

A fake holds a FIFO queue of replies; each provider request pops one (or uses the default
reply when the queue is empty). Replies are provider-neutral descriptions; each fake renders
them in its own wire format, streaming or not depending on the request.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, cast

from ._http import (
    DropResponse,
    FullResponse,
    HttpRequest,
    HttpServer,
    Response,
    StreamResponse,
    json_response,
)

__all__ = [
    "DropReply",
    "ErrorReply",
    "FakeLLMServer",
    "RecordedRequest",
    "Reply",
    "ReplyFn",
    "StreamErrorReply",
    "TextReply",
    "ToolCall",
    "ToolCallsReply",
    "TrickleReply",
    "TruncatedReply",
    "Usage",
    "UsageLike",
]


@dataclass(frozen=True, slots=True)
class Usage:
    """Token usage of a reply.

    OpenAI: prompt_tokens / completion_tokens / prompt_tokens_details.cached_tokens /
    completion_tokens_details.reasoning_tokens. Anthropic: input_tokens / output_tokens /
    cache_read_input_tokens (``cached``) / cache_creation_input_tokens (``cache_creation``).

    ``cache_creation_1h``: the part of ``cache_creation`` written to the 1-hour cache (Anthropic's
    ``usage.cache_creation.ephemeral_1h_input_tokens``). ``total``: OpenAI's ``total_tokens`` when it
    is not prompt + completion (Gemini counts reasoning outside ``completion_tokens``). ``omit``:
    send no usage at all (OpenAI: no ``usage`` field, no usage chunk in a stream).
    """

    prompt: int = 10
    completion: int = 5
    cached: int | None = None
    reasoning: int | None = None
    cache_creation: int | None = None
    cache_creation_1h: int | None = None
    total: int | None = None
    omit: bool = False


#: ``Usage`` or a tuple ``(prompt, completion[, cached[, reasoning[, cache_creation]]])``
UsageLike = Usage | tuple[int, ...]
#: ``(name, arguments)``: arguments as a dict (JSON-encoded by the fake) or a raw JSON string
ToolCall = tuple[str, dict[str, Any] | str]


def to_usage(usage: UsageLike | None) -> Usage:
    if usage is None:
        return Usage()
    if isinstance(usage, Usage):
        return usage
    return Usage(*cast(tuple[Any, ...], usage))


@dataclass(slots=True)
class TextReply:
    text: str = "ok"
    usage: UsageLike | None = None
    #: override finish_reason / stop_reason verbatim (e.g. "length" / "max_tokens")
    finish_reason: str | None = None
    delay_s: float = 0.0


@dataclass(slots=True)
class ToolCallsReply:
    calls: Sequence[ToolCall]
    text: str | None = None
    usage: UsageLike | None = None
    finish_reason: str | None = None
    delay_s: float = 0.0


@dataclass(slots=True)
class ErrorReply:
    """An HTTP error. ``body=None`` renders the provider's error envelope from message/code."""

    status: int
    body: Any = None  # dict/list -> JSON, str/bytes -> sent verbatim, None -> provider default
    headers: dict[str, str] | None = None
    message: str | None = None
    code: str | None = None
    delay_s: float = 0.0


@dataclass(slots=True)
class DropReply:
    """Close the connection right after reading the request (no response at all)."""

    delay_s: float = 0.0


@dataclass(slots=True)
class TruncatedReply:
    """Send ``inner``'s stream but close the socket after ``after_chunks`` chunks/events.

    For a non-streaming request, half of the JSON body is sent (Content-Length says more).
    With ``clean=True`` the response ends properly instead (the chunked stream is terminated, the
    body's Content-Length matches what is sent): only its content is cut.
    """

    inner: TextReply | ToolCallsReply
    after_chunks: int = 2
    clean: bool = False


@dataclass(slots=True)
class StreamErrorReply:
    """Stream ``inner``'s first ``after_chunks`` chunks/events, then an error event (HTTP 200).

    OpenAI-compatible: ``data: {"error": {"message", "type", "code"}}``; Anthropic:
    ``event: error`` with ``{"type": "error", "error": {"type", "message"}}``; Bedrock: an exception
    frame whose ``:exception-type`` is ``error_type`` (botocore knows the stream shape's member names:
    ``throttlingException``, ``modelStreamErrorException``, ``serviceUnavailableException``...). For a non-streaming
    request the error is sent as a normal HTTP error with ``status``.
    """

    inner: TextReply | ToolCallsReply
    after_chunks: int = 1
    error_type: str = "server_error"
    message: str = "the model server had an error while streaming"
    status: int = 500


@dataclass(slots=True)
class TrickleReply:
    """Send ``inner`` slowly: a streamed reply's chunks ``interval_s`` apart, a JSON body
    ``chunk_bytes`` bytes at a time, ``interval_s`` apart (each gap short, the total long)."""

    inner: TextReply | ToolCallsReply
    interval_s: float = 0.2
    chunk_bytes: int = 1


Reply = TextReply | ToolCallsReply | ErrorReply | DropReply | TruncatedReply | StreamErrorReply | TrickleReply


@dataclass(slots=True)
class RecordedRequest:
    method: str
    path: str  # raw path, without the query string
    query: dict[str, str]
    headers: dict[str, str]  # lower-case keys
    body: bytes
    json: Any  # parsed body (None if not JSON)
    #: which endpoint matched, e.g. "chat", "azure_chat", "messages", "bedrock_invoke", "bedrock_stream"
    route: str = ""
    #: path parameters, e.g. {"deployment": ...} or {"model": ...}
    params: dict[str, str] = field(default_factory=dict[str, str])

    @property
    def body_dict(self) -> dict[str, Any]:
        """The JSON body if it is an object, else ``{}``."""
        return cast(dict[str, Any], self.json) if isinstance(self.json, dict) else {}

    @property
    def model(self) -> str | None:
        body_model = self.body_dict.get("model")
        return str(body_model) if body_model else self.params.get("model") or self.params.get("deployment")


#: computes a reply from the request; returning a ``str`` means ``TextReply(str)``
ReplyFn = Callable[[RecordedRequest], "Reply | str"]


@dataclass(slots=True)
class _FnItem:
    fn: ReplyFn


def split(text: str, size: int) -> list[str]:
    size = max(1, size)
    return [text[i : i + size] for i in range(0, len(text), size)]


def args_json(args: dict[str, Any] | str) -> str:
    return args if isinstance(args, str) else json.dumps(args)


class FakeLLMServer:
    """Base class: reply queue, request recording and the HTTP server. Subclasses render."""

    id_prefix = "req_"

    def __init__(
        self,
        *,
        default: Reply | ReplyFn | str = "ok",
        chunk_delay_s: float = 0.0,
        chunk_chars: int = 8,
    ) -> None:
        #: every request received, in order (including unknown paths)
        self.requests: list[RecordedRequest] = []
        #: pause between SSE chunks (0 = write the whole stream at once)
        self.chunk_delay_s = chunk_delay_s
        #: size of the text / argument fragments in streamed deltas
        self.chunk_chars = chunk_chars
        self._default: Reply | _FnItem = TextReply("ok")
        self.set_default(default)
        self._queue: deque[Reply | _FnItem] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._call_ids = itertools.count(1)
        self._server = HttpServer(self._handle)
        self.url: str = self._server.url
        self.port: int = self._server.port

    # -- scripting -----------------------------------------------------------------------------
    def push(self, *replies: Reply | ReplyFn | str) -> Self:
        with self._lock:
            self._queue.extend(self._coerce(r) for r in replies)
        return self

    def reply_text(
        self, text: str, usage: UsageLike | None = None, *, finish_reason: str | None = None,
        delay_s: float = 0.0,
    ) -> Self:  # fmt: skip
        return self.push(TextReply(text, usage, finish_reason, delay_s))

    def reply_tool_calls(
        self, calls: Sequence[ToolCall], text: str | None = None, usage: UsageLike | None = None,
        *, finish_reason: str | None = None, delay_s: float = 0.0,
    ) -> Self:  # fmt: skip
        return self.push(ToolCallsReply(list(calls), text, usage, finish_reason, delay_s))

    def reply_error(
        self, status: int, body: Any = None, headers: dict[str, str] | None = None,
        *, message: str | None = None, code: str | None = None, delay_s: float = 0.0,
    ) -> Self:  # fmt: skip
        return self.push(ErrorReply(status, body, headers, message, code, delay_s))

    def reply_drop(self, *, delay_s: float = 0.0) -> Self:
        return self.push(DropReply(delay_s))

    def reply_truncated_stream(
        self, text: str = "partial answer that never ends", *, after_chunks: int = 2,
        tool_calls: Sequence[ToolCall] | None = None,
    ) -> Self:  # fmt: skip
        inner: TextReply | ToolCallsReply = (
            ToolCallsReply(list(tool_calls), text or None) if tool_calls else TextReply(text)
        )
        return self.push(TruncatedReply(inner, after_chunks))

    def reply_cut(
        self, text: str = "partial answer that never ends", *, after_chunks: int = 2,
        tool_calls: Sequence[ToolCall] | None = None, usage: UsageLike | None = None,
    ) -> Self:  # fmt: skip
        """A response that ends cleanly but cut: a stream without its last events, half a JSON body."""
        inner: TextReply | ToolCallsReply = (
            ToolCallsReply(list(tool_calls), text or None, usage) if tool_calls else TextReply(text, usage)
        )
        return self.push(TruncatedReply(inner, after_chunks, clean=True))

    def reply_stream_error(
        self, text: str = "partial", *, after_chunks: int = 1, error_type: str = "server_error",
        message: str = "the model server had an error while streaming", status: int = 500,
    ) -> Self:  # fmt: skip
        return self.push(StreamErrorReply(TextReply(text), after_chunks, error_type, message, status))

    def reply_trickle(
        self, text: str = "slow answer", *, interval_s: float = 0.2, chunk_bytes: int = 1
    ) -> Self:
        return self.push(TrickleReply(TextReply(text), interval_s, chunk_bytes))

    def reply_fn(self, fn: ReplyFn, *, times: int = 1) -> Self:
        """Queue ``fn`` ``times`` times; each use calls ``fn(request)`` to get the reply."""
        return self.push(*([fn] * times))

    def set_default(self, reply: Reply | ReplyFn | str) -> None:
        """Reply used when the queue is empty (a str means a text reply)."""
        self._default = self._coerce(reply)

    def clear(self) -> None:
        """Drop queued replies and recorded requests."""
        with self._lock:
            self._queue.clear()
        self.requests.clear()

    @property
    def pending(self) -> int:
        """Number of queued replies not consumed yet."""
        return len(self._queue)

    @property
    def last_request(self) -> RecordedRequest:
        return self.requests[-1]

    @staticmethod
    def _coerce(reply: Reply | ReplyFn | str) -> Reply | _FnItem:
        if isinstance(reply, str):
            return TextReply(reply)
        if callable(reply):
            return _FnItem(reply)
        return reply

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised while rendering replies (each was answered with a 500)."""
        return self._server.errors

    def close(self) -> None:
        self._server.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- request handling ----------------------------------------------------------------------
    def _next_id(self) -> int:
        return next(self._ids)

    def _next_call_id(self) -> int:
        return next(self._call_ids)

    def _handle(self, http: HttpRequest) -> Response:
        rec = RecordedRequest(http.method, http.path, http.query, http.headers, http.body, http.json())
        self.requests.append(rec)
        if not self._route(rec):
            return json_response(404, {"error": {"message": f"no route for {rec.method} {rec.path}"}})
        with self._lock:
            item = self._queue.popleft() if self._queue else self._default
        reply = self._coerce(item.fn(rec)) if isinstance(item, _FnItem) else item
        if isinstance(reply, _FnItem):
            raise TypeError("a reply function must return a reply or a str, not a callable")
        if isinstance(reply, DropReply):
            return DropResponse(reply.delay_s)
        if isinstance(reply, ErrorReply):
            return self._render_error(reply, rec)
        if isinstance(reply, TruncatedReply):
            resp = self._render(reply.inner, rec)
            if isinstance(resp, FullResponse):
                if reply.clean:
                    resp.body = resp.body[: len(resp.body) // 2]
                else:
                    resp.truncate_at = len(resp.body) // 2
            elif isinstance(resp, StreamResponse):
                if reply.clean:
                    resp.chunks = list(resp.chunks)[: reply.after_chunks]
                else:
                    resp.truncate_after = reply.after_chunks
            return resp
        if isinstance(reply, StreamErrorReply):
            resp = self._render(reply.inner, rec)
            if not isinstance(resp, StreamResponse):
                error = ErrorReply(reply.status, message=reply.message, code=reply.error_type)
                return self._render_error(error, rec)
            chunks = list(resp.chunks)[: reply.after_chunks]
            resp.chunks = [*chunks, self._error_event(reply, rec)]
            return resp
        if isinstance(reply, TrickleReply):
            resp = self._render(reply.inner, rec)
            if isinstance(resp, FullResponse):
                resp.trickle_s, resp.trickle_bytes = reply.interval_s, reply.chunk_bytes
            elif isinstance(resp, StreamResponse):
                resp.chunk_delay_s = reply.interval_s
            return resp
        return self._render(reply, rec)

    # -- subclass hooks ------------------------------------------------------------------------
    def _route(self, rec: RecordedRequest) -> bool:
        """Fill ``rec.route``/``rec.params``; return False for an unknown endpoint (404)."""
        raise NotImplementedError

    def _render(self, reply: TextReply | ToolCallsReply, rec: RecordedRequest) -> Response:
        raise NotImplementedError

    def _render_error(self, reply: ErrorReply, rec: RecordedRequest) -> Response:
        raise NotImplementedError

    def _error_event(self, reply: StreamErrorReply, rec: RecordedRequest) -> bytes:
        """One error event in the provider's stream framing."""
        raise NotImplementedError

    @staticmethod
    def _raw_error(reply: ErrorReply, headers: dict[str, str]) -> FullResponse | None:
        """Render an explicit (non-None) error body; None means: use the provider envelope."""
        hdrs = {**headers, **{k.lower(): str(v) for k, v in (reply.headers or {}).items()}}
        if reply.body is None:
            return None
        if isinstance(reply.body, (dict, list)):
            return FullResponse(reply.status, json.dumps(reply.body).encode(),
                                {"content-type": "application/json", **hdrs}, reply.delay_s)  # fmt: skip
        raw = reply.body.encode() if isinstance(reply.body, str) else bytes(reply.body)
        return FullResponse(reply.status, raw, {"content-type": "text/plain", **hdrs}, reply.delay_s)
