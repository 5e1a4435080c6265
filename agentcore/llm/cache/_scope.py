"""Who a request is for, as the response cache sees it: set by the Agent around each run.

A context variable, because the cache sits far below the run (router, target, retries) and the
request itself does not say which user or session it belongs to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CacheContext:
    """``enabled`` False bypasses the cache (``run(cache=False)``, ``--no-cache``)."""

    enabled: bool = True
    user: str | None = None
    session: str | None = None


_CURRENT: ContextVar[CacheContext] = ContextVar("agentcore_response_cache", default=CacheContext())


def current_cache_context() -> CacheContext:
    """The cache context of the running request."""
    return _CURRENT.get()


@contextmanager
def cache_context(*, enabled: bool = True, user: str | None = None, session: str | None = None) -> Iterator[None]:
    """Requests made inside use (or, with ``enabled=False``, bypass) the cache as ``user``/``session``."""
    token = _CURRENT.set(CacheContext(enabled, user, session))
    try:
        yield
    finally:
        try:
            _CURRENT.reset(token)
        except ValueError:  # an async generator closed from another task: its context is gone anyway
            pass
