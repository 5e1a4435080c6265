"""``ClientWrapper``: a provider client that adds one behaviour around another (prompt tools, cache).

A wrapper is itself a ``ProviderClient``, so the retrying client and the router take it as a target
without knowing; everything but the round trip is the wrapped target's.
"""

from __future__ import annotations

from typing import Any

from agentcore.llm.provider import ProviderClient
from agentcore.llm.retry import Failure


class ClientWrapper(ProviderClient):
    """Delegates identity, classification and connections to ``inner``; subclasses do ``_round_trip``."""

    def __init__(self, inner: ProviderClient) -> None:
        super().__init__(inner.config)
        self.inner = inner
        self.provider = inner.provider  # e.g. ``http:<name>``, which differs from config.provider
        self.model = inner.model
        self._sdk = inner._sdk  # pyright: ignore[reportPrivateUsage] - same connections, same lifecycle

    def _classify(self, exc: BaseException) -> Failure | None:
        return self.inner.classify(exc)

    def accepts_images(self) -> bool:
        """As the wrapped target."""
        return self.inner.accepts_images()

    def base_url_host(self) -> str | None:
        """As the wrapped target."""
        return self.inner.base_url_host()

    def prepare(self) -> None:
        """As the wrapped target."""
        self.inner.prepare()

    async def aclose(self) -> None:
        """As the wrapped target."""
        await self.inner.aclose()

    def get_config(self) -> dict[str, Any]:
        """As the wrapped target."""
        return self.inner.get_config()

    def unwrapped(self) -> ProviderClient:
        """The provider client at the bottom of the wrappers."""
        inner = self.inner
        return inner.unwrapped() if isinstance(inner, ClientWrapper) else inner
