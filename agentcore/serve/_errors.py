"""Errors the gateway answers with: one line, a status, an OpenAI- or Anthropic-shaped body.

Nothing here ever carries a traceback or a secret: messages are built by the gateway itself or are
``agentcore.errors.describe`` (redacted) lines of provider failures.
"""

from __future__ import annotations

import json
from typing import Any

from agentcore.errors import ContextLengthExceeded, ProviderError, describe

# OpenAI error "type" and the Anthropic one for each status we send.
_TYPES: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "invalid_request_error"),
    401: ("invalid_request_error", "authentication_error"),
    403: ("invalid_request_error", "permission_error"),
    404: ("invalid_request_error", "not_found_error"),
    413: ("invalid_request_error", "request_too_large"),
    429: ("rate_limit_exceeded", "rate_limit_error"),
    500: ("server_error", "api_error"),
    502: ("upstream_error", "api_error"),
    503: ("server_error", "overloaded_error"),
    504: ("timeout", "api_error"),
}


class HttpError(Exception):
    """A refused or failed request."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.retry_after = retry_after

    def openai_body(self) -> dict[str, Any]:
        """``{"error": {message, type, param, code}}``."""
        kind = _TYPES.get(self.status, ("server_error", "api_error"))[0]
        if self.code == "budget_exceeded":
            kind = "budget_exceeded"
        return {"error": {"message": self.message, "type": kind, "param": self.param, "code": self.code}}

    def anthropic_body(self) -> dict[str, Any]:
        """``{"type": "error", "error": {type, message}}``."""
        kind = _TYPES.get(self.status, ("server_error", "api_error"))[1]
        text = (
            f"{self.param}: {self.message}" if self.param and self.param not in self.message else self.message
        )
        return {"type": "error", "error": {"type": kind, "message": text}}

    def body(self, anthropic: bool) -> bytes:
        """The JSON body for the wire format in use."""
        return json.dumps(self.anthropic_body() if anthropic else self.openai_body()).encode()

    def headers(self) -> dict[str, str]:
        """``Retry-After`` when the client should wait."""
        return {"retry-after": str(self.retry_after)} if self.retry_after is not None else {}


def bad_request(param: str, message: str) -> HttpError:
    """A 400 naming the offending field."""
    return HttpError(400, f"{param}: {message}", code="invalid_value", param=param)


def from_exception(exc: BaseException) -> HttpError:
    """The HTTP error for a failure inside a request (provider, tool loop, storage...)."""
    if isinstance(exc, HttpError):
        return exc
    info = describe(exc)
    if isinstance(exc, ContextLengthExceeded):
        return HttpError(400, info.message, code="context_length_exceeded", param="messages")
    if isinstance(exc, ProviderError):
        status = exc.status
        retry = round(exc.retry_after) if exc.retry_after is not None else None
        if status == 429:
            return HttpError(429, info.message, code="upstream_rate_limited", retry_after=retry)
        if status is not None and 400 <= status < 500 and status not in (401, 403):
            return HttpError(400, info.message, code="upstream_rejected")
        if status is None and "timed out" in info.message:
            return HttpError(504, info.message, code="upstream_timeout")
        return HttpError(502, info.message, code="upstream_error")
    from agentcore.errors import AgentcoreError

    if isinstance(exc, AgentcoreError):
        return HttpError(500, info.message, code=type(exc).__name__)
    # Not ours: the type name only (its text could carry anything).
    return HttpError(500, f"internal error ({info.type}); see the server log", code="internal_error")
