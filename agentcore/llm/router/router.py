"""The router: one ``ModelClient`` over the targets of a profile.

A retryable failure (429, 5xx, timeout, connection) moves the request to another healthy target at
once, without a backoff wait, and the failing target cools down (doubling on repeat, reset on
success). Only when every target rests does the request wait: for the one whose rest ends first, up
to the retry budget. Non-retryable errors end the request, except for the context-length and
content-policy fallbacks.
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from agentcore.errors import AllTargetsFailed
from agentcore.llm.events import StreamEvent, TurnComplete
from agentcore.llm.observer import NULL_OBSERVER, LoopObserver
from agentcore.llm.provider import ProviderClient
from agentcore.llm.request import LLMRequest
from agentcore.llm.retry import Failure, RetryPolicy, partial_usage
from agentcore.llm.route import RouteInfo
from agentcore.llm.router.state import LocalState, RouterState
from agentcore.llm.router.strategies import pick
from agentcore.logs import get_logger

log = get_logger("agentcore.llm")
_perf = time.perf_counter
_CONTENT_POLICY = ("content_policy", "content policy", "content_filter", "content management policy")


@dataclass(slots=True)
class RoutedTarget:
    """A target of a profile: its name, its provider client and its routing settings."""

    name: str
    client: ProviderClient
    weight: float = 1.0
    max_concurrency: int | None = None
    _host: str | None = field(default=None, init=False)
    _host_known: bool = field(default=False, init=False)

    @property
    def host(self) -> str | None:
        """host[:port] of the endpoint (computed once)."""
        if not self._host_known:
            self._host = self.client.base_url_host()
            self._host_known = True
        return self._host


def is_content_policy(failure: Failure) -> bool:
    """A refusal on content grounds (what ``contentPolicyFallback`` catches)."""
    lowered = failure.reason.lower()
    return failure.status == 400 and any(marker in lowered for marker in _CONTENT_POLICY)


class Router:
    """Routes each request of profile ``name`` to one of ``targets``."""

    def __init__(
        self,
        name: str,
        targets: Sequence[RoutedTarget],
        *,
        strategy: str = "random",
        cooldown: float = 5.0,
        max_iterations: int = 10,
        policy: RetryPolicy | None = None,
        state: RouterState | None = None,
        context_fallback: Sequence[RoutedTarget] = (),
        content_fallback: Sequence[RoutedTarget] = (),
        rng: random.Random | None = None,
    ) -> None:
        if not targets:
            raise ValueError("a router needs at least one target")
        self.name = name
        self.targets = list(targets)
        self._names = [t.name for t in self.targets]
        self.strategy = strategy
        self.cooldown = cooldown
        self.max_iterations = max_iterations
        self.retry_policy = (
            policy if policy is not None else RetryPolicy.from_config(targets[0].client.config)
        )
        self.state: RouterState = state if state is not None else LocalState()
        self.context_fallback = list(context_fallback)
        self.content_fallback = list(content_fallback)
        self._rng = rng if rng is not None else random.Random()

    # ---- the ModelClient face -------------------------------------------------------------

    @property
    def primary(self) -> ProviderClient:
        """The first target (its capabilities are checked before a request)."""
        return self.targets[0].client

    @property
    def provider(self) -> str:
        """The first target's provider."""
        return self.targets[0].client.provider

    @property
    def model(self) -> str:
        """The first target's model."""
        return self.targets[0].client.model

    def all_targets(self) -> list[RoutedTarget]:
        """Targets and fallbacks, each once."""
        seen: dict[int, RoutedTarget] = {}
        for t in (*self.targets, *self.context_fallback, *self.content_fallback):
            seen.setdefault(id(t.client), t)
        return list(seen.values())

    def prepare(self) -> None:
        """Build every target's SDK client now."""
        for target in self.all_targets():
            target.client.prepare()

    async def aclose(self) -> None:
        """Close every target's connections."""
        for target in self.all_targets():
            await target.client.aclose()
        await self.state.aclose()

    # ---- routing --------------------------------------------------------------------------

    async def _choose(self, pool: Sequence[RoutedTarget], tried: set[int]) -> int | None:
        """A healthy, untried target of ``pool`` by the strategy; None when every one rests."""
        names = self._names if pool is self.targets else [t.name for t in pool]
        if len(pool) == 1:  # nothing to choose between
            if 0 in tried:
                return None
            statuses, _ = await self.state.view(names, None)
            return None if statuses[0].cooling(time.time()) else 0
        counter = self.name if self.strategy == "round-robin" else None
        statuses, ticket = await self.state.view(names, counter)
        now = time.time()
        healthy = [i for i, s in enumerate(statuses) if i not in tried and not s.cooling(now)]
        if not healthy:
            return None
        open_slots = [
            i
            for i in healthy
            if pool[i].max_concurrency is None or statuses[i].in_flight < (pool[i].max_concurrency or 0)
        ]
        candidates = open_slots or healthy
        return pick(self.strategy, candidates, pool, statuses, ticket, self._rng)

    async def _earliest(self, pool: Sequence[RoutedTarget]) -> tuple[int, float]:
        """The target whose rest ends first, and in how many seconds."""
        statuses = await self.state.statuses([t.name for t in pool])
        index = min(range(len(pool)), key=lambda i: statuses[i].cooling_until)
        return index, max(0.0, statuses[index].cooling_until - time.time())

    def _wait(self, waits: int, remaining: float, failure: Failure) -> float | None:
        """Seconds to wait before the next attempt when every target rests; None: give up."""
        policy = self.retry_policy
        if waits >= policy.attempts:
            return None
        if failure.retry_after is not None:
            wait = min(remaining, failure.retry_after)
        else:
            ceiling = min(policy.max_delay, policy.base_delay * (2 ** (waits - 1)))
            wait = min(remaining, self._rng.uniform(0, ceiling))
        return None if wait > policy.retry_after_cap else wait

    async def request(
        self, request: LLMRequest, observer: LoopObserver = NULL_OBSERVER
    ) -> AsyncIterator[StreamEvent | TurnComplete]:
        """Answer ``request`` from one target, failing over as needed."""
        state = self.state
        pool: Sequence[RoutedTarget] = self.targets
        tried: set[int] = set()
        errors: dict[str, str] = {}
        used_fallback = False
        failover = False
        forced: int | None = None
        attempt = waits = 0
        last: Failure | None = None
        while True:
            index = forced if forced is not None else await self._choose(pool, tried)
            forced = None
            if index is None:
                waits += 1
                index, remaining = await self._earliest(pool)
                wait = self._wait(waits, remaining, last) if last is not None else 0.0
                if wait is None:
                    raise AllTargetsFailed(
                        self.name, [(t.name, errors.get(t.name, "not tried")) for t in pool], attempts=attempt
                    )
                if wait > 0:
                    log.warning(
                        "llm.router.wait", profile=self.name, target=pool[index].name, delay_s=round(wait, 3)
                    )
                    await self.retry_policy.sleep(wait)
            target = pool[index]
            client = target.client
            attempt += 1
            obs = observer.attempt(
                client, request, attempt, route=RouteInfo(self.name, target.name, failover, target.host)
            )
            await state.begin(target.name)
            in_flight = True
            started = False
            began = _perf()
            try:
                async for event in client.round_trip(request):
                    started = True
                    obs.see(event)
                    if isinstance(event, TurnComplete):
                        # Settled before handing the answer on: a consumer may stop right here.
                        in_flight = False
                        await state.settle(target.name, _perf() - began)
                    yield event
                obs.ok()
                return
            except Exception as exc:
                failure = client.classify(exc)
                obs.error(exc, partial_usage(exc), failure.kind if failure is not None else None)
                if failure is None:
                    raise
                if started:
                    failure = failure.cut_mid_stream()  # a retry would repeat what was shown
                if not failure.retryable:
                    fallback = self._fallback_for(failure)
                    if fallback and not used_fallback:
                        used_fallback, pool, tried, failover = True, fallback, set[int](), True
                        log.warning(
                            "llm.router.fallback",
                            profile=self.name,
                            target=target.name,
                            reason=failure.reason,
                        )
                        continue
                    raise failure.to_error(client.provider, client.model, attempt) from None
                last = failure
                errors[target.name] = _describe(failure)
                until = await state.failed(
                    target.name, errors[target.name], self.cooldown, failure.retry_after
                )
                log.warning(
                    "llm.failover",
                    profile=self.name,
                    target=target.name,
                    status=failure.status,
                    reason=failure.reason,
                    cooling_s=round(until - time.time(), 3),
                )
                tried.add(index)
                failover = True
            finally:
                if in_flight:
                    await state.finished(target.name)
                obs.close()

    def _fallback_for(self, failure: Failure) -> list[RoutedTarget]:
        if failure.kind == "context_length":
            return self.context_fallback
        if is_content_policy(failure):
            return self.content_fallback
        return []


def _describe(failure: Failure) -> str:
    status = f"HTTP {failure.status}: " if failure.status is not None else ""
    return f"{status}{failure.reason}"
