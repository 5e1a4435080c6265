"""The seam between the gateway and whatever answers one LLM request (pass-through mode).

``Upstreams.resolve(name)`` turns a model name from a client into something with
``request(LLMRequest)`` (stream events, ending with a TurnComplete). Today that is a provider
service from ``agentcore.llm.factory``: ``provider/model`` or the name of ``llm.model``. When
profiles and the router exist, this is the one function to re-point (profile and target names,
failover) - the rest of the gateway does not change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Protocol

from agentcore.config.schema import PROVIDERS, AgentConfig, LLMConfig

if TYPE_CHECKING:
    from agentcore.llm.client import ModelClient
    from agentcore.llm.events import StreamEvent, TurnComplete
    from agentcore.llm.request import LLMRequest
    from agentcore.tracing.recorder import CallRecorder

_MAX_VARIANTS = 64  # distinct (model, temperature, max_tokens) clients kept open


class Upstream(Protocol):
    """Answers one request."""

    @property
    def provider(self) -> str: ...

    @property
    def model(self) -> str: ...

    def request(self, request: LLMRequest) -> AsyncIterator[StreamEvent | TurnComplete]:
        """Send ``request`` (with retries / failover); stream events, then a TurnComplete."""
        ...


class _Logged:
    """A ``ModelClient`` whose every attempt is a row of the gateway's call log."""

    def __init__(self, client: ModelClient, recorder: CallRecorder | None) -> None:
        self.client = client
        self._recorder = recorder

    @property
    def provider(self) -> str:
        return self.client.provider

    @property
    def model(self) -> str:
        return self.client.model

    def request(self, request: LLMRequest) -> AsyncIterator[StreamEvent | TurnComplete]:
        if self._recorder is None:
            return self.client.request(request)
        return self.client.request(request, self._recorder)

    async def aclose(self) -> None:
        await self.client.aclose()


class Upstreams:
    """Pass-through targets by name (profiles, ``models:`` entries, ``provider/model``), each a reused
    ``ModelClient`` (a router for a profile: failover and cool-downs apply) logging to the call log."""

    def __init__(self, config: AgentConfig, recorder: CallRecorder | None) -> None:
        self._config = config
        self._recorder = recorder
        self._clients: dict[tuple[str, float | None, int | None], _Logged] = {}

    def names(self) -> list[str]:
        """The names /v1/models lists (any ``provider/model`` works besides these)."""
        llm = self._config.llm
        return [*self._config.profiles, *self._config.models, f"{llm.provider}/{llm.model}"]

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

    def _build(self, name: str, update: dict[str, Any]) -> ModelClient | None:
        from agentcore.llm.client import RetryingClient
        from agentcore.llm.factory import build_client, create_provider

        config = self._config
        if name in config.profiles:
            if update:
                spec = config.profiles[name].model_copy(update=update)
                config = config.model_copy(update={"profiles": {**config.profiles, name: spec}})
            return build_client(config, profile=name)
        if name in config.models:
            if update:
                config = config.model_copy(update={"llm": config.llm.model_copy(update=update)})
            return build_client(config, model=name)
        llm = self._llm_config(name)
        if llm is None:
            return None
        return RetryingClient(create_provider(llm.model_copy(update=update) if update else llm))

    def resolve(
        self, name: str, *, temperature: float | None = None, max_tokens: int | None = None
    ) -> Upstream | None:
        """The upstream for model ``name`` with the client's settings; None for an unknown name."""
        cache_key = (name, temperature, max_tokens)
        found = self._clients.get(cache_key)
        if found is not None:
            return found
        update = {
            k: v for k, v in (("temperature", temperature), ("max_tokens", max_tokens)) if v is not None
        }
        client = self._build(name, update)
        if client is None:
            return None
        logged = _Logged(client, self._recorder)
        if len(self._clients) < _MAX_VARIANTS:
            self._clients[cache_key] = logged
        return logged

    async def aclose(self) -> None:
        """Close every client's connections."""
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
