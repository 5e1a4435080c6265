"""How a router picks among its healthy targets."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol

from agentcore.llm.router.state import TargetStatus

#: the share of requests the latency strategy sends to a random target, to keep measuring the others
EXPLORATION = 0.1


class Weighted(Protocol):
    @property
    def weight(self) -> float: ...


def pick(
    strategy: str,
    candidates: Sequence[int],
    targets: Sequence[Weighted],
    statuses: Sequence[TargetStatus],
    ticket: int,
    rng: random.Random,
) -> int:
    """The index (into ``targets``) of the target to try, among ``candidates`` (not empty)."""
    if len(candidates) == 1:
        return candidates[0]
    if strategy == "round-robin":
        return candidates[ticket % len(candidates)]
    if strategy == "weighted":
        return rng.choices(candidates, weights=[targets[i].weight for i in candidates])[0]
    if strategy == "least-busy":
        fewest = min(statuses[i].in_flight for i in candidates)
        return rng.choice([i for i in candidates if statuses[i].in_flight == fewest])
    if strategy == "latency":
        unmeasured = [i for i in candidates if statuses[i].latency_ewma is None]
        if unmeasured:
            return rng.choice(unmeasured)
        if rng.random() < EXPLORATION:
            return rng.choice(candidates)
        return min(candidates, key=lambda i: statuses[i].latency_ewma or 0.0)
    return rng.choice(candidates)  # "random": the seed's choice
