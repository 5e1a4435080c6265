"""One MCP server as a tool source: connect, cache its tools, call them, reconnect once, never hang.

Each connection lives in its own background task (``_connection.Connection``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agentcore.errors import AgentcoreError, describe
from agentcore.logs import get_logger
from agentcore.tools.base import ToolOutput, ToolsChanged, ToolSpec
from agentcore.tools.context import current_run_context
from agentcore.tools.mcp import catalog
from agentcore.tools.mcp._callbacks import resolve_roots
from agentcore.tools.mcp._connection import (
    REQUEST_TIMEOUT,
    Connection,
    is_connection_loss,
    is_http_standin,
    leaf,
    never_sent,
    session_rejected,
    stderr_tail,
)
from agentcore.tools.mcp._convert import keep_tool, to_output, to_spec
from agentcore.tools.mcp._handlers import McpHooks
from agentcore.tools.mcp._transport import log_path
from agentcore.tools.mcp.catalog import PromptInfo, ResourceInfo

if TYPE_CHECKING:
    from agentcore.config.schema import McpServerConfig

__all__ = ["McpServerError", "McpToolSource", "PromptInfo", "ResourceInfo"]

log = get_logger(__name__)

State = Literal["stopped", "connecting", "up", "down"]

# A server marked down is retried on a call at most this often.
DOWN_RETRY_SECONDS = 30.0


class CallInterrupted(Exception):
    """The connection was lost during a request that must not be sent twice."""


def retry_safe(tool: Any) -> bool:
    """Whether running ``tool`` twice is harmless, by its own annotations (absent means no)."""
    notes = getattr(tool, "annotations", None)
    return bool(getattr(notes, "idempotent_hint", None) or getattr(notes, "read_only_hint", None))


NEEDS_TASKS = "needs MCP tasks"


def needs_tasks(tool: Any) -> bool:
    """Whether ``tool`` may only be called task-augmented (``execution.taskSupport: required``)."""
    return getattr(getattr(tool, "execution", None), "task_support", None) == "required"


class McpServerError(AgentcoreError):
    """An MCP server could not be reached or used; names the server and the reason."""

    def __init__(self, server: str, message: str, hint: str | None = None) -> None:
        self.server = server
        self.reason = message
        self.hint = hint
        text = f"MCP server '{server}': {message}"
        super().__init__(f"{text} ({hint})" if hint else text)


class McpToolSource:
    """The tools (and resources and prompts) of one configured MCP server."""

    def __init__(
        self,
        name: str,
        config: McpServerConfig,
        *,
        cwd: Path | None = None,
        startup_timeout: float | None = None,
        strict: bool | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.cwd = cwd if cwd is not None else config.cwd
        self.default_timeout: float = config.timeout
        self.startup_timeout: float = startup_timeout or config.startup_timeout
        self.strict = config.connection_mode == "strict" if strict is None else strict
        self.state: State = "stopped"
        self.error: str | None = None
        self.reconnects = 0
        self._conn: Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        """The loop that owns ``_conn``, ``_lock`` and ``_refreshed`` (see ``_bind_loop``)."""
        self._tools: list[ToolSpec] = []
        self._on_change: ToolsChanged | None = None
        self._lock = asyncio.Lock()
        self._down_since = 0.0
        self._closed = False
        self._refresh_task: asyncio.Task[None] | None = None
        self.tools_version = 0
        """Bumped each time the cached tool list is replaced."""
        self.refreshes = 0
        """Completed ``tools/list_changed`` refreshes (the manager already told); see ``wait_refreshes``."""
        self._refreshed = asyncio.Event()
        self.hooks = McpHooks()
        """Sampling / elicitation / progress handlers, set by the embedding Agent or CLI."""
        self.call_contexts: list[contextvars.Context] = []
        """Contexts of the tool calls in flight: server requests are answered in the latest one."""
        self._roots: list[Path] | None = None
        self.not_offered: dict[str, str] = {}
        """Tools the server lists that we leave out, with why (e.g. they need MCP tasks)."""
        self._retry_safe: set[str] = set()
        """Tools annotated ``idempotentHint`` or ``readOnlyHint``: the only ones retried after a crash."""

    # ------------------------------------------------------------------ info

    @property
    def transport(self) -> str:
        """``stdio``, ``sse`` or ``streamable-http``."""
        return self.config.type or "stdio"

    @property
    def timeout_slack(self) -> float:
        """Time a call may spend reconnecting before its own timeout starts (see the manager)."""
        return self.startup_timeout

    @property
    def log_file(self) -> Path | None:
        """The stdio server's stderr log."""
        return log_path(self.name) if self.transport == "stdio" else None

    def info(self) -> dict[str, Any]:
        """Status for ``agentcore mcp status`` and ``agentcore tools`` (secrets masked)."""
        from agentcore._redact import redact_text

        target = (
            " ".join([self.config.command or "", *self.config.args])
            if self.transport == "stdio"
            else self.config.url
        )
        return {
            "name": self.name,
            "type": self.transport,
            "state": self.state,
            "mode": self.config.connection_mode,
            "tools": len(self._tools),
            "target": redact_text(target or ""),
            "error": redact_text(self.error) if self.error else None,
            "reconnects": self.reconnects,
            "log": str(self.log_file) if self.log_file else None,
            "not_offered": dict(self.not_offered),
        }

    def roots(self) -> list[Path]:
        """The roots offered to the server (``roots:``; a stdio server's working directory by default)."""
        if self._roots is None:
            self._roots = resolve_roots(self.config.roots, self.cwd, self.transport == "stdio")
        return list(self._roots)

    async def set_roots(self, roots: list[Path]) -> None:
        """Change the roots and tell a connected server (``notifications/roots/list_changed``)."""
        self._roots = [p.resolve() for p in roots]
        await self._bind_loop()
        conn = self._conn
        if conn is not None and conn.session is not None and not conn.lost:
            import warnings

            with warnings.catch_warnings():  # deprecated in a later protocol revision, still answered
                warnings.simplefilter("ignore")
                await conn.session.send_roots_list_changed()

    def set_change_callback(self, callback: ToolsChanged | None) -> None:
        """Called (by the manager) after the cached tool list changed."""
        self._on_change = callback

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Connect and list the tools; a strict server raises ``McpServerError``, a lenient one goes down.

        Concurrent calls share one start-up, and a source already up is not started again: one
        server process (or session) per source, however many runs start at once.
        """
        await self._bind_loop()
        async with self._lock:
            self._closed = False
            conn = self._conn
            if conn is not None and not conn.lost and conn.session is not None:
                return
            try:
                await self._connect()
            except McpServerError as exc:
                if self.strict:
                    raise
                log.warning(
                    "MCP server unavailable; continuing without it", server=self.name, error=exc.reason
                )

    async def _connect(self) -> None:
        """Open a new connection (closing any old one) and refresh the tool cache."""
        old, self._conn = self._conn, None
        if old is not None:
            await old.close()
        self.state = "connecting"
        conn = Connection(self)
        try:
            session = await conn.open(self.startup_timeout)
            tools = await self._list_from(session)
        except asyncio.CancelledError:
            await conn.close()
            self.state = "down"
            self.error = "start-up cancelled"
            raise
        except Exception as exc:
            await conn.close()
            self._mark_down(self._reason(exc))
            raise McpServerError(self.name, self.error or "unavailable", self._hint()) from None
        self._conn = conn
        self._tools = tools
        self.tools_version += 1
        self.state = "up"
        self.error = None

    async def _bind_loop(self) -> None:
        """Make the loop-bound state (session, lock, events) belong to the running loop: a session
        belongs to the loop that opened it, so an agent used from another ``asyncio.run`` (or thread)
        retires the old one (a stdio child is terminated, not orphaned) and opens a new one lazily."""
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        self._loop = loop
        self._lock = asyncio.Lock()
        self._refreshed = asyncio.Event()
        old, self._conn = self._conn, None
        refresh, self._refresh_task = self._refresh_task, None
        if refresh is not None and not refresh.done():
            with contextlib.suppress(RuntimeError):  # its loop is closed: the task is gone with it
                refresh.get_loop().call_soon_threadsafe(refresh.cancel)
        if self.state in ("up", "connecting"):
            self.state = "stopped"
        if old is not None:
            await old.retire()

    def _reason(self, exc: BaseException) -> str:
        exc = leaf(exc)
        if isinstance(exc, TimeoutError):
            return f"did not finish start-up within {self.startup_timeout:g} s"
        if isinstance(exc, FileNotFoundError) and self.transport == "stdio":
            return f"cannot run '{self.config.command}': command not found"
        info = describe(exc)
        text = info.message or info.type
        if is_connection_loss(exc) and self.transport == "stdio":
            tail = stderr_tail(self.log_file)
            text = "the server exited" + (f": {tail}" if tail else "")
        return text

    def _hint(self) -> str | None:
        if self.log_file is not None:
            return f"its stderr is in {self.log_file}"
        return None

    def _mark_down(self, reason: str) -> None:
        self.state = "down"
        self.error = reason
        self._down_since = time.monotonic()

    async def close(self) -> None:
        """Close the session and stop the server (stdio children are terminated, never orphaned)."""
        self._closed = True  # calls cut off by the close must not reconnect
        await self._bind_loop()
        if self._refresh_task is not None:
            self._refresh_task.cancel()
            with contextlib.suppress(BaseException):
                await self._refresh_task
            self._refresh_task = None
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()
        self.state = "stopped"

    # ------------------------------------------------------------------ tools

    async def _list_from(self, session: Any) -> list[ToolSpec]:
        tools: list[Any] = []
        cursor: str | None = None
        while True:
            if cursor is None:
                page = await session.list_tools()
            else:
                from mcp.types import PaginatedRequestParams

                page = await session.list_tools(params=PaginatedRequestParams(cursor=cursor))
            tools.extend(page.tools)
            cursor = page.next_cursor
            if not cursor:
                break
        include, exclude = self.config.include, self.config.exclude
        kept = [t for t in tools if keep_tool(t.name, include, exclude)]
        # The SDK client cannot run the task flow (tasks/get, tasks/result): a tool that requires it
        # always fails with -32601, so the model never sees it.
        skipped = {t.name: NEEDS_TASKS for t in kept if needs_tasks(t)}
        if skipped and skipped != self.not_offered:
            log.info("MCP tools not offered", server=self.name, tools=sorted(skipped), reason=NEEDS_TASKS)
        self.not_offered = skipped
        kept = [t for t in kept if t.name not in skipped]
        self._retry_safe = {t.name for t in kept if retry_safe(t)}
        return [to_spec(t, self.name) for t in kept]

    async def list_tools(self) -> list[ToolSpec]:
        """The cached tool list (fetched at connect, refreshed on ``tools/list_changed``)."""
        return list(self._tools)

    def schedule_refresh(self) -> None:
        """Re-list the tools in the background (the server said they changed)."""
        if self._refresh_task is not None and not self._refresh_task.done():
            self._refresh_task.add_done_callback(lambda _: self.schedule_refresh())
            return
        self._refresh_task = asyncio.create_task(self._refresh(), name=f"mcp-refresh-{self.name}")

    async def _refresh(self) -> None:
        conn = self._conn
        if conn is None or conn.session is None:
            return
        try:
            self._tools = await self._list_from(conn.session)
        except Exception as exc:  # a failed re-list keeps the old list; the next call may reconnect
            log.warning("MCP tool re-list failed", server=self.name, error=describe(exc).message)
            return
        self.tools_version += 1
        log.debug("MCP tools changed", server=self.name, tools=len(self._tools))
        try:
            if self._on_change is not None:
                outcome = self._on_change()
                if outcome is not None:
                    await outcome
        finally:
            self.refreshes += 1
            event, self._refreshed = self._refreshed, asyncio.Event()
            event.set()

    async def wait_refreshes(self, count: int) -> None:
        """Wait until ``count`` tool-list refreshes have completed (for embedding code and tests)."""
        while self.refreshes < count:
            await self._refreshed.wait()

    async def _session(self) -> Any:
        """A live session: opened on first use on this loop, reconnected (once) when known to be gone."""
        if self._loop is not asyncio.get_running_loop():
            await self._bind_loop()
        conn = self._conn
        if conn is not None and not conn.lost and conn.session is not None:
            return conn.session
        async with self._lock:
            conn = self._conn
            if conn is not None and not conn.lost and conn.session is not None:
                return conn.session
            if self._closed:
                raise McpServerError(self.name, "is closed (the agent is shutting down)")
            if self.state == "down" and time.monotonic() - self._down_since < DOWN_RETRY_SECONDS:
                raise McpServerError(self.name, f"is down ({self.error})", self._hint())
            await self._reconnect(counted=conn is not None or self.state == "down")
            assert self._conn is not None
            return self._conn.session

    async def _reconnect(self, *, counted: bool = True) -> None:
        if counted:  # not a first open on a new event loop
            self.reconnects += 1
            log.info("reconnecting MCP server", server=self.name)
        before = {t.name for t in self._tools}
        await self._connect()
        if {t.name for t in self._tools} != before and self._on_change is not None:
            outcome = self._on_change()
            if outcome is not None:
                await outcome

    async def request(self, op: str, fn: Any, *, retry: bool = True) -> Any:
        """Run ``fn(session)``; on a lost connection reconnect once and (when ``retry``) run it again.

        Without ``retry`` the loss is raised as ``CallInterrupted`` after the reconnect: the request
        may have taken effect before the server died, so running it again could do it twice.
        """
        session = await self._session()
        try:
            return await fn(session)
        except Exception as exc:
            rejected = is_http_standin(exc) and await session_rejected(session)
            if not rejected and not is_connection_loss(exc):
                raise
            # A refused session or a connection never made: the server did not run the request, so
            # running it again cannot do it twice.
            retry = retry or rejected or never_sent(exc)
            log.warning("MCP connection lost", server=self.name, op=op, error=describe(leaf(exc)).message)
        async with self._lock:
            if self._closed:
                raise McpServerError(self.name, "is closed (the agent is shutting down)")
            if self._conn is not None and self._conn.session is session:
                try:
                    await self._reconnect()  # raises McpServerError (and marks down) when it fails
                except McpServerError:
                    if retry:
                        raise
        if not retry:
            raise CallInterrupted(op)
        session = await self._session()
        return await fn(session)

    async def call(self, spec: ToolSpec, arguments: dict[str, Any], timeout: float) -> ToolOutput:
        """Call ``spec`` by the server's own name; failures come back as error outputs, not exceptions."""
        name = spec.call_name

        sink = self.hooks.progress
        # The SDK calls back from its own reader task: the call's context is taken here.
        caller = current_run_context()

        async def progress(value: float, total: float | None, message: str | None) -> None:
            if caller is not None:
                caller.report_progress(value, total, message)
            if sink is not None:
                sink(self.name, name, value, total, message)

        async def run(session: Any) -> Any:
            # Our own deadline (not the SDK's read timeout, which starts only after the write):
            # cancelling the request sends the server a courtesy cancel and keeps the session usable.
            async with asyncio.timeout(timeout):
                return await session.call_tool(name, arguments, progress_callback=progress)

        async def ping(session: Any) -> Any:
            async with asyncio.timeout(timeout):
                return await session.send_ping()

        safe = name in self._retry_safe
        context = contextvars.copy_context()
        self.call_contexts.append(context)
        try:
            return await self._call(name, run, ping, safe, timeout)
        finally:
            self.call_contexts.remove(context)

    async def _call(self, name: str, run: Any, ping: Any, safe: bool, timeout: float) -> ToolOutput:
        try:
            if not safe and self.transport == "stdio":
                # A call that must not run twice goes out only on a pipe just seen alive (a ping is
                # harmless to retry): a server that died while idle is restarted first, and only a
                # crash during the call itself is reported as an interruption. Over HTTP each call is
                # its own POST whose failure says whether it was run (refused session, no connection),
                # so the extra round trip is not needed there.
                await self.request("ping", ping)
            result = await self.request(f"tools/call {name}", run, retry=safe)
        except CallInterrupted:
            return ToolOutput(
                f"MCP server '{self.name}' lost the connection during '{name}', so the call was "
                f"interrupted and was not run again: it may or may not have taken effect (the tool is "
                f"not marked idempotent or read-only). Check before calling '{name}' again.",
                is_error=True,
            )
        except McpServerError as exc:
            return ToolOutput(f"{exc} — the tool '{name}' could not be called.", is_error=True)
        except TimeoutError:
            log.warning("MCP tool timed out", server=self.name, tool=name, timeout=timeout)
            return ToolOutput(f"'{name}' timed out after {timeout:g} s and was stopped.", is_error=True)
        except Exception as exc:
            cause = leaf(exc)
            code = getattr(getattr(cause, "error", None), "code", None)
            if code == REQUEST_TIMEOUT:
                return ToolOutput(f"'{name}' timed out after {timeout:g} s and was stopped.", is_error=True)
            if is_connection_loss(cause):
                return ToolOutput(
                    f"MCP server '{self.name}' lost the connection during '{name}' "
                    f"(it was reconnected and the call retried once).",
                    is_error=True,
                )
            info = describe(cause)
            return ToolOutput(
                f"MCP server '{self.name}' failed '{name}': {info.message or info.type}", is_error=True
            )
        return to_output(result)

    # ------------------------------------------------------------------ resources and prompts

    async def list_resources(self) -> list[ResourceInfo]:
        """The server's resources (empty when it offers none)."""
        return await catalog.list_resources(self)

    async def read_resource(self, uri: str) -> str:
        """The text of resource ``uri``."""
        return await catalog.read_resource(self, uri)

    async def list_prompts(self) -> list[PromptInfo]:
        """The server's prompts (empty when it offers none)."""
        return await catalog.list_prompts(self)

    async def get_prompt(self, name: str, arguments: dict[str, str] | None = None) -> list[tuple[str, str]]:
        """Prompt ``name`` rendered with ``arguments``, as ``(role, text)`` messages."""
        return await catalog.get_prompt(self, name, arguments)

    def has_capability(self, kind: str) -> bool:
        """Whether the connected server declared ``kind`` (``resources``, ``prompts``); True before connect."""
        conn = self._conn
        session = conn.session if conn is not None else None
        caps = getattr(session, "server_capabilities", None) if session is not None else None
        return caps is None or getattr(caps, kind, None) is not None
