"""The SDK client of a provider service: built on first use, kept for keep-alive, one per event loop."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class _Closable(Protocol):
    async def close(self) -> None: ...


C = TypeVar("C", bound=_Closable)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class LazyClient(Generic[C]):
    """One reused SDK client per event loop.

    An SDK client's connections belong to the loop that opened them: an agent used from several
    ``asyncio.run`` calls (or threads, each with its own loop) gets one client per loop, and a
    client whose loop is gone is dropped with it (its sockets die with that loop). A client built
    outside any loop (``prepare`` in a worker thread) is adopted by the first loop that asks.
    """

    def __init__(self, make: Callable[[], C]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._spare: C | None = None  # built outside a loop, not yet adopted
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, C] = weakref.WeakKeyDictionary()

    def get(self) -> C:
        """This loop's client, built now if there is none."""
        loop = _running_loop()
        with self._lock:
            if loop is None or loop.is_closed():
                if self._spare is None:
                    self._spare = self._make()
                return self._spare
            client = self._by_loop.get(loop)
            if client is None:
                client, self._spare = (self._spare, None) if self._spare is not None else (self._make(), None)
                self._by_loop[loop] = client
            return client

    async def close(self) -> None:
        """Close this loop's client (a no-op when none was built); clients of other loops stay."""
        loop = _running_loop()
        with self._lock:
            client = self._by_loop.pop(loop, None) if loop is not None else None
            spare, self._spare = self._spare, None
        for item in (client, spare):
            if item is not None:
                await item.close()
