"""``FakeAnthropic``: a scriptable Anthropic Messages API server (plus Bedrock's invoke paths).

Endpoints: ``POST /v1/messages`` (JSON or SSE, per the body's ``stream``),
``POST /model/{model_id}/invoke`` (Bedrock, JSON) and
``POST /model/{model_id}/invoke-with-response-stream`` (Bedrock, AWS event-stream framing).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import struct
from typing import Any
from urllib.parse import unquote

from ._base import (
    ErrorReply,
    FakeLLMServer,
    RecordedRequest,
    StreamErrorReply,
    TextReply,
    ToolCallsReply,
    Usage,
    args_json,
    split,
    to_usage,
)
from ._http import FullResponse, Response, StreamResponse, json_response

__all__ = ["FakeAnthropic", "event_stream_frame"]

_BEDROCK = re.compile(r"^/model/([^/]+)/(invoke|invoke-with-response-stream)$")

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
_BEDROCK_ERRORS = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}


def _usage(u: Usage, *, output: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "input_tokens": u.prompt,
        "output_tokens": u.completion if output is None else output,
        "cache_read_input_tokens": u.cached or 0,
        "cache_creation_input_tokens": u.cache_creation or 0,
    }
    if u.cache_creation_1h is not None:
        one_hour = u.cache_creation_1h
        out["cache_creation"] = {
            "ephemeral_5m_input_tokens": (u.cache_creation or 0) - one_hour,
            "ephemeral_1h_input_tokens": one_hour,
        }
    return out


def _header(name: str, value: str) -> bytes:
    n, v = name.encode(), value.encode()
    return struct.pack(">B", len(n)) + n + b"\x07" + struct.pack(">H", len(v)) + v


def event_stream_frame(payload: bytes, headers: dict[str, str]) -> bytes:
    """Encode one AWS event-stream message (string headers only), CRCs included."""
    hdrs = b"".join(_header(k, v) for k, v in headers.items())
    total = 12 + len(hdrs) + len(payload) + 4
    prelude = struct.pack(">II", total, len(hdrs))
    prelude += struct.pack(">I", binascii.crc32(prelude) & 0xFFFFFFFF)
    msg = prelude + hdrs + payload
    return msg + struct.pack(">I", binascii.crc32(msg) & 0xFFFFFFFF)


def _bedrock_chunk(event: dict[str, Any]) -> bytes:
    data = json.dumps(event, separators=(",", ":")).encode()
    payload = json.dumps({"bytes": base64.b64encode(data).decode()}).encode()
    return event_stream_frame(
        payload, {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}
    )


def _sse(event: dict[str, Any]) -> bytes:
    data = json.dumps(event, separators=(",", ":"))
    return f"event: {event['type']}\ndata: {data}\n\n".encode()


class FakeAnthropic(FakeLLMServer):
    """Scriptable fake of the Anthropic Messages API (see the package docstring)."""

    def _route(self, rec: RecordedRequest) -> bool:
        if rec.method != "POST":
            return False
        if rec.path == "/v1/messages":
            rec.route = "messages"
            return True
        m = _BEDROCK.match(rec.path)
        if m:
            rec.route = "bedrock_invoke" if m.group(2) == "invoke" else "bedrock_stream"
            rec.params["model"] = unquote(m.group(1))
            return True
        return False

    def _headers(self, n: int, rec: RecordedRequest) -> dict[str, str]:
        if rec.route.startswith("bedrock"):
            return {"x-amzn-requestid": f"req_{n}", "x-request-id": f"req_{n}"}
        return {"request-id": f"req_{n}", "x-request-id": f"req_{n}"}

    def _render_error(self, reply: ErrorReply, rec: RecordedRequest) -> Response:
        n = self._next_id()
        headers = self._headers(n, rec)
        raw = self._raw_error(reply, headers)
        if raw is not None:
            return raw
        message = reply.message or ("Overloaded" if reply.status == 529 else f"fake error {reply.status}")
        if rec.route.startswith("bedrock"):
            kind = reply.code or _BEDROCK_ERRORS.get(reply.status, "InternalServerException")
            headers["x-amzn-errortype"] = f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"
            body: dict[str, Any] = {"message": message}
        else:
            kind = reply.code or _ERROR_TYPES.get(reply.status, "api_error")
            body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": f"req_{n}"}
        resp = json_response(reply.status, body, {**headers, **(reply.headers or {})})
        resp.delay_s = reply.delay_s
        return resp

    def _error_event(self, reply: StreamErrorReply, rec: RecordedRequest) -> bytes:
        event = {"type": "error", "error": {"type": reply.error_type, "message": reply.message}}
        if rec.route == "bedrock_stream":
            # Bedrock sends stream errors as exception frames named after the error
            payload = json.dumps({"message": reply.message}).encode()
            headers = {":exception-type": reply.error_type, ":content-type": "application/json",
                       ":message-type": "exception"}  # fmt: skip
            return event_stream_frame(payload, headers)
        return _sse(event)

    def _render(self, reply: TextReply | ToolCallsReply, rec: RecordedRequest) -> Response:
        n = self._next_id()
        body = rec.body_dict
        model = str(rec.model or "claude-fake")
        usage = to_usage(reply.usage)
        blocks: list[dict[str, Any]] = []
        raw_args: list[str] = []
        text = reply.text
        if text:
            blocks.append({"type": "text", "text": text})
        if isinstance(reply, ToolCallsReply):
            for name, args in reply.calls:
                raw = args_json(args)
                try:
                    parsed: Any = json.loads(raw)
                except ValueError:
                    parsed = raw  # malformed on purpose: passed through as-is
                blocks.append({"type": "tool_use", "id": f"toolu_{self._next_call_id():02d}", "name": name,
                               "input": parsed})  # fmt: skip
                raw_args.append(raw)
            stop = reply.finish_reason or "tool_use"
        else:
            stop = reply.finish_reason or "end_turn"
        headers = self._headers(n, rec)
        msg_id = f"msg_bdrk_{n}" if rec.route.startswith("bedrock") else f"msg_{n}"
        message: dict[str, Any] = {
            "id": msg_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": blocks,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": _usage(usage),
        }
        streaming = rec.route == "bedrock_stream" or (rec.route == "messages" and bool(body.get("stream")))
        if not streaming:
            resp: FullResponse = json_response(200, message, headers)
            resp.delay_s = reply.delay_s
            return resp

        events: list[dict[str, Any]] = [
            {"type": "message_start",
             "message": {**message, "content": [], "stop_reason": None, "usage": _usage(usage, output=1)}},
        ]  # fmt: skip
        if rec.route == "messages":
            events.append({"type": "ping"})
        size = self.chunk_chars
        tool_i = 0
        for index, block in enumerate(blocks):
            if block["type"] == "text":
                start: dict[str, Any] = {"type": "text", "text": ""}
                deltas = [{"type": "text_delta", "text": p} for p in split(block["text"], size)]
            else:
                start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
                frags = split(raw_args[tool_i], size)
                tool_i += 1
                deltas = [{"type": "input_json_delta", "partial_json": p} for p in ["", *frags]]
            events.append({"type": "content_block_start", "index": index, "content_block": start})
            events.extend({"type": "content_block_delta", "index": index, "delta": d} for d in deltas)
            events.append({"type": "content_block_stop", "index": index})
        events.append(
            {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
             "usage": _usage(usage)}
        )  # fmt: skip
        events.append({"type": "message_stop"})
        if rec.route == "bedrock_stream":
            chunks = [_bedrock_chunk(e) for e in events]
            ctype = "application/vnd.amazon.eventstream"
        else:
            chunks = [_sse(e) for e in events]
            ctype = "text/event-stream; charset=utf-8"
        return StreamResponse(
            200,
            chunks,
            {"content-type": ctype, "cache-control": "no-cache", **headers},
            chunk_delay_s=self.chunk_delay_s,
            delay_s=reply.delay_s,
        )
