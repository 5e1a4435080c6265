"""The seam between the gateway and whatever answers one LLM request (pass-through mode).

``Upstreams.resolve(name)`` turns a model name from a client into something with
``request(LLMRequest)`` (stream events, ending with a TurnComplete). Today that is a provider
service from ``agentcore.llm.factory``: ``provider/model`` or the name of ``llm.model``. When
profiles and the router exist, this is the one function to re-point (profile and target names,
failover) - the rest of the gateway does not change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Protocol

from agentcore.config.schema import PROVIDERS, AgentConfig, LLMConfig

if TYPE_CHECKING:
    from agentcore.llm.events import StreamEvent, TurnComplete
    from agentcore.llm.service import LLMRequest, LLMService
    from agentcore.tracing.recorder import CallRecorder

_MAX_VARIANTS = 64  # distinct (model, temperature, max_tokens) services kept open


class Upstream(Protocol):
    """Answers one request."""

    provider: str
    model: str

    def request(self, request: LLMRequest) -> AsyncIterator[StreamEvent | TurnComplete]:
        """Send ``request`` (with retries); stream events, then a TurnComplete."""
        ...


class Upstreams:
    """Pass-through targets by name, each a reused provider service logging to the gateway's call log."""

    def __init__(self, config: AgentConfig, recorder: CallRecorder | None) -> None:
        self._config = config
        self._recorder = recorder
        self._services: dict[tuple[str, float | None, int | None], LLMService] = {}

    def names(self) -> list[str]:
        """The names /v1/models lists (any ``provider/model`` works besides these)."""
        llm = self._config.llm
        return [f"{llm.provider}/{llm.model}"]

    def _llm_config(self, name: str) -> LLMConfig | None:
        llm = self._config.llm
        if name in (llm.model, f"{llm.provider}/{llm.model}"):
            return llm
        provider, sep, model = name.partition("/")
        if not sep or not model or provider not in PROVIDERS:
            return None
        if provider == llm.provider:
            return llm.model_copy(update={"model": model})
        # Another provider: its key and endpoint come from that provider's environment variables.
        return LLMConfig.model_validate({"provider": provider, "model": model, "timeout": llm.timeout})

    def resolve(
        self, name: str, *, temperature: float | None = None, max_tokens: int | None = None
    ) -> Upstream | None:
        """The upstream for model ``name`` with the client's settings; None for an unknown name."""
        cache_key = (name, temperature, max_tokens)
        service = self._services.get(cache_key)
        if service is not None:
            return service
        config = self._llm_config(name)
        if config is None:
            return None
        if temperature is not None or max_tokens is not None:
            update = {
                k: v for k, v in (("temperature", temperature), ("max_tokens", max_tokens)) if v is not None
            }
            config = config.model_copy(update=update)
        from agentcore.llm.factory import create_llm_service

        service = create_llm_service(config)
        if self._recorder is not None:
            service.recorder = self._recorder
        if len(self._services) < _MAX_VARIANTS:
            self._services[cache_key] = service
        return service

    async def aclose(self) -> None:
        """Close every service's connections."""
        for service in self._services.values():
            await service.aclose()
        self._services.clear()
