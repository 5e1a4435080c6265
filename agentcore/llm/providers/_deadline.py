"""Total and first-byte time limits of one request, enforced around every await of a round trip.

The SDK's own ``timeout`` bounds each wait for bytes, so a server that trickles a byte now and then
could hold a request forever; here ``llm.timeout`` is a deadline for the whole attempt (sending to
last byte) and ``llm.firstByteTimeout`` one for a stream's first event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Awaitable
from typing import TypeVar

from agentcore.config.schema import LLMConfig
from agentcore.llm.retry import DeadlineExceeded

T = TypeVar("T")


class Deadline:
    """The clock of one attempt, started when the attempt starts."""

    def __init__(self, config: LLMConfig, *, stream: bool) -> None:
        now = asyncio.get_running_loop().time()
        self._total = config.timeout
        self._end = now + config.timeout
        first = config.first_byte_timeout if stream else None
        self._first_byte = first
        self._first_end = now + first if first is not None and first < config.timeout else None

    async def run(self, awaitable: Awaitable[T]) -> T:
        """``await awaitable``, cut short when a limit passes."""
        first = self._first_end
        end = first if first is not None else self._end
        scope = asyncio.timeout_at(end)
        try:
            async with scope:
                return await awaitable
        except TimeoutError:
            if not scope.expired():
                raise  # not our clock: someone else's TimeoutError
            if first is not None:
                raise DeadlineExceeded(
                    f"no response within {self._first_byte:g}s (llm.firstByteTimeout)",
                    self._first_byte or 0.0,
                ) from None
            raise DeadlineExceeded(
                f"the response did not complete within {self._total:g}s "
                "(llm.timeout is a deadline for the whole request)",
                self._total,
            ) from None

    async def iterate(self, source: AsyncIterable[T]) -> AsyncIterator[T]:
        """The items of ``source``; each wait is bounded by the deadline, the first by the first-byte one."""
        iterator = source.__aiter__()
        while True:
            try:
                item = await self.run(anext(iterator))
            except StopAsyncIteration:
                return
            self._first_end = None
            yield item
