"""The auth step's token cache: one auth request per key, shared by concurrent first calls.

Entries are per cache key (the calling user when keys are per user), kept until they expire (less a
margin) or a chat call answers 401. Values are registered as secrets so that no log line shows them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

Fetch = Callable[[], Awaitable[tuple[dict[str, Any], float | None]]]


@dataclass(slots=True)
class Token:
    """The variables one auth answer set, and when they stop being valid (monotonic seconds)."""

    variables: dict[str, Any]
    expires_at: float | None
    created_at: float = field(default_factory=time.monotonic)

    def valid(self, now: float) -> bool:
        """Still usable at ``now``."""
        return self.expires_at is None or now < self.expires_at


class TokenStore(Protocol):
    """Tokens shared between processes (``serve`` workers), e.g. :class:`RedisTokenStore`."""

    async def load(self, key: str) -> tuple[dict[str, Any], float | None] | None:
        """The variables stored under ``key`` and their seconds left (None: no expiry), or None."""
        ...

    async def save(self, key: str, variables: dict[str, Any], ttl: float | None) -> None:
        """Store ``variables`` for ``ttl`` seconds (None: until dropped)."""
        ...

    async def drop(self, key: str, variables: dict[str, Any]) -> None:
        """Forget ``key`` if it still holds ``variables`` (another worker may have refreshed it)."""
        ...


class TokenCache:
    """The tokens of one provider service: in memory, optionally backed by a shared store."""

    def __init__(
        self,
        margin: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        store: TokenStore | None = None,
    ) -> None:
        self._margin = margin
        self._clock = clock
        self.store = store
        self._tokens: dict[str, Token] = {}
        self._pending: dict[str, asyncio.Future[Token]] = {}
        #: auth requests actually sent (for tests and ``providers test``)
        self.fetches = 0

    async def get(self, key: str, fetch: Fetch, store: TokenStore | None = None) -> Token:
        """The cached token for ``key``, or a new one (one fetch however many callers wait).

        ``store`` (else ``self.store``) is asked before fetching, and keeps what was fetched."""
        store = store if store is not None else self.store
        token = self._tokens.get(key)
        if token is not None and token.valid(self._clock()):
            return token
        loop = asyncio.get_running_loop()
        pending = self._pending.get(key)
        if pending is not None and not pending.done() and pending.get_loop() is loop:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # we were cancelled ourselves
                return await self.get(key, fetch, store)  # the caller that fetched was cancelled: fetch anew
        future: asyncio.Future[Token] = loop.create_future()
        self._pending[key] = future
        try:
            token = await self._from_store(key, store)
            if token is None:
                self.fetches += 1
                variables, expires_in = await fetch()
                now = self._clock()
                expires_at = None if expires_in is None else now + max(0.0, expires_in - self._margin)
                token = Token(variables, expires_at, now)
                if store is not None:
                    ttl = None if expires_at is None else expires_at - now
                    if ttl is None or ttl > 0:
                        await store.save(key, variables, ttl)
            self._tokens[key] = token
            future.set_result(token)
            return token
        except BaseException as exc:
            if not future.done():
                future.set_exception(exc if isinstance(exc, Exception) else asyncio.CancelledError())
                future.exception()  # retrieved here: waiters (if any) re-raise it themselves
            raise
        finally:
            if self._pending.get(key) is future:
                del self._pending[key]

    async def _from_store(self, key: str, store: TokenStore | None) -> Token | None:
        if store is None:
            return None
        found = await store.load(key)
        if found is None:
            return None
        variables, left = found
        now = self._clock()
        return Token(variables, None if left is None else now + left, now)

    async def invalidate(self, key: str, token: Token, store: TokenStore | None = None) -> None:
        """Forget ``token`` (a 401 said it is no longer valid) unless a newer one replaced it."""
        store = store if store is not None else self.store
        if self._tokens.get(key) is token:
            del self._tokens[key]
        if store is not None:
            await store.drop(key, token.variables)
