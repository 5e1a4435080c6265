"""What a host process lends the HTTP providers that run inside it.

A provider is built from its ``llm:`` block alone, so it cannot know that it runs inside
``agentcore serve``; the gateway states it around each request (a context variable, so nothing is
process-wide and concurrent hosts in one process never see each other's):

- ``user_keys``: the keys table of ``serve`` (``userKeys: {table: true}``): the upstream key stored
  for the calling user;
- ``token_store``: where cached auth tokens are shared between workers (Redis under ``serve`` when
  ``storage.redis`` is set), one store per provider name.

Library code that embeds providers the same way uses :func:`hosted`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from agentcore.llm.providers.http._auth import TokenStore


class UserKeySource(Protocol):
    """Per-user upstream keys (``agentcore.serve.upstream_keys.UpstreamKeyStore``)."""

    async def upstream_key(self, user: str, provider: str) -> str | None:
        """``user``'s key for the HTTP provider named ``provider``, or None."""
        ...


@dataclass(frozen=True, slots=True)
class Host:
    """The services of the host process (None: not offered)."""

    user_keys: UserKeySource | None = None
    token_store: Callable[[str], TokenStore] | None = None  # provider name -> its store


_NONE = Host()
_host: ContextVar[Host] = ContextVar("agentcore_http_host", default=_NONE)


def current_host() -> Host:
    """The host services in effect here (an empty Host outside any)."""
    return _host.get()


def enter_host(host: Host) -> None:
    """Set ``host`` for the rest of the current task (and the tasks it starts)."""
    _host.set(host)


@contextmanager
def hosted(host: Host) -> Generator[Host]:
    """``host`` in effect inside the block."""
    token = _host.set(host)
    try:
        yield host
    finally:
        _host.reset(token)


__all__ = ["Host", "UserKeySource", "current_host", "enter_host", "hosted"]
