"""Router state in Redis: one view of every target for all ``serve`` workers and hosts.

Keys live under ``prefix`` (``agentcore:router:`` by default), per target name:
``t:<name>`` a hash (consecutive failures, resting until, last error, latency average),
``s:<name>`` the recent latencies, ``f:<name>`` the requests in flight, and ``rr:<profile>`` the
round-robin counters. Every key expires a day after its last write, so targets that left the
config do not linger.

A request in flight is a member of a sorted set scored with the end of its lease (``lease``
seconds after it began): a worker that crashes mid-request leaves members that simply expire,
instead of a counter that stays high forever. A request longer than the lease stops counting.

Redis unreachable: the router goes on with this process's state (one warning per outage) and
tries Redis again after ``RETRY_S``; a request never fails because of Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import time
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from agentcore.llm.router.state import EWMA_ALPHA, MAX_COOLDOWN_S, LocalState, TargetStatus
from agentcore.logs import get_logger

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = get_logger("agentcore.llm")

DEFAULT_PREFIX = "agentcore:router:"
#: seconds a request counts as in flight at most (a crashed worker's requests drop out after it)
DEFAULT_LEASE_S = 600.0
#: seconds between two attempts to reach Redis again after it failed
RETRY_S = 30.0
#: every key expires this long after its last write
KEY_TTL_S = 86400
_SAMPLES = 64

# KEYS: per target its hash then its flight set, then the counter (or none).
# ARGV: now, number of targets. Returns per target: in flight, until, ewma; then the ticket.
_VIEW = """
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local out = {}
for i = 1, n do
  local flight = KEYS[2 * i]
  redis.call('ZREMRANGEBYSCORE', flight, '-inf', now)
  local row = redis.call('HMGET', KEYS[2 * i - 1], 'until', 'ewma')
  out[#out + 1] = redis.call('ZCARD', flight)
  out[#out + 1] = row[1] or false
  out[#out + 1] = row[2] or false
end
if #KEYS > 2 * n then
  local ticket = redis.call('INCR', KEYS[#KEYS])
  redis.call('EXPIRE', KEYS[#KEYS], ARGV[3])
  out[#out + 1] = ticket - 1
else
  out[#out + 1] = 0
end
return out
"""

# KEYS: hash, samples, flight. ARGV: seconds, token, alpha, keep, ttl.
_SETTLE = """
if ARGV[2] ~= '' then redis.call('ZREM', KEYS[3], ARGV[2]) end
local s = tonumber(ARGV[1])
local e = redis.call('HGET', KEYS[1], 'ewma')
if e then e = tonumber(e) + tonumber(ARGV[3]) * (s - tonumber(e)) else e = s end
redis.call('HSET', KEYS[1], 'failures', 0, 'until', 0, 'ewma', string.format('%.17g', e))
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[4]) - 1)
redis.call('EXPIRE', KEYS[2], ARGV[5])
return 1
"""

# KEYS: hash. ARGV: now, base cooldown, retry-after (or ''), max cooldown, error, ttl.
# Returns the time the target rests until (as a string: Lua numbers come back as integers).
_FAILED = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local base = tonumber(ARGV[2])
local rest = 0
if base > 0 then rest = math.min(tonumber(ARGV[4]), base * 2 ^ (failures - 1)) end
if ARGV[3] ~= '' then rest = math.max(rest, tonumber(ARGV[3])) end
local untl = tonumber(ARGV[1]) + rest
local before = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if before > untl then untl = before end
local text = string.format('%.17g', untl)
redis.call('HSET', KEYS[1], 'until', text, 'error', ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[6])
return text
"""


def _float(value: Any) -> float | None:
    if value is None or value is False:
        return None
    return float(value.decode() if isinstance(value, bytes) else value)


def _where(url: str) -> str:
    """host:port/db of ``url``: what a warning may say (never the password)."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}{parts.path or ''}"


class RedisState:
    """``RouterState`` in Redis (``storage.redis``), falling back to this process when it is down."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        lease: float = DEFAULT_LEASE_S,
        timeout: float = 1.0,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.lease = lease
        self.timeout = timeout
        self.local = LocalState()  # used while Redis cannot be reached
        self._id = f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"
        self._seq = itertools.count()
        # Tokens of this process's requests in flight; any one of a target's will do on finish.
        self._tokens: dict[str, deque[str]] = {}
        self._client: Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scripts: dict[str, Any] = {}
        self._down_until = 0.0  # monotonic; Redis is not tried again before
        self._local_begun: dict[str, int] = {}  # requests begun on the local state (Redis was down)

    # ---- connection ---------------------------------------------------------------------------

    def _redis(self) -> Redis | None:
        """The client for the running loop (a pool belongs to one loop), or None while Redis is down."""
        if self._down_until and time.monotonic() < self._down_until:
            return None
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            try:  # no redis package, or a URL it cannot read: the same fallback as Redis down
                from redis.asyncio import Redis

                self._client = Redis.from_url(  # pyright: ignore[reportUnknownMemberType]
                    self.url, socket_connect_timeout=self.timeout, socket_timeout=self.timeout
                )
            except Exception as exc:
                self._lost(exc)
                return None
            self._loop = loop
            self._scripts = {
                name: self._client.register_script(body)  # pyright: ignore[reportUnknownMemberType]
                for name, body in (("view", _VIEW), ("settle", _SETTLE), ("failed", _FAILED))
            }
        return self._client

    def _lost(self, exc: BaseException) -> None:
        if not self._down_until:
            log.warning(
                "llm.router.redis_unreachable",
                where=_where(self.url),
                error=f"{type(exc).__name__}: {exc}"[:200],
                fallback="per-process router state",
                retry_s=RETRY_S,
            )
        self._down_until = time.monotonic() + RETRY_S

    def _back(self) -> None:
        if self._down_until:
            self._down_until = 0.0
            log.info("llm.router.redis_back", where=_where(self.url))

    def _key(self, kind: str, name: str) -> str:
        return f"{self.prefix}{kind}:{name}"

    # ---- RouterState -------------------------------------------------------------------------

    async def view(self, names: Sequence[str], counter: str | None) -> tuple[list[TargetStatus], int]:
        """Statuses (in flight, resting until, latency) and the next round-robin ticket: one round trip."""
        client = self._redis()
        if client is not None:
            keys: list[str] = []
            for name in names:
                keys += (self._key("t", name), self._key("f", name))
            if counter is not None:
                keys.append(self._key("rr", counter))
            try:
                raw: list[Any] = await self._scripts["view"](
                    keys=keys, args=[time.time(), len(names), KEY_TTL_S]
                )
            except Exception as exc:
                self._lost(exc)
            else:
                self._back()
                statuses = [
                    TargetStatus(
                        in_flight=int(raw[3 * i]),
                        cooling_until=_float(raw[3 * i + 1]) or 0.0,
                        latency_ewma=_float(raw[3 * i + 2]),
                    )
                    for i in range(len(names))
                ]
                return statuses, int(raw[-1])
        return await self.local.view(names, counter)

    async def statuses(self, names: Sequence[str]) -> list[TargetStatus]:
        """Full statuses (last error, failures and recent latencies too), fresh copies."""
        client = self._redis()
        if client is None:
            return await self.local.statuses(names)
        now = time.time()
        try:
            async with client.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.zremrangebyscore(self._key("f", name), "-inf", now)
                    pipe.zcard(self._key("f", name))
                    pipe.hgetall(self._key("t", name))
                    pipe.lrange(self._key("s", name), 0, _SAMPLES - 1)
                raw: list[Any] = await pipe.execute()
        except Exception as exc:
            self._lost(exc)
            return await self.local.statuses(names)
        self._back()
        result: list[TargetStatus] = []
        for i in range(len(names)):
            flight, row, samples = raw[4 * i + 1], raw[4 * i + 2], raw[4 * i + 3]
            fields = {k.decode(): v.decode() for k, v in row.items()}
            error = fields.get("error")
            result.append(
                TargetStatus(
                    in_flight=int(flight),
                    failures=int(fields.get("failures", 0)),
                    cooling_until=float(fields.get("until", 0)),
                    last_error=error or None,
                    latency_ewma=_float(fields.get("ewma")),
                    samples=deque((float(s) for s in reversed(samples)), maxlen=_SAMPLES),
                )
            )
        return result

    async def begin(self, name: str) -> None:
        """Lease an in-flight slot on ``name``."""
        client = self._redis()
        if client is not None:
            token = f"{self._id}:{next(self._seq)}"
            key = self._key("f", name)
            try:
                async with client.pipeline(transaction=False) as pipe:
                    pipe.zadd(key, {token: time.time() + self.lease})
                    pipe.expire(key, int(self.lease) + 60)
                    await pipe.execute()
            except Exception as exc:
                self._lost(exc)
            else:
                self._back()
                self._tokens.setdefault(name, deque[str]()).append(token)
                return
        self._local_begun[name] = self._local_begun.get(name, 0) + 1
        await self.local.begin(name)

    def _release(self, name: str) -> str | None:
        """The token to free for one of ``name``'s requests; None when it was begun locally."""
        begun = self._local_begun.get(name, 0)
        if begun:
            self._local_begun[name] = begun - 1
            return None
        tokens = self._tokens.get(name)
        return tokens.popleft() if tokens else None

    async def finished(self, name: str) -> None:
        """Free the slot (however the request ended)."""
        token = self._release(name)
        if token is None:
            await self.local.finished(name)
            return
        client = self._redis()
        if client is None:
            return  # the lease runs out on its own
        try:
            await client.zrem(self._key("f", name), token)
        except Exception as exc:
            self._lost(exc)

    async def settle(self, name: str, seconds: float) -> None:
        """Free the slot and record a success in ``seconds``: the target is healthy again."""
        token = self._release(name)
        if token is None:
            await self.local.finished(name)
        client = self._redis()
        if client is not None:
            keys = [self._key("t", name), self._key("s", name), self._key("f", name)]
            args = [repr(seconds), token or "", EWMA_ALPHA, _SAMPLES, KEY_TTL_S]
            try:
                await self._scripts["settle"](keys=keys, args=args)
            except Exception as exc:
                self._lost(exc)
            else:
                return
        await self.local.succeeded(name, seconds)

    async def failed(self, name: str, error: str, cooldown: float, retry_after: float | None) -> float:
        """Rest, doubling on repeat (every worker sees it); returns the time it rests until."""
        client = self._redis()
        if client is not None:
            args = [time.time(), cooldown, "" if retry_after is None else retry_after, MAX_COOLDOWN_S]
            try:
                until = await self._scripts["failed"](
                    keys=[self._key("t", name)], args=[*args, error[:500], KEY_TTL_S]
                )
            except Exception as exc:
                self._lost(exc)
            else:
                self._back()
                return float(until)
        return await self.local.failed(name, error, cooldown, retry_after)

    async def aclose(self) -> None:
        """Close the connection pool (of the running loop)."""
        client, self._client, self._loop = self._client, None, None
        if client is not None:
            with contextlib.suppress(Exception):  # a pool of a closed loop, or Redis gone: nothing to free
                await client.aclose()
