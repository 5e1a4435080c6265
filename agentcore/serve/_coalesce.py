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


async def coalesced(source: AsyncIterator[bytes]) -> AsyncIterator[tuple[bytes, bool]]:
    """``source``'s frames as ``(data, last)``: the frames that were ready together, joined.

    ``last`` is True for the final piece (its data may be empty). Closing this iterator early (the
    client left) cancels the pump, which cancels whatever ``source`` waits for (the upstream)."""
    queue: asyncio.Queue[object] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for frame in source:
                queue.put_nowait(frame)
        except BaseException as exc:
            # Even a cancellation from inside ``source`` must wake the reader, or it waits forever.
            queue.put_nowait(_Failed(exc))
            if not isinstance(exc, Exception):
                raise
        else:
            queue.put_nowait(_END)

    task = asyncio.get_running_loop().create_task(pump())
    try:
        while True:
            items = [await queue.get()]
            while not queue.empty():
                items.append(queue.get_nowait())
            tail = items[-1]
            done = tail is _END or isinstance(tail, _Failed)
            frames = items[:-1] if done else items
            data = b"".join(cast(list[bytes], frames))
            if isinstance(tail, _Failed):
                if data:
                    yield data, False
                raise tail.error
            yield data, done
            if done:
                return
    finally:
        if not task.done():
            task.cancel()
            # Not ``await task``: its CancelledError is expected, ours (if any) must propagate.
            await asyncio.wait([task])
