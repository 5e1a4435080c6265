"""A minimal, fast HTTP/1.1 server on raw asyncio streams, run in a background thread.

The server owns its own event loop in a daemon thread, so it can be used from sync tests,
async tests (any loop) and benchmarks alike. A *handler* is a plain sync callable that maps a
parsed :class:`HttpRequest` to one of the response descriptions below; the server then writes it:

* :class:`FullResponse`   - status + headers + Content-Length body (optionally cut short),
* :class:`StreamResponse` - chunked body (SSE or binary frames), optionally paced or truncated,
* :class:`DropResponse`   - close the connection after reading the request, with no response.

Connections are kept alive (HTTP/1.1 keep-alive) until the client closes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

__all__ = [
    "DropResponse",
    "FullResponse",
    "Handler",
    "HttpRequest",
    "HttpServer",
    "Response",
    "StreamResponse",
    "json_response",
]


@dataclass(slots=True)
class HttpRequest:
    """A parsed request. ``path`` is the raw (still percent-encoded) path without the query."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case keys
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when it is empty or not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(slots=True)
class FullResponse:
    """A complete response. ``truncate_at`` sends only that many body bytes, then closes.

    ``trickle_s`` > 0 sends the body ``trickle_bytes`` bytes at a time, that many seconds apart.
    """

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict[str, str])
    delay_s: float = 0.0
    truncate_at: int | None = None
    trickle_s: float = 0.0
    trickle_bytes: int = 1


@dataclass(slots=True)
class StreamResponse:
    """A chunked response; each item of ``chunks`` is written as one HTTP chunk.

    ``chunk_delay_s`` paces the chunks (sleep between two chunks); ``truncate_after`` closes the
    socket after that many chunks, without the terminating zero-length chunk.
    """

    status: int
    chunks: Sequence[bytes]
    headers: dict[str, str] = field(default_factory=dict[str, str])
    chunk_delay_s: float = 0.0
    delay_s: float = 0.0
    truncate_after: int | None = None


@dataclass(slots=True)
class DropResponse:
    """Close the connection without sending anything (after an optional delay)."""

    delay_s: float = 0.0


Response = FullResponse | StreamResponse | DropResponse
Handler = Callable[[HttpRequest], Response]


def json_response(status: int, obj: Any, headers: dict[str, str] | None = None) -> FullResponse:
    hdrs = {"content-type": "application/json"}
    if headers:
        hdrs.update({k.lower(): str(v) for k, v in headers.items()})
    return FullResponse(status, json.dumps(obj, separators=(",", ":")).encode(), hdrs)


_REASONS: dict[int, str] = {s.value: s.phrase for s in HTTPStatus}
_REASONS[529] = "Overloaded"


def _head(status: int, headers: dict[str, str], extra: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}"]
    merged = {**extra, **{k.lower(): str(v) for k, v in headers.items()}}
    lines.extend(f"{k}: {v}" for k, v in merged.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class HttpServer:
    """Serve ``handler`` on ``127.0.0.1:<ephemeral port>`` from a background event-loop thread."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1") -> None:
        self._handler = handler
        self._loop = asyncio.new_event_loop()
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._closed = False
        #: exceptions raised by the handler (the client got a 500 for each)
        self.errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, name="fake-http-server", daemon=True)
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(self._start(host), self._loop)
        self._server = fut.result(timeout=10)
        self.host = host
        self.port: int = self._server.sockets[0].getsockname()[1]
        self.url = f"http://{host}:{self.port}"

    # -- lifecycle -----------------------------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    async def _start(self, host: str) -> asyncio.Server:
        return await asyncio.start_server(self._on_connection, host, 0, limit=1 << 20)

    async def _shutdown(self) -> None:
        self._server.close()
        for w in list(self._writers):
            w.transport.abort()
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=5)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            if not self._thread.is_alive():
                self._loop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- connection handling -------------------------------------------------------------------
    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    break
                try:
                    response = self._handler(request)
                except Exception as exc:  # surface handler bugs to the client and to the test
                    self.errors.append(exc)
                    response = FullResponse(
                        500, traceback.format_exc().encode(), {"content-type": "text/plain"}
                    )
                keep_alive = await self._write(writer, response)
                if not keep_alive or request.headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            writer.close()

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            key = name.strip().lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
                if size == 0:
                    # trailers (if any) end with an empty line
                    while (await reader.readuntil(b"\r\n")) != b"\r\n":
                        pass
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            body = b"".join(parts)
        else:
            length = int(headers.get("content-length", "0") or 0)
            body = await reader.readexactly(length) if length else b""
        path, _, raw_query = target.partition("?")
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        return HttpRequest(method.upper(), path, query, headers, body)

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, response: Response) -> bool:
        """Write ``response``; return whether the connection may be kept alive."""
        if response.delay_s > 0:
            await asyncio.sleep(response.delay_s)
        if isinstance(response, DropResponse):
            return False
        if isinstance(response, FullResponse):
            body = response.body
            extra = {"content-length": str(len(body))}
            if response.truncate_at is not None:
                writer.write(_head(response.status, response.headers, extra) + body[: response.truncate_at])
                await writer.drain()
                return False
            if response.trickle_s > 0:
                writer.write(_head(response.status, response.headers, extra))
                step = max(1, response.trickle_bytes)
                for i in range(0, len(body), step):
                    await writer.drain()
                    await asyncio.sleep(response.trickle_s)
                    writer.write(body[i : i + step])
                await writer.drain()
                return True
            writer.write(_head(response.status, response.headers, extra) + body)
            await writer.drain()
            return True
        head = _head(response.status, response.headers, {"transfer-encoding": "chunked"})
        chunks = list(response.chunks)
        limit = response.truncate_after
        if response.chunk_delay_s <= 0:
            send = chunks if limit is None else chunks[:limit]
            out = [head]
            out.extend(b"%x\r\n%b\r\n" % (len(c), c) for c in send if c)
            if limit is None:
                out.append(b"0\r\n\r\n")
            writer.write(b"".join(out))
            await writer.drain()
            return limit is None
        writer.write(head)
        for i, chunk in enumerate(chunks):
            if limit is not None and i >= limit:
                await writer.drain()
                return False
            if i:
                await writer.drain()
                await asyncio.sleep(response.chunk_delay_s)
            if chunk:
                writer.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
        if limit is not None:
            await writer.drain()
            return False
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True
