"""One live MCP session, owned by its own task, and how SDK failures are classified.

The SDK's transports and ``ClientSession`` are anyio context managers that must be entered and left
by the same task, so each connection lives in a background task; calls from any task go through the
session's in-memory streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from agentcore.errors import describe
from agentcore.logs import get_logger
from agentcore.tools.mcp._transport import open_transport

if TYPE_CHECKING:
    from agentcore.tools.mcp.source import McpToolSource

log = get_logger(__name__)

CONNECTION_CLOSED = -32000
REQUEST_TIMEOUT = -32001
# A restarted HTTP server no longer knows our session id: it answers 404 with one of these, or (as
# server-everything does) 400 with "No valid session ID provided".
_SESSION_GONE = ("session not found", "session terminated")
_SESSION_WORDING = ("session id", "session not", "session terminated", "invalid session", "unknown session")
# The SDK's stand-in when an HTTP error status came without a JSON-RPC error body.
_HTTP_STANDIN = "server returned an error response"
# Bound on the ping that tells a rejected session from a failing request.
_PROBE_TIMEOUT = 5.0
# Bound on waiting for a connection task to wind down (the stdio transport's own waits are bounded).
_CLOSE_TIMEOUT = 10.0


def leaf(exc: BaseException) -> BaseException:
    """The first real error inside (possibly nested) exception groups."""
    current: BaseException = exc
    while True:
        inner = cast(tuple[BaseException, ...], getattr(current, "exceptions", ()))
        if not inner or type(current).__name__ not in ("ExceptionGroup", "BaseExceptionGroup"):
            return current
        current = inner[0]


def is_connection_loss(exc: BaseException) -> bool:
    """Whether ``exc`` means the session is gone (closed pipe, dead server, unknown session id)."""
    exc = leaf(exc)
    if isinstance(exc, TimeoutError):  # an OSError subclass, but a deadline, not a lost connection
        return False
    if type(exc).__name__ == "MCPError":
        return getattr(getattr(exc, "error", None), "code", None) == CONNECTION_CLOSED or _session_unknown(
            exc
        )
    import anyio

    if isinstance(exc, OSError | EOFError | anyio.BrokenResourceError | anyio.ClosedResourceError):
        return True
    # httpx2 transport errors (connection refused / reset) without importing httpx2 here.
    return any(c.__name__ in ("TransportError", "NetworkError") for c in type(exc).__mro__)


def _session_unknown(exc: BaseException) -> bool:
    """Whether an ``MCPError`` is the server saying it does not know our session id."""
    message = str(getattr(getattr(exc, "error", None), "message", "")).lower()
    return message in _SESSION_GONE or any(word in message for word in _SESSION_WORDING)


def is_http_standin(exc: BaseException) -> bool:
    """Whether ``exc`` is the SDK's stand-in for an HTTP error status that carried no JSON-RPC error."""
    exc = leaf(exc)
    message = str(getattr(getattr(exc, "error", None), "message", "")).lower()
    return type(exc).__name__ == "MCPError" and message == _HTTP_STANDIN


def never_sent(exc: BaseException) -> bool:
    """Whether ``exc`` says the server did not run the request: the connection was refused, or the
    server answered that it does not know our session (a restarted server)."""
    exc = leaf(exc)
    if type(exc).__name__ == "MCPError":
        return _session_unknown(exc)
    names = {c.__name__ for c in type(exc).__mro__}
    return bool(names & {"ConnectError", "ConnectionRefusedError", "ConnectTimeout"})


async def session_rejected(session: Any) -> bool:
    """After an HTTP error on a request: whether the session itself is refused (a ping fails too).

    A server restarted between two calls may answer our stale session id with any 4xx and no
    JSON-RPC body; a session-bound ping failing the same way means the session is lost.
    """
    try:
        async with asyncio.timeout(_PROBE_TIMEOUT):
            await session.send_ping()
    except Exception as exc:
        return is_connection_loss(exc) or is_http_standin(exc)
    return False


def open_errlog(source: McpToolSource, stack: AsyncExitStack) -> IO[str] | None:
    """The stderr log file for a stdio server (appended to; one per server)."""
    path = source.log_file
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = stack.enter_context(path.open("a", encoding="utf-8", buffering=1))
    handle.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting {source.name}\n")
    return handle


def stderr_tail(path: Path | None) -> str:
    """The last line a stdio server wrote to its stderr log (its own reason for exiting, usually)."""
    if path is None or not path.is_file():
        return ""
    try:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    except OSError:
        return ""
    lines = [ln for ln in lines if ln and not ln.startswith("--- ")]
    return lines[-1][:200] if lines else ""


class Connection:
    """One live session, owned by a background task that enters and leaves the SDK's contexts."""

    def __init__(self, source: McpToolSource) -> None:
        self._source = source
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.session: Any = None
        self.lost = False

    async def open(self, timeout: float) -> Any:
        ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._run(ready), name=f"mcp-{self._source.name}")
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.shield(ready)
        except BaseException:
            # Either ``ready`` failed (its error is what we raise) or our start-up timer expired.
            await self.close()
            if ready.done() and not ready.cancelled():
                ready.exception()  # retrieved: no "never retrieved" warning for the close's own error
            raise

    async def _run(self, ready: asyncio.Future[Any]) -> None:
        from mcp import ClientSession
        from mcp.types import Implementation

        source = self._source
        quiet_sdk_transports()
        try:
            async with AsyncExitStack() as stack:
                errlog = open_errlog(source, stack)
                read, write = await stack.enter_async_context(
                    open_transport(source.config, cwd=source.cwd, errlog=errlog)
                )
                from agentcore.tools.mcp._callbacks import session_kwargs

                session = ClientSession(
                    read,
                    write,
                    message_handler=self._on_message,
                    client_info=Implementation(name="agentcore", version=_version()),
                    **session_kwargs(source),
                )
                await stack.enter_async_context(session)
                await session.initialize()
                self.session = session
                ready.set_result(session)
                await self._stop.wait()
        except BaseException as exc:  # reported through ``ready``, or logged
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else ConnectionError("cancelled"))
            elif not self._stop.is_set() and not isinstance(exc, asyncio.CancelledError):
                log.warning("MCP connection ended", server=source.name, error=describe(leaf(exc)).message)
            if isinstance(exc, asyncio.CancelledError) and not ready.done():
                raise
        finally:
            self.lost = True

    async def _on_message(self, message: Any) -> None:
        if isinstance(message, Exception):
            log.debug("MCP transport error", server=self._source.name, error=describe(message).message)
            return
        method = getattr(message, "method", "")
        if method == "notifications/tools/list_changed":
            self._source.schedule_refresh()

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop that owns this session (None before ``open``)."""
        return self._task.get_loop() if self._task is not None else None

    async def retire(self) -> None:
        """Close this connection from another event loop (the agent moved to a new one).

        The session's streams and the stdio child belong to the loop that opened them, so the
        close runs there: at once when that loop is running (in another thread), bounded so a
        blocked loop cannot hold us up; or whenever it next runs. A loop ended by ``asyncio.run``
        already cancelled the connection task, whose shielded clean-up terminated the child.
        """
        task, loop = self._task, self.loop
        if task is None or loop is None or task.done() or loop.is_closed():
            return
        try:
            future = asyncio.run_coroutine_threadsafe(self.close(), loop)
        except RuntimeError:  # closed between the check and the call
            return
        if loop.is_running():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.wrap_future(future), _CLOSE_TIMEOUT)

    async def close(self) -> None:
        self._stop.set()
        task = self._task
        if task is None or task.done():
            return
        if self.session is None:
            # Still starting (e.g. the start-up timeout hit): nothing to wind down politely. The
            # transports shield their own clean-up, so a stdio child is still terminated.
            task.cancel()
        try:
            # Shielded: the transport's own shutdown must finish even if our caller is cancelled,
            # or a stdio child would be orphaned.
            await asyncio.shield(asyncio.wait_for(asyncio.shield(task), _CLOSE_TIMEOUT))
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        except BaseException:  # errors while closing are not the caller's problem
            pass


_SDK_TRANSPORT_LOGGERS = ("mcp.client.stdio", "mcp.client.sse", "mcp.client.streamable_http")


class _DemoteTransportNoise(logging.Filter):
    """The SDK logs a traceback whenever a server goes away; we handle that (reconnect, ``down``)
    and report it ourselves, so its records become one-line debug messages instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG:
            if record.exc_info and record.exc_info[1] is not None:
                error = describe(leaf(record.exc_info[1]))
                record.msg = f"{record.getMessage()}: {error.type}: {error.message}"
                record.args = None
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


_noise_filter = _DemoteTransportNoise()


def quiet_sdk_transports() -> None:
    for name in _SDK_TRANSPORT_LOGGERS:
        logger = logging.getLogger(name)
        if _noise_filter not in logger.filters:
            logger.addFilter(_noise_filter)


def _version() -> str:
    from agentcore import __version__

    return __version__
