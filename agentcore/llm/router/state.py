"""Router state: requests in flight, cool-downs, last errors and latencies per target.

Behind a small protocol so that several processes (``serve`` workers) can share it; the in-process
implementation is the default and costs a dict lookup per call.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

#: a cool-down never grows past this, however often a target fails
MAX_COOLDOWN_S = 300.0
#: weight of the newest latency in the moving average
EWMA_ALPHA = 0.3


@dataclass(slots=True)
class TargetStatus:
    """What the router knows about one target right now."""

    in_flight: int = 0
    failures: int = 0  # consecutive; reset by a success
    cooling_until: float = 0.0  # wall-clock seconds (time.time())
    last_error: str | None = None
    latency_ewma: float | None = None  # seconds
    samples: deque[float] = field(default_factory=lambda: deque[float](maxlen=64))

    def cooling(self, now: float) -> bool:
        """Whether the target rests at ``now``."""
        return self.cooling_until > now

    def p50_ms(self) -> float | None:
        """The median of the recent latencies, in milliseconds."""
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        return round(ordered[len(ordered) // 2] * 1000, 3)


class RouterState(Protocol):
    """Where router state lives (this process, or Redis for several workers)."""

    async def view(self, names: Sequence[str], counter: str | None) -> tuple[list[TargetStatus], int]:
        """What a pick needs, in one go: each target's status (in flight, resting until, latency),
        and the next number of the round-robin counter ``counter`` (0 when None)."""
        ...

    async def statuses(self, names: Sequence[str]) -> list[TargetStatus]:
        """The full status of each target, in order (live objects or fresh copies)."""
        ...

    async def begin(self, name: str) -> None:
        """A request went to ``name``."""
        ...

    async def settle(self, name: str, seconds: float) -> None:
        """It answered in ``seconds``: no longer in flight, and the target is healthy again."""
        ...

    async def failed(self, name: str, error: str, cooldown: float, retry_after: float | None) -> float:
        """It failed retryably: cool down (doubling on repeat); returns the time it rests until."""
        ...

    async def finished(self, name: str) -> None:
        """The request is no longer in flight (however it ended)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def cooldown_for(failures: int, base: float, retry_after: float | None) -> float:
    """Seconds to rest after the ``failures``-th consecutive failure."""
    seconds = min(MAX_COOLDOWN_S, base * (2 ** max(0, failures - 1))) if base > 0 else 0.0
    return max(seconds, retry_after or 0.0)


class LocalState:
    """Router state for this process (shared by every router built from the same config)."""

    def __init__(self) -> None:
        self._targets: dict[str, TargetStatus] = {}
        self._tickets: dict[str, int] = {}

    def status(self, name: str) -> TargetStatus:
        """The live status object of ``name``."""
        status = self._targets.get(name)
        if status is None:
            status = self._targets[name] = TargetStatus()
        return status

    async def view(self, names: Sequence[str], counter: str | None) -> tuple[list[TargetStatus], int]:
        """Live status objects and the next ticket."""
        return [self.status(n) for n in names], (await self.ticket(counter) if counter is not None else 0)

    async def statuses(self, names: Sequence[str]) -> list[TargetStatus]:
        """Live status objects."""
        return [self.status(n) for n in names]

    async def begin(self, name: str) -> None:
        """One more in flight."""
        self.status(name).in_flight += 1

    async def succeeded(self, name: str, seconds: float) -> None:
        """Healthy again; the latency feeds the average and the median."""
        status = self.status(name)
        status.failures = 0
        status.cooling_until = 0.0
        ewma = status.latency_ewma
        status.latency_ewma = seconds if ewma is None else ewma + EWMA_ALPHA * (seconds - ewma)
        status.samples.append(seconds)

    async def settle(self, name: str, seconds: float) -> None:
        """No longer in flight, and healthy again."""
        await self.finished(name)
        await self.succeeded(name, seconds)

    async def failed(self, name: str, error: str, cooldown: float, retry_after: float | None) -> float:
        """Rest, doubling on repeat."""
        status = self.status(name)
        status.failures += 1
        status.last_error = error
        status.cooling_until = time.time() + cooldown_for(status.failures, cooldown, retry_after)
        return status.cooling_until

    async def finished(self, name: str) -> None:
        """One fewer in flight."""
        status = self.status(name)
        status.in_flight = max(0, status.in_flight - 1)

    async def ticket(self, key: str) -> int:
        """Round-robin counter."""
        number = self._tickets.get(key, 0)
        self._tickets[key] = number + 1
        return number

    async def aclose(self) -> None:
        """Nothing to release."""


def state_for(redis_url: str | None) -> RouterState:
    """Redis state shared by every worker when ``storage.redis`` is set, else this process's."""
    if redis_url:
        from agentcore.llm.router.redis_state import RedisState

        return RedisState(redis_url)
    return LocalState()
