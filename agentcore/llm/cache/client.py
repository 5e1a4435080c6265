"""``CachingClient``: a target that answers repeated requests from the response cache.

It sits per target, above prompt tool calling (so the stored answer is in our message model) and
below the router and retries (so a hit is one attempt with its own call-log row, status
``cache_hit``). Only whole answers are stored: a failed or cut attempt never reaches ``TurnComplete``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence

from agentcore.config.schema import CacheConfig
from agentcore.llm.cache._codec import CachedTurn, decode, encode
from agentcore.llm.cache._key import identity, request_key, tools_digest
from agentcore.llm.cache._scope import CacheContext, current_cache_context
from agentcore.llm.cache.backends import CacheBackend, CacheStats, EntryMeta
from agentcore.llm.events import StreamEvent, TextDelta, ToolCallDelta, ToolCallStarted, TurnComplete
from agentcore.llm.provider import ProviderClient
from agentcore.llm.request import LLMRequest
from agentcore.llm.wrapper import ClientWrapper
from agentcore.logs import get_logger
from agentcore.messages import Usage
from agentcore.tools.base import ToolSpec

log = get_logger("agentcore.llm")
_NOTHING = Usage()
_HIT_BATCH = 64


class ResponseCache:
    """One agent's cache: a backend, the TTL and scope, and writes kept off the request path."""

    def __init__(
        self, backend: CacheBackend, config: CacheConfig, clock: Callable[[], float] = time.time
    ) -> None:
        self.backend = backend
        self.config = config
        self.clock = clock
        # Written behind: an answer is served from here until its backend write is done.
        self._pending: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Hits are counted here and written in batches: a write per hit would double a hit's cost.
        self._hits: dict[str, int] = {}
        self._warned = False

    def scope_key(self, ctx: CacheContext) -> str:
        """The part of the key that separates users or sessions (``cache.scope``)."""
        scope = self.config.scope
        if scope == "user":
            return "u:" + (ctx.user or "")
        if scope == "session":
            return "s:" + (ctx.session or "")
        return ""

    async def lookup(self, key: str) -> CachedTurn | None:
        """The stored answer for ``key``, counted as a hit; None on a miss (or a failing backend)."""
        value = self._pending.get(key)
        now = self.clock()
        if value is None:
            try:
                value = await self.backend.get(key, now)
            except Exception as exc:
                self._backend_failed("read", exc)
                return None
            if value is None:
                return None
        self._hits[key] = self._hits.get(key, 0) + 1
        if len(self._hits) >= _HIT_BATCH:
            self._write_hits()
        return decode(value)

    def _write_hits(self) -> None:
        if self._hits:
            hits, self._hits = self._hits, {}
            self._behind(self.backend.hits(hits, self.clock()), "count hits")

    def store(self, key: str, turn: CachedTurn) -> None:
        """Keep ``turn`` under ``key`` for ``cache.ttl`` (the write happens in the background)."""
        value = encode(turn)
        now = self.clock()
        self._pending[key] = value
        meta = EntryMeta(turn.provider, turn.model, turn.usage.prompt_tokens, turn.usage.completion_tokens)
        task = self._behind(self.backend.put(key, value, meta, now, now + self.config.ttl), "store")
        task.add_done_callback(lambda _t: self._pending.pop(key, None))

    def _behind(self, work: object, what: str) -> asyncio.Task[None]:
        async def run() -> None:
            try:
                await work  # type: ignore[misc]  # a backend coroutine
            except Exception as exc:
                self._backend_failed(what, exc)

        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _backend_failed(self, what: str, exc: BaseException) -> None:
        # The cache only saves money: a broken backend must not fail the run, but it must be seen.
        if not self._warned:
            self._warned = True
            log.warning(
                "llm.cache_unavailable",
                backend=self.backend.name,
                action=what,
                error=f"{type(exc).__name__}: {exc}"[:300],
            )

    async def flush(self) -> None:
        """Write the counted hits and wait for the writes in flight."""
        self._write_hits()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stats(self) -> CacheStats:
        """Entries, hits and saved tokens per model."""
        await self.flush()
        return await self.backend.stats(self.clock())

    async def clear(self, older_than: float | None = None) -> int:
        """Drop entries (those older than ``older_than`` seconds when given); how many."""
        await self.flush()
        return await self.backend.clear(None if older_than is None else self.clock() - older_than)

    async def aclose(self) -> None:
        """Finish the writes in flight and close the backend's connections."""
        await self.flush()
        await self.backend.aclose()


class CachingClient(ClientWrapper):
    """One target in front of which the response cache answers what it has seen."""

    def __init__(self, inner: ProviderClient, cache: ResponseCache) -> None:
        super().__init__(inner)
        self.cache = cache
        config = inner.config
        self.cacheable = cache.config.allow_non_deterministic or config.temperature == 0
        self._target = identity(
            {
                "provider": config.provider,
                "base_url": config.base_url,
                "model": config.model,
                "temperature": config.temperature,
                "top_p": config.top_p,
                "max_tokens": config.max_tokens,
                "tool_calling": config.tool_calling,
                "qwen": config.qwen_options.model_dump() if config.qwen_options else None,
            }
        )
        self._tools: tuple[tuple[ToolSpec, ...], bytes] = ((), tools_digest(()))

    def _tools_digest(self, tools: Sequence[ToolSpec]) -> bytes:
        known, digest = self._tools
        if len(known) == len(tools) and all(a is b for a, b in zip(known, tools, strict=True)):
            return digest
        digest = tools_digest(tools)
        self._tools = (tuple(tools), digest)
        return digest

    async def _round_trip(self, request: LLMRequest) -> AsyncIterator[StreamEvent | TurnComplete]:
        ctx = current_cache_context()
        if not (self.cacheable and ctx.enabled):
            async for event in self.inner.round_trip(request):
                yield event
            return
        cache = self.cache
        tools = self._tools_digest(request.tools)
        if request.output is not None:  # a native JSON schema changes the answer: part of the key
            tools += identity({"output": request.output.response_format()})
        if request.max_tokens is not None:  # a shorter limit may cut the answer: part of the key
            tools += identity({"max_tokens": request.max_tokens})
        key = request_key(self._target, cache.scope_key(ctx), request.system, request.messages, tools)
        hit = await cache.lookup(key)
        if hit is not None:
            for event in _replay(hit, request.stream):
                yield event
            return
        async for event in self.inner.round_trip(request):
            if type(event) is TurnComplete and _storable(event):
                # Stored as soon as the answer is whole, even if the consumer stops reading here.
                cache.store(
                    key,
                    CachedTurn(event.message, event.usage, event.finish_reason, self.provider, self.model),
                )
            yield event


def _storable(turn: TurnComplete) -> bool:
    message = turn.message
    if not message.text and not message.tool_calls:
        return False
    return all(c.arguments_error is None for c in message.tool_calls)


def _replay(hit: CachedTurn, stream: bool) -> list[StreamEvent | TurnComplete]:
    """The events of a live answer, then the turn: zero usage now, the original usage as ``cached``."""
    events: list[StreamEvent | TurnComplete] = []
    message = hit.message
    if stream:
        if message.text:
            events.append(TextDelta(message.text))
        for index, call in enumerate(message.tool_calls):
            events.append(ToolCallStarted(call.id, call.name, index))
            events.append(ToolCallDelta(call.id, call.arguments, index))
    events.append(TurnComplete(message, _NOTHING, hit.finish_reason, cached=hit.usage))
    return events
