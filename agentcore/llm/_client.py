"""The SDK client of a provider service: built on first use, kept for keep-alive, rebuilt after close."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class _Closable(Protocol):
    async def close(self) -> None: ...


C = TypeVar("C", bound=_Closable)


class LazyClient(Generic[C]):
    """One reused SDK client. ``close`` drops it; the next ``get`` builds a new one, because
    ``run_sync`` runs each call on a new event loop and connections are bound to their loop."""

    def __init__(self, make: Callable[[], C]) -> None:
        self._make = make
        self._client: C | None = None

    def get(self) -> C:
        """The client, built now if there is none."""
        if self._client is None:
            self._client = self._make()
        return self._client

    async def close(self) -> None:
        """Close the client's connections (a no-op when none was built)."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()
