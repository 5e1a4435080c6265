"""Three fake LLM APIs shaped unlike OpenAI, on the tiny server of ``tests/fakes/_http.py``.

Each keeps the requests it got and answers from a script of replies (a reply is the text, or a
callable building the whole response).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from tests.fakes._http import FullResponse, HttpRequest, HttpServer, Response, StreamResponse, json_response

Reply = str | dict[str, Any] | Callable[[HttpRequest], Response]


def split_bytes(data: bytes, size: int = 7) -> list[bytes]:
    """``data`` cut into network chunks that ignore line ends (proves lines are joined)."""
    return [data[i : i + size] for i in range(0, len(data), size)]


class _Fake:
    def __init__(self) -> None:
        self.requests: list[HttpRequest] = []
        self.replies: list[Reply] = []
        self.lock = threading.Lock()
        self.server = HttpServer(self._handle)
        self.url = self.server.url

    def push(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def _next(self) -> Reply:
        with self.lock:
            return self.replies.pop(0) if self.replies else "ok"

    def _handle(self, request: HttpRequest) -> Response:
        raise NotImplementedError

    def close(self) -> None:
        self.server.close()

    def chat_requests(self) -> list[HttpRequest]:
        return [r for r in self.requests if "token" not in r.path]


class FakeTokenApi(_Fake):
    """ERNIE-like: a token endpoint (client id/secret), ``?access_token=`` on the chat URL, NDJSON
    chunks with ``result`` and ``is_end``; ``revoke()`` makes the current token answer 401."""

    CLIENT_ID = "client-abc"

    def __init__(self, expires_in: int = 3600) -> None:
        self.expires_in = expires_in
        self.issued: list[str] = []
        self.revoked: set[str] = set()
        self.token_delay = 0.0
        self.token_requested = threading.Event()
        super().__init__()

    def revoke(self) -> None:
        self.revoked.update(self.issued)

    def _handle(self, request: HttpRequest) -> Response:
        self.requests.append(request)
        if request.path == "/oauth/2.0/token":
            self.token_requested.set()
            if request.query.get("client_id") != self.CLIENT_ID or not request.query.get("client_secret"):
                return json_response(401, {"error": "invalid_client", "error_description": "unknown client"})
            with self.lock:
                token = f"tok-{len(self.issued) + 1}"
                self.issued.append(token)
            response = json_response(200, {"access_token": token, "expires_in": self.expires_in})
            response.delay_s = self.token_delay
            return response
        token = request.query.get("access_token", "")
        if token not in self.issued or token in self.revoked:
            return json_response(401, {"error_code": 111, "error_msg": "Access token expired"})
        reply = self._next()
        if callable(reply):
            return reply(request)
        body = request.json() or {}
        text = reply if isinstance(reply, str) else json.dumps(reply)
        usage = {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}
        if not body.get("stream"):
            return json_response(200, {"id": "as-1", "result": text, "is_end": True, "usage": usage})
        pieces = [text[: len(text) // 2], text[len(text) // 2 :]]
        lines = [{"id": "as-1", "result": p, "is_end": False} for p in pieces]
        lines.append({"id": "as-1", "result": "", "is_end": True, "usage": usage})
        data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        return StreamResponse(200, split_bytes(data), {"content-type": "application/x-ndjson"})


class FakeOllama(_Fake):
    """Ollama's native ``/api/chat``: NDJSON, ``message.content``, ``done``, ``prompt_eval_count``/
    ``eval_count``; tool calls with arguments as an object and no id."""

    def _handle(self, request: HttpRequest) -> Response:
        self.requests.append(request)
        if request.path != "/api/chat":
            return json_response(404, {"error": "not found"})
        body = request.json() or {}
        reply = self._next()
        if callable(reply):
            return reply(request)
        message: dict[str, Any] = {"role": "assistant", "content": ""}
        if isinstance(reply, dict):
            message["tool_calls"] = [{"function": {"name": reply["name"], "arguments": reply["arguments"]}}]
        else:
            message["content"] = reply
        final = {"model": body.get("model"), "done": True, "prompt_eval_count": 26, "eval_count": 7}
        if not body.get("stream", True):
            return json_response(200, {**final, "message": message})
        lines: list[dict[str, Any]] = []
        if isinstance(reply, str):
            for word in reply.split(" "):
                piece = word if not lines else " " + word
                lines.append(
                    {
                        "model": body.get("model"),
                        "message": {"role": "assistant", "content": piece},
                        "done": False,
                    }
                )
        else:
            lines.append({"model": body.get("model"), "message": message, "done": False})
        lines.append({**final, "message": {"role": "assistant", "content": ""}, "done_reason": "stop"})
        data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        return StreamResponse(200, split_bytes(data, 11), {"content-type": "application/x-ndjson"})


class FakeSseApi(_Fake):
    """An SSE API whose lines need ``chunkMatch`` (comments, ``event:`` lines, junk) and whose first
    chunk echoes the system prompt under ``role: system`` (to be dropped by ``chunkFilter``)."""

    API_KEY = "sse-secret-key-123"

    def _handle(self, request: HttpRequest) -> Response:
        self.requests.append(request)
        if request.headers.get("x-api-key") != self.API_KEY:
            return json_response(403, {"detail": {"msg": "bad key"}, "message": "forbidden: bad API key"})
        body = request.json() or {}
        reply = self._next()
        if callable(reply):
            return reply(request)
        text = reply if isinstance(reply, str) else json.dumps(reply)
        usage = {"in": 9, "out": 4}
        if not body.get("stream"):
            return json_response(200, {"output": {"text": text}, "stop": "end", "usage": usage})
        system = str(body.get("system") or "")
        events = [
            ": keep-alive",
            "event: chunk",
            "data: " + json.dumps({"choices": [{"delta": {"role": "system", "content": system}}]}),
            "data: " + json.dumps({"choices": [{"delta": {"role": "assistant", "content": text[:3]}}]}),
            "data: this line is not JSON",
            "data: " + json.dumps({"choices": [{"delta": {"content": text[3:]}, "stop": "end"}]}),
            "data: " + json.dumps({"choices": [], "usage": usage}),
            "data: [DONE]",
        ]
        data = ("\n".join(events) + "\n").encode()
        return StreamResponse(200, split_bytes(data, 5), {"content-type": "text/event-stream"})


def error_reply(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
    def reply(_request: HttpRequest) -> Response:
        return json_response(status, body, headers)

    return reply


def raw_reply(status: int, body: bytes, content_type: str = "application/json") -> Reply:
    def reply(_request: HttpRequest) -> Response:
        return FullResponse(status, body, {"content-type": content_type})

    return reply
