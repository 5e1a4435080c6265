"""Per-key limits: requests and tokens per minute, spend per day or month.

Counters are fixed windows (the current UTC minute; the current UTC day or month for budgets).
With ``storage.redis`` set they live in Redis, so every worker and every host counts against the
same numbers; otherwise they live in this process (exact for one worker only).
A request is admitted before it is sent (its rpm slot is taken then); its tokens and cost are
added when it ends, so a request that starts under the tpm or budget line may end above it, and
the next one is refused.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from agentcore.serve.keys import ApiKey


@dataclass(frozen=True, slots=True)
class Denial:
    """Why a request was refused, and when to try again (seconds)."""

    code: str  # rate_limit_exceeded | budget_exceeded
    message: str
    retry_after: int


class Limiter(Protocol):
    """Where the counters live."""

    async def admit(self, key: ApiKey) -> Denial | None:
        """Take a request slot for ``key``; a Denial when a limit is reached."""
        ...

    async def record(self, key: ApiKey, tokens: int, cost: float | None) -> None:
        """Add a finished request's tokens and cost."""
        ...

    async def ping(self) -> bool:
        """True when the counters can be reached."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def _limited(key: ApiKey) -> bool:
    return not key.admin and (key.rpm is not None or key.tpm is not None or key.budget_usd is not None)


def _windows(key: ApiKey, now: float) -> tuple[str, str, str, int, int]:
    """Counter names (rpm, tpm, budget) and seconds until the minute / budget period ends."""
    minute = int(now // 60)
    to_minute = max(1, math.ceil((minute + 1) * 60 - now))
    day = datetime.fromtimestamp(now, UTC)
    if key.budget_period == "month":
        period = day.strftime("%Y-%m")
        nxt = datetime(day.year + (day.month == 12), day.month % 12 + 1, 1, tzinfo=UTC)
    else:
        period = day.strftime("%Y-%m-%d")
        nxt = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() + 86400
        nxt = datetime.fromtimestamp(nxt, UTC)
    to_period = max(1, math.ceil(nxt.timestamp() - now))
    base = f"agentcore:limits:{key.id}"
    return f"{base}:rpm:{minute}", f"{base}:tpm:{minute}", f"{base}:spend:{period}", to_minute, to_period


def _judge(
    key: ApiKey, requests: int, tokens: float, spent: float, to_minute: int, to_period: int
) -> Denial | None:
    if key.budget_usd is not None and spent >= key.budget_usd:
        return Denial(
            "budget_exceeded",
            f"this key's budget of ${key.budget_usd:g} per {key.budget_period or 'day'} is spent "
            f"(${spent:.4f}); it renews in {to_period}s",
            to_period,
        )
    if key.rpm is not None and requests > key.rpm:
        return Denial(
            "rate_limit_exceeded",
            f"this key may make {key.rpm} requests per minute; retry in {to_minute}s",
            to_minute,
        )
    if key.tpm is not None and tokens >= key.tpm:
        return Denial(
            "rate_limit_exceeded",
            f"this key may use {key.tpm} tokens per minute; retry in {to_minute}s",
            to_minute,
        )
    return None


class MemoryLimiter:
    """Counters in this process."""

    def __init__(self) -> None:
        self._counts: dict[str, float] = {}
        self._minute = 0

    def _prune(self, now: float) -> None:
        minute = int(now // 60)
        if minute != self._minute:
            self._minute = minute
            stale = [k for k in self._counts if ":spend:" not in k and not k.endswith(f":{minute}")]
            for name in stale:
                del self._counts[name]

    async def admit(self, key: ApiKey) -> Denial | None:
        if not _limited(key):
            return None
        now = time.time()
        self._prune(now)
        rpm, tpm, spend, to_minute, to_period = _windows(key, now)
        counts = self._counts
        requests = counts.get(rpm, 0) + 1
        denial = _judge(key, int(requests), counts.get(tpm, 0), counts.get(spend, 0.0), to_minute, to_period)
        if denial is None:
            counts[rpm] = requests
        return denial

    async def record(self, key: ApiKey, tokens: int, cost: float | None) -> None:
        if not _limited(key):
            return
        _, tpm, spend, _, _ = _windows(key, time.time())
        self._counts[tpm] = self._counts.get(tpm, 0) + tokens
        if cost:
            self._counts[spend] = self._counts.get(spend, 0.0) + cost

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class RedisLimiter:
    """Counters in Redis, shared by every worker and host."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis

        self._redis: Any = Redis.from_url(url)  # pyright: ignore[reportUnknownMemberType]

    async def admit(self, key: ApiKey) -> Denial | None:
        if not _limited(key):
            return None
        rpm, tpm, spend, to_minute, to_period = _windows(key, time.time())
        pipe = self._redis.pipeline(transaction=True)
        pipe.incr(rpm)
        pipe.expire(rpm, 120)
        pipe.get(tpm)
        pipe.get(spend)
        requests, _, tokens, spent = await pipe.execute()
        denial = _judge(key, int(requests), float(tokens or 0), float(spent or 0), to_minute, to_period)
        if denial is not None:
            await self._redis.decr(rpm)  # a refused request does not use up a slot
        return denial

    async def record(self, key: ApiKey, tokens: int, cost: float | None) -> None:
        if not _limited(key):
            return
        _, tpm, spend, _, to_period = _windows(key, time.time())
        pipe = self._redis.pipeline(transaction=False)
        pipe.incrby(tpm, tokens)
        pipe.expire(tpm, 120)
        if cost:
            pipe.incrbyfloat(spend, cost)
            pipe.expire(spend, to_period + 3600)
        await pipe.execute()

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except Exception:
            return False

    async def close(self) -> None:
        await self._redis.aclose()


def build_limiter(redis_url: str | None) -> Limiter:
    """Redis counters when ``storage.redis`` is set, in-process counters otherwise."""
    if redis_url:
        return RedisLimiter(redis_url)
    return MemoryLimiter()
