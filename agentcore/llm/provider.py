"""The base of every provider client: one round trip and the classification of its failures.

Retries, failover and the tool loop live elsewhere (``client``, ``router``, ``loop``); a provider
module only turns an ``LLMRequest`` into its SDK's call and the answer back into our events.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from agentcore.config.schema import LLMConfig
from agentcore.llm._client import LazyClient
from agentcore.llm.events import StreamEvent, TurnComplete
from agentcore.llm.request import LLMRequest
from agentcore.llm.retry import Failure

__all__ = ["ALLOW_MODEL_REQUESTS", "LLMRequest", "ProviderClient"]

# One slot: False makes every real provider request fail (``agentcore.testing.allow_model_requests``).
ALLOW_MODEL_REQUESTS: list[bool] = [True]


class ProviderClient(ABC):
    """One configured model behind one reused SDK client."""

    supports_images: ClassVar[bool] = True
    real: ClassVar[bool] = True  # False for the test doubles, which may always answer

    def __init__(self, config: LLMConfig) -> None:
        self.config = config
        self.provider: str = config.provider
        self.model = config.model
        # A provider that holds an SDK client sets this; prepare() and aclose() manage it.
        self._sdk: LazyClient[Any] | None = None

    @abstractmethod
    def _round_trip(self, request: LLMRequest) -> AsyncIterator[StreamEvent | TurnComplete]:
        """Send one request; yield stream events (when streaming) and end with a TurnComplete."""

    @abstractmethod
    def _classify(self, exc: BaseException) -> Failure | None:
        """Classify an exception of this provider's SDK; None when it is not a provider failure."""

    def round_trip(self, request: LLMRequest) -> AsyncIterator[StreamEvent | TurnComplete]:
        """One attempt, no retries (the clients that retry or fail over call this)."""
        if not ALLOW_MODEL_REQUESTS[0] and self.real:
            from agentcore.errors import ModelRequestsForbidden

            raise ModelRequestsForbidden(
                f"a real request to {self.provider}/{self.model} was attempted while model requests are "
                "forbidden (agentcore.testing.allow_model_requests(False)); use a test model"
            )
        return self._round_trip(request)

    def classify(self, exc: BaseException) -> Failure | None:
        """This provider's reading of ``exc``."""
        return self._classify(exc)

    def prepare(self) -> None:
        """Build the SDK client now (thread-safe), so its set-up is neither on the first request's clock
        nor in its latency row."""
        if self._sdk is not None:
            self._sdk.get()

    async def aclose(self) -> None:
        """Close the SDK client's connections (the next request opens new ones)."""
        if self._sdk is not None:
            await self._sdk.close()

    def get_config(self) -> dict[str, Any]:
        """Provider, model and the (secret-free) settings of this target."""
        return {
            "provider": self.provider,
            "model": self.model,
            "baseURL": self.config.base_url,
            "maxIterations": self.config.max_iterations,
        }

    def accepts_images(self) -> bool:
        """Whether this model takes image input (``supportsImages`` overrides the name table)."""
        if self.config.supports_images is not None:
            return self.config.supports_images
        from agentcore.llm._capabilities import model_accepts_images

        return self.supports_images and model_accepts_images(self.provider, self.model)

    def base_url_host(self) -> str | None:
        """host[:port] of the endpoint, for the call log (never a path, never credentials)."""
        client = getattr(self._sdk.get(), "base_url", None) if self._sdk is not None else None
        if client is None:
            return None
        host = getattr(client, "host", None)
        port = getattr(client, "port", None)
        if not host:
            return None
        return f"{host}:{port}" if port else str(host)
