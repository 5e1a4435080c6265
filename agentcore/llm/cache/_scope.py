"""Who a request is for, as the response cache sees it: set by the Agent around each run.

A context variable, because the cache sits far below the run (router, target, retries) and the
request itself does not say which user or session it belongs to.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CacheContext:
    """``enabled`` False bypasses the cache (``run(cache=False)``, ``--no-cache``)."""

    enabled: bool = True
    user: str | None = None
    session: str | None = None


_DEFAULT = CacheContext()
_CURRENT: ContextVar[CacheContext | None] = ContextVar("agentcore_response_cache", default=None)


def current_cache_context() -> CacheContext:
    """The cache context of the running request."""
    return _CURRENT.get() or _DEFAULT


@contextmanager
def cache_context(
    *, enabled: bool = True, user: str | None = None, session: str | None = None
) -> Generator[None]:
    """Requests made inside use (or, with ``enabled=False``, bypass) the cache as ``user``/``session``."""
    token = _CURRENT.set(CacheContext(enabled, user, session))
    try:
        yield
    finally:
        # An async generator closed from another task: its context is gone anyway.
        with suppress(ValueError):
            _CURRENT.reset(token)
