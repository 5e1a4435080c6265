"""``agentcore serve --mcp``: the agents (and, on request, their tools) as an MCP server.

Each agent is a tool ``ask_<agent>(message, session?)`` answering with its final text; with
``expose_tools`` the default agent's tools (local and aggregated MCP, names as the model sees them)
are offered too. Every call runs inside ``call_context(module="mcp")``, so it is logged and traced
like any run. Over HTTP the serve API keys apply (``Authorization: Bearer``), checked by ``Auth``.
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import threading
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from agentcore.llm.providers.http.host import hosted
from agentcore.logs import get_logger
from agentcore.tracing.context import call_context, new_id

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from starlette.types import ASGIApp, Receive, Scope, Send

    from agentcore.config.schema import AgentConfig
    from agentcore.serve.keys import ApiKey
    from agentcore.serve.state import Gateway

__all__ = ["build_mcp_server", "run_mcp"]

log = get_logger("agentcore.serve.mcp")

_KEY_STATE = "agentcore_key"
_ASK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "message": {"type": "string", "description": "What to ask the agent."},
        "session": {
            "type": ["string", "null"],
            "description": "A session id to continue a conversation; omit for a one-off question.",
        },
    },
    "required": ["message"],
}

Handler = Callable[[dict[str, Any], "ApiKey | None"], Awaitable[tuple[str, bool]]]


@dataclass(frozen=True, slots=True)
class _Entry:
    description: str
    schema: dict[str, Any]
    run: Handler


def _tool_name(agent: str) -> str:
    return "ask_" + (re.sub(r"[^A-Za-z0-9_-]", "_", agent) or "agent")


def _entries(gateway: Gateway, expose_tools: bool) -> dict[str, _Entry]:
    entries: dict[str, _Entry] = {}
    for agent_name, agent in gateway.agents.items():

        async def ask(
            args: dict[str, Any], key: ApiKey | None, agent: Any = agent, name: str = agent_name
        ) -> tuple[str, bool]:
            message = args.get("message")
            session = args.get("session")
            if not isinstance(message, str) or not message.strip():
                return "'message' must be a non-empty string", True
            if session is not None and not isinstance(session, str):
                return "'session' must be a string", True
            if key is not None and not key.allows(name):
                return f"the API key {key.id} may not use agent '{name}'", True
            with _scope(key, session, agent=name), hosted(gateway.host):
                result = await agent.run(message, session=session)
            return result.text, False

        served = gateway.config.agents.get(agent_name)
        about = f" {served.description}" if served is not None and served.description else ""
        entries[_tool_name(agent_name)] = _Entry(
            f"Ask the agentcore agent '{agent_name}'; returns its final answer.{about} Pass the "
            "same 'session' to continue a conversation.",
            _ASK_SCHEMA,
            ask,
        )
    if expose_tools:
        default = gateway.agents[gateway.config.serve.default_agent]
        for spec in default.tools.specs():
            if spec.name in entries:
                log.warning("serve.mcp_tool_shadowed", tool=spec.name)
                continue

            async def call(
                args: dict[str, Any], key: ApiKey | None, name: str = spec.name
            ) -> tuple[str, bool]:
                from agentcore.messages import ToolCall

                with _scope(key, None, tool=name):
                    out = await default.tools.execute(
                        ToolCall("mcp-" + new_id()[:12], name, json.dumps(args))
                    )
                return out.text, out.is_error

            entries[spec.name] = _Entry(spec.description, dict(spec.parameters), call)
    return entries


def _scope(key: ApiKey | None, session: str | None, **tags: str) -> Any:
    if key is None:
        return call_context(module="mcp", session_id=session, **tags)
    return call_context(module="mcp", user_id=key.user_id, session_id=session, key_id=key.id, **tags)


def build_mcp_server(gateway: Gateway, *, expose_tools: bool = False) -> MCPServer:
    """An ``MCPServer`` whose tools are the gateway's agents (and their tools); the gateway is started."""
    from mcp.server.mcpserver import Context, MCPServer
    from mcp.types import CallToolResult, TextContent
    from mcp.types import Tool as MCPTool

    entries = _entries(gateway, expose_tools)

    class AgentcoreMcpServer(MCPServer):
        async def list_tools(self) -> list[MCPTool]:
            return [
                MCPTool(name=n, description=e.description, input_schema=e.schema) for n, e in entries.items()
            ]

        def _tool_input_schema(self, name: str) -> dict[str, Any] | None:
            entry = entries.get(name)
            return entry.schema if entry is not None else None

        async def call_tool(  # pyright: ignore[reportIncompatibleMethodOverride]
            self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
        ) -> CallToolResult:
            entry = entries.get(name)
            if entry is None:
                return CallToolResult(
                    content=[TextContent(type="text", text=f"unknown tool '{name}'")], is_error=True
                )
            key = _request_key(context)
            text, failed = await entry.run(arguments, key)
            return CallToolResult(content=[TextContent(type="text", text=text)], is_error=failed)

    return AgentcoreMcpServer("agentcore", log_level="WARNING")


def _request_key(context: Any) -> ApiKey | None:
    """The key our HTTP middleware verified for this request (None over stdio)."""
    try:
        request = context.request_context.request if context is not None else None
    except ValueError:
        return None
    scope: Any = getattr(request, "scope", None)
    state: Any = cast(dict[str, Any], scope).get("state") if isinstance(scope, dict) else None
    return cast(dict[str, Any], state).get(_KEY_STATE) if isinstance(state, dict) else None


def require_key(app: ASGIApp, gateway: Gateway) -> ASGIApp:
    """``app`` behind the serve API keys: a request without a valid key gets 401 and goes no further."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    from agentcore.serve._errors import HttpError
    from agentcore.serve.auth import Auth

    auth = Auth(gateway)

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        try:
            key = await auth.check(Request(scope))
        except HttpError as err:
            body = {"error": {"message": err.message, "code": err.code}}
            await JSONResponse(body, status_code=err.status, headers={"WWW-Authenticate": "Bearer"})(
                scope, receive, send
            )
            return
        scope.setdefault("state", {})[_KEY_STATE] = key
        await app(scope, receive, send)

    return guarded


def _ignore(signum: int, frame: Any) -> None:
    return None


@contextlib.contextmanager
def _signals_end_serving() -> Generator[None]:
    """uvicorn stops on SIGTERM/SIGINT, then raises the signal again under the handler it found:
    with a no-op one there, our clean-up (agents, MCP servers, call log) still runs afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handled = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.signal(sig, _ignore) for sig in handled}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


async def run_mcp(config: AgentConfig, *, transport: str, host: str, port: int, expose_tools: bool) -> None:
    """Serve over ``stdio`` or streamable ``http`` until stopped (the agents start first, close last)."""
    from agentcore.serve.state import Gateway

    gateway = Gateway(config)
    await gateway.start()
    try:
        server = build_mcp_server(gateway, expose_tools=expose_tools)
        if transport == "stdio":
            await server.run_stdio_async()
            return
        import uvicorn

        app = require_key(server.streamable_http_app(host=host), gateway)
        options = uvicorn.Config(
            app, host=host, port=port, log_level="warning", access_log=False, server_header=False
        )
        with _signals_end_serving():
            await uvicorn.Server(options).serve()
    finally:
        await gateway.close()
