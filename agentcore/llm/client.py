"""``ModelClient``: whatever answers one request. A single target with retries is the simplest one;
the router (``agentcore.llm.router``) is another. The loop takes either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from agentcore.errors import ProviderError
from agentcore.llm.events import StreamEvent, TurnComplete
from agentcore.llm.observer import NULL_OBSERVER, LoopObserver
from agentcore.llm.provider import ProviderClient
from agentcore.llm.request import LLMRequest
from agentcore.llm.retry import RetryPolicy, partial_usage
from agentcore.llm.route import RouteInfo
from agentcore.logs import get_logger

log = get_logger("agentcore.llm")


class ModelClient(Protocol):
    """Answers one ``LLMRequest``: stream events, then one ``TurnComplete``; raises ``ProviderError``
    (already classified, retries done) when it cannot."""

    retry_policy: RetryPolicy

    @property
    def max_iterations(self) -> int:
        """The loop limit of this client's profile (or ``llm.maxIterations``)."""
        ...

    @property
    def provider(self) -> str:
        """The provider of the (first) target, for messages."""
        ...

    @property
    def model(self) -> str:
        """The model of the (first) target, for messages."""
        ...

    @property
    def primary(self) -> ProviderClient:
        """The target a request goes to first when all are healthy (its capabilities are checked)."""
        ...

    def request(
        self, request: LLMRequest, observer: LoopObserver = NULL_OBSERVER
    ) -> AsyncIterator[StreamEvent | TurnComplete]: ...

    def prepare(self) -> None: ...

    async def aclose(self) -> None: ...


async def complete(
    client: ModelClient, request: LLMRequest, observer: LoopObserver = NULL_OBSERVER
) -> TurnComplete:
    """``request`` consumed to its final TurnComplete."""
    turn: TurnComplete | None = None
    async for event in client.request(request, observer):  # to its end: the attempt settles
        if isinstance(event, TurnComplete):
            turn = event
    if turn is not None:
        return turn
    raise ProviderError("the response ended without a message", provider=client.provider, model=client.model)


class RetryingClient:
    """One target with our retry policy; a failure after streaming began is not retried."""

    def __init__(self, target: ProviderClient, policy: RetryPolicy | None = None) -> None:
        self.target = target
        self.retry_policy = policy if policy is not None else RetryPolicy.from_config(target.config)
        self._route: RouteInfo | None = None  # built on the first attempt (it needs the SDK client)

    @property
    def provider(self) -> str:
        """The target's provider."""
        return self.target.provider

    @property
    def model(self) -> str:
        """The target's model."""
        return self.target.model

    @property
    def max_iterations(self) -> int:
        """``maxIterations`` of the target's config."""
        return self.target.config.max_iterations

    @property
    def primary(self) -> ProviderClient:
        """The one target."""
        return self.target

    def prepare(self) -> None:
        """Build the SDK client now."""
        self.target.prepare()

    async def aclose(self) -> None:
        """Close the SDK client's connections."""
        await self.target.aclose()

    async def request(
        self, request: LLMRequest, observer: LoopObserver = NULL_OBSERVER
    ) -> AsyncIterator[StreamEvent | TurnComplete]:
        """One request with retries."""
        target = self.target
        attempt = 0
        while True:
            attempt += 1
            started = False
            route = self._route
            if route is None:
                name = f"{target.provider}/{target.model}"
                route = self._route = RouteInfo(None, name, False, target.base_url_host())
            obs = observer.attempt(target, request, attempt, route=route)  # one call-log row per attempt
            try:
                async for event in target.round_trip(request):
                    started = True
                    obs.see(event)
                    yield event
                obs.ok()
                return
            except Exception as exc:
                failure = target.classify(exc)
                obs.error(exc, partial_usage(exc), failure.kind if failure is not None else None)
                if failure is None:
                    raise
                if started:
                    # Part of the answer was already delivered (printed): a retry would repeat it.
                    failure = failure.cut_mid_stream()
                policy = self.retry_policy
                delay = policy.delay(attempt, failure)
                if delay is None:
                    raise policy.error(failure, target.provider, target.model, attempt) from None
                log.warning(
                    "llm.retry",
                    provider=target.provider,
                    model=target.model,
                    attempt=attempt,
                    reason=failure.reason,
                    status=failure.status,
                    delay_s=round(delay, 3),
                )
                await policy.sleep(delay)
            finally:
                obs.close()  # a cancelled or abandoned attempt still leaves its row
