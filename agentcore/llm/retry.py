"""Our retry policy: which failures are retried, and how long to wait.

The SDK clients are built with ``max_retries=0`` so that retries never multiply.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import ClassVar, Literal

from agentcore._redact import redact_text
from agentcore.config.schema import LLMConfig
from agentcore.errors import (
    AuthenticationError,
    ContextLengthExceeded,
    IncompleteResponseError,
    ProviderError,
)
from agentcore.messages import Usage

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
FailureKind = Literal["status", "connection", "timeout", "context_length", "auth", "incomplete_stream"]


class IncompleteResponse(Exception):
    """A response that ended cleanly but before it was complete: a stream without its finish
    (``finish_reason``/``[DONE]``, ``message_stop``) or a body that is not whole JSON.

    Raised inside a provider's round trip; ``call_status`` is what the call log records for the attempt.
    """

    call_status: ClassVar[str] = "incomplete_stream"


class DeadlineExceeded(Exception):
    """The request ran past ``llm.timeout`` (total) or ``llm.firstByteTimeout`` (first byte of a stream)."""

    call_status: ClassVar[str] = "timeout"

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message)
        self.seconds = seconds


_PARTIAL_USAGE = "_agentcore_partial_usage"


def attach_partial_usage(exc: BaseException, usage: Usage) -> None:
    """Record on ``exc`` the usage a failed attempt had already reported (e.g. Anthropic's
    ``message_start`` input tokens before the stream was cut): the provider billed it."""
    setattr(exc, _PARTIAL_USAGE, usage)


def partial_usage(exc: BaseException) -> Usage | None:
    """The usage a failed attempt reported before it failed, or None (the call log records it)."""
    found = getattr(exc, _PARTIAL_USAGE, None)
    return found if isinstance(found, Usage) else None


def classify_common(exc: BaseException) -> Failure | None:
    """The failures every provider raises the same way (our own deadline and completeness checks)."""
    if isinstance(exc, DeadlineExceeded):
        return Failure("timeout", str(exc))
    if isinstance(exc, IncompleteResponse):
        return Failure("incomplete_stream", str(exc))
    if isinstance(exc, json.JSONDecodeError):  # an SSE event or a body the SDK could not parse
        return Failure("incomplete_stream", f"the response was not valid JSON ({exc.msg} at char {exc.pos})")
    return None


@dataclass(frozen=True, slots=True)
class Failure:
    """A provider failure, classified from the SDK's exception by the provider module."""

    kind: FailureKind
    reason: str
    status: int | None = None
    request_id: str | None = None
    retry_after: float | None = None
    #: the failure cut a stream that had already delivered events (never retried)
    mid_stream: bool = False

    def __post_init__(self) -> None:
        # The provider boundary: a reason may quote a server's message or a URL; no configured
        # secret leaves here, neither in the error raised to Python code nor in a log line.
        object.__setattr__(self, "reason", redact_text(self.reason))

    @property
    def retryable(self) -> bool:
        """Connection errors, timeouts, incomplete responses, 408/409/429/5xx/529; never 400/401/403/404/422."""
        if self.mid_stream:
            return False
        if self.kind in ("connection", "timeout", "incomplete_stream"):
            return True
        if self.kind == "status" and self.status is not None:
            return self.status in RETRYABLE_STATUS or self.status >= 500
        return False

    @classmethod
    def timed_out(cls, seconds: float) -> Failure:
        """The SDK waited ``llm.timeout`` for the next bytes (connect, first byte or a stall)."""
        return cls("timeout", f"the server sent nothing for {seconds:g}s (llm.timeout)")

    @classmethod
    def unreachable(cls, url: object, exc: BaseException) -> Failure:
        """The endpoint could not be reached; names the SDK's underlying cause."""
        cause = exc.__cause__
        return cls("connection", f"cannot reach {url}" + (f": {cause}" if cause else ""))

    def cut_mid_stream(self) -> Failure:
        """This failure, happening after part of the answer was delivered: final, and said so."""
        reason = (
            f"{self.reason}; the answer was cut off after it had begun, so it was not retried "
            "(a retry would repeat what was already shown; send the message again)"
        )
        return replace(self, reason=reason, mid_stream=True)

    def to_error(
        self, provider: str, model: str, attempts: int, retry_after: float | None = None
    ) -> ProviderError:
        """The error the caller sees once no more attempts are made."""
        cls: type[ProviderError] = ProviderError
        if self.kind == "context_length":
            cls = ContextLengthExceeded
        elif self.kind == "auth" or self.status in (401, 403):
            cls = AuthenticationError
        elif self.kind == "incomplete_stream":
            cls = IncompleteResponseError
        return cls(
            self.reason,
            provider=provider,
            model=model,
            status=self.status,
            request_id=redact_text(self.request_id) if self.request_id else None,
            retry_after=retry_after,
            attempts=attempts,
        )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter; Retry-After honoured up to ``retry_after_cap``."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    retry_after_cap: float = 60.0
    #: how to wait between attempts (tests inject a recorder)
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False, repr=False)

    @classmethod
    def from_config(cls, config: LLMConfig) -> RetryPolicy:
        """The policy configured in ``llm.retry`` (attempts default to ``maxRetries + 1``)."""
        retry = config.retry
        return cls(
            attempts=retry.attempts or config.max_retries + 1,
            base_delay=retry.base_delay,
            max_delay=retry.max_delay,
            retry_after_cap=retry.retry_after_cap,
        )

    def delay(self, attempt: int, failure: Failure) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None when no retry should be made."""
        if not failure.retryable or attempt >= self.attempts:
            return None
        if failure.retry_after is not None:
            if failure.retry_after > self.retry_after_cap:
                return None
            return failure.retry_after
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return random.uniform(0, ceiling)

    def error(self, failure: Failure, provider: str, model: str, attempts: int) -> ProviderError:
        """The error raised when ``failure`` ends the request (retries exhausted, or none allowed)."""
        if not failure.retryable or failure.retry_after is None:
            return failure.to_error(provider, model, attempts)
        if failure.retry_after > self.retry_after_cap:
            wait = _duration(failure.retry_after)
            cap = _duration(self.retry_after_cap)
            failure = replace(
                failure,
                reason=f"{failure.reason} (the server asks to wait {wait}, longer than "
                f"llm.retry.retryAfterCap = {cap}, so no retry was made)",
            )
        return failure.to_error(provider, model, attempts, failure.retry_after)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def parse_retry_after(headers: object) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    raw_ms = get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        from datetime import UTC, datetime
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(str(raw))
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
