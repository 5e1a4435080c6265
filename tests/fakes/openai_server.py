"""``FakeOpenAI``: a scriptable OpenAI-compatible ``/chat/completions`` server.

Endpoints: ``POST /v1/chat/completions``, ``POST /chat/completions`` and Azure's
``POST /openai/deployments/{deployment}/chat/completions?api-version=...``.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, cast

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

__all__ = ["FakeOpenAI"]

_AZURE = re.compile(r"^/openai/deployments/([^/]+)/chat/completions$")

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    409: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_exceeded",
    500: "server_error",
    502: "server_error",
    503: "server_error",
}
_ERROR_CODES = {401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded"}


def _usage(u: Usage) -> dict[str, Any]:
    out: dict[str, Any] = {
        "prompt_tokens": u.prompt,
        "completion_tokens": u.completion,
        "total_tokens": u.prompt + u.completion if u.total is None else u.total,
    }
    if u.cached is not None:
        out["prompt_tokens_details"] = {"cached_tokens": u.cached, "audio_tokens": 0}
    if u.reasoning is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": u.reasoning, "audio_tokens": 0}
    return out


def _sse(obj: Any) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


class FakeOpenAI(FakeLLMServer):
    """Scriptable fake of the OpenAI Chat Completions API (see the package docstring)."""

    def _route(self, rec: RecordedRequest) -> bool:
        if rec.method != "POST":
            return False
        if rec.path in ("/v1/chat/completions", "/chat/completions"):
            rec.route = "chat"
            return True
        m = _AZURE.match(rec.path)
        if m:
            rec.route = "azure_chat"
            rec.params["deployment"] = m.group(1)
            return True
        return False

    def _headers(self, n: int) -> dict[str, str]:
        return {"x-request-id": f"req_{n}", "openai-processing-ms": "1"}

    def _render_error(self, reply: ErrorReply, rec: RecordedRequest) -> Response:
        headers = self._headers(self._next_id())
        raw = self._raw_error(reply, headers)
        if raw is not None:
            return raw
        code = reply.code or _ERROR_CODES.get(reply.status)
        body = {
            "error": {
                "message": reply.message or f"fake error {reply.status}",
                "type": _ERROR_TYPES.get(reply.status, "server_error" if reply.status >= 500 else "error"),
                "param": None,
                "code": code,
            }
        }
        resp = json_response(reply.status, body, {**headers, **(reply.headers or {})})
        resp.delay_s = reply.delay_s
        return resp

    def _error_event(self, reply: StreamErrorReply, rec: RecordedRequest) -> bytes:
        return _sse({"error": {"message": reply.message, "type": reply.error_type, "code": reply.error_type}})

    def _render(self, reply: TextReply | ToolCallsReply, rec: RecordedRequest) -> Response:
        n = self._next_id()
        body = rec.body_dict
        model = str(rec.model or "gpt-fake")
        usage = to_usage(reply.usage)
        if isinstance(reply, ToolCallsReply):
            text = reply.text
            calls: list[dict[str, Any]] = [
                {
                    "id": f"call_{self._next_call_id()}",
                    "type": "function",
                    "function": {"name": name, "arguments": args_json(args)},
                }
                for name, args in reply.calls
            ]
            finish = reply.finish_reason or "tool_calls"
        else:
            text, calls, finish = reply.text, [], reply.finish_reason or "stop"
        headers = self._headers(n)
        created = int(time.time())
        cid = f"chatcmpl-{n}"
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
            if calls:
                message["tool_calls"] = calls
            payload = {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
                "usage": _usage(usage),
                "system_fingerprint": "fp_fake",
            }
            if usage.omit:
                del payload["usage"]
            resp: FullResponse = json_response(200, payload, headers)
            resp.delay_s = reply.delay_s
            return resp

        stream_options: Any = body.get("stream_options")
        include_usage = isinstance(stream_options, dict) and bool(
            cast(dict[str, Any], stream_options).get("include_usage")
        )
        base: dict[str, Any] = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_fake",
        }
        if include_usage:
            base["usage"] = None

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            return _sse({**base, "choices": [choice]})

        size = self.chunk_chars
        chunks = [chunk({"role": "assistant", "content": "", "refusal": None})]
        chunks.extend(chunk({"content": piece}) for piece in split(text or "", size))
        for index, call in enumerate(calls):
            fn = call["function"]
            first = {"index": index, "id": call["id"], "type": "function"}
            first["function"] = {"name": fn["name"], "arguments": ""}
            chunks.append(chunk({"tool_calls": [first]}))
            chunks.extend(
                chunk({"tool_calls": [{"index": index, "function": {"arguments": frag}}]})
                for frag in split(fn["arguments"], size)
            )
        chunks.append(chunk({}, finish))
        if include_usage and not usage.omit:
            chunks.append(_sse({**base, "choices": [], "usage": _usage(usage)}))
        chunks.append(b"data: [DONE]\n\n")
        sse_headers = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}
        return StreamResponse(
            200, chunks, {**sse_headers, **headers}, chunk_delay_s=self.chunk_delay_s, delay_s=reply.delay_s
        )
