"""SSE frames joined into one write when several are ready at once.

Each ASGI body message is one ``write`` on the client's socket, and on a busy host that system
call, not our code, was most of what a streamed pass-through request cost (profile: ~40% of a
worker's CPU in uvicorn's ``transport.write`` for a 14-chunk answer). An upstream that sends its
chunks faster than we forward them (they arrive in one network read) delivers them here without
the event loop running in between: a pump task produces the frames into a queue and the response
takes everything that is queued each time it wakes. A slow upstream's chunks still go out one by
one, as soon as each arrives: nothing waits for company.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import cast

_END = object()


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class Coalescer:
    """``source``'s frames, joined when several were ready at once (a pump task feeds a queue)."""

    def __init__(self, source: AsyncIterator[bytes]) -> None:
        self._source = source
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def _pump(self) -> None:
        queue = self._queue
        try:
            async for frame in self._source:
                queue.put_nowait(frame)
        except BaseException as exc:
            # Even a cancellation from inside ``source`` must wake the reader, or it waits forever.
            queue.put_nowait(_Failed(exc))
            if not isinstance(exc, Exception):
                raise
        else:
            queue.put_nowait(_END)

    async def pieces(self) -> AsyncIterator[tuple[bytes, bool]]:
        """``(data, last)``: the frames that were ready together, joined; ``last`` marks the final
        piece (its data may be empty). Leaving early stops the pump (see ``close``)."""
        queue = self._queue
        self._task = asyncio.get_running_loop().create_task(self._pump())
        try:
            while True:
                items = [await queue.get()]
                while not queue.empty():
                    items.append(queue.get_nowait())
                tail = items[-1]
                done = tail is _END or isinstance(tail, _Failed)
                data = b"".join(cast(list[bytes], items[:-1] if done else items))
                if isinstance(tail, _Failed):
                    if data:
                        yield data, False
                    raise tail.error
                yield data, done
                if done:
                    return
        finally:
            # No await here: this may run inside a cancelled scope (the client left), where any
            # await is cancelled again at once. ``close`` waits for the pump to end.
            if not self._task.done():
                self._task.cancel()

    async def close(self) -> None:
        """Stop the pump and wait until it has ended (and with it ``source``'s upstream request)."""
        task = self._task
        if task is None:
            return
        if not task.done():
            task.cancel()
        # Not ``await task``: its CancelledError is expected, ours (if any) must propagate.
        await asyncio.wait([task])
