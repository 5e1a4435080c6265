"""A real MCP server for the tests, built with ``mcp``'s server API.

Run as ``python demo_server.py stdio|sse|http [PORT] [--name NAME]``. Its tools cover what the client
must handle: plain text, images, structured content, errors, a hang, a crash, and a tool-list change.
"""

from __future__ import annotations

import asyncio
import base64
import os
import sys
from typing import Any

if "--fail" in sys.argv:  # before the slow imports: a server that dies at once
    sys.stderr.write("demo server: refusing to start\n")
    sys.exit(1)

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.types import Image
from mcp.types import ToolAnnotations

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def build(name: str) -> MCPServer:
    server = MCPServer(name, log_level="WARNING")

    @server.tool()
    def echo(text: str) -> str:
        """Echo the text back, prefixed with the server's name."""
        return f"{name}:{text}"

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @server.tool()
    def pid() -> int:
        """The server process id."""
        return os.getpid()

    @server.tool()
    def env(key: str) -> str:
        """The value of an environment variable in the server, or <unset>."""
        return os.environ.get(key, "<unset>")

    @server.tool()
    async def hang(seconds: float = 3600) -> str:
        """Sleep (practically forever by default)."""
        await asyncio.sleep(seconds)
        return "woke up"

    @server.tool(structured_output=False)
    def picture() -> list[Any]:
        """A caption and a tiny PNG."""
        return ["a red pixel", Image(data=PNG, format="png")]

    @server.tool(structured_output=False)
    def tiny_image() -> list[Any]:
        """Text, an image, more text (server-everything's get-tiny-image)."""
        return [
            "This is a tiny image you requested:",
            Image(data=PNG, format="png"),
            "The image above is tiny.",
        ]

    @server.tool()
    def weather(city: str) -> dict[str, Any]:
        """Structured weather."""
        return {"city": city, "temp_c": 21}

    @server.tool()
    def fail(message: str) -> str:
        """Always fails."""
        raise ToolError(message)

    @server.tool()
    def big(n: int) -> str:
        """n characters of text."""
        return "x" * n

    @server.tool()
    def crash() -> str:
        """Exit the server process at once."""
        sys.stderr.write("crash tool: exiting\n")
        sys.stderr.flush()
        os._exit(3)

    def count_and_crash_first(path: str) -> int:
        # Records the run in ``path``; the first run ever then kills the server mid-call.
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("ran\n")
        with open(path, encoding="utf-8") as handle:
            runs = len(handle.read().splitlines())
        if runs == 1:
            os._exit(3)
        return runs

    @server.tool()
    def charge(path: str) -> str:
        """A side effect (not idempotent): records a run, crashing the server on the first."""
        return f"charged (run {count_and_crash_first(path)})"

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def lookup(path: str) -> str:
        """Read-only: records a run, crashing the server on the first."""
        return f"looked up (run {count_and_crash_first(path)})"

    @server.tool(annotations=ToolAnnotations(idempotent_hint=True))
    def put(path: str) -> str:
        """Idempotent: records a run, crashing the server on the first."""
        return f"put (run {count_and_crash_first(path)})"

    @server.tool()
    async def grow(ctx: Context) -> str:
        """Add a tool named 'extra' and tell the client the list changed."""

        def extra() -> str:
            """Added at run time."""
            return "extra!"

        server.add_tool(extra)
        await ctx.session.send_tool_list_changed()
        return "grown"

    @server.resource("demo://greeting", mime_type="text/plain")
    def greeting() -> str:
        """A greeting."""
        return f"hello from {name}"

    @server.prompt()
    def review(code: str, language: str = "python") -> str:
        """Ask for a code review."""
        return f"Review this {language} code:\n{code}"

    return server


def _stale_session_400(app: Any, body_kind: str) -> Any:
    """Answer an unknown session id with HTTP 400, as server-everything does (the spec says 404)."""
    import json

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        held: list[Any] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start" and message["status"] == 404:
                held.append(message)
                return
            if held:
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    if body_kind == "json":
                        error = {"code": -32000, "message": "Bad Request: No valid session ID provided"}
                        payload = json.dumps({"jsonrpc": "2.0", "error": error, "id": None}).encode()
                        ctype = b"application/json; charset=utf-8"
                    else:
                        payload, ctype = b"Bad Request", b"text/plain"
                    headers = [(b"content-type", ctype), (b"content-length", str(len(payload)).encode())]
                    await send({"type": "http.response.start", "status": 400, "headers": headers})
                    await send({"type": "http.response.body", "body": payload})
                return
            await send(message)

        await app(scope, receive, capture)

    return wrapped


def main() -> None:
    args = sys.argv[1:]
    name = "demo"
    stale = None
    if "--stale400" in args:
        i = args.index("--stale400")
        stale = args[i + 1]
        del args[i : i + 2]
    if "--name" in args:
        i = args.index("--name")
        name = args[i + 1]
        del args[i : i + 2]
    transport = args[0] if args else "stdio"
    server = build(name)
    if transport == "stdio":
        server.run()
    elif transport == "sse":
        server.run("sse", host="127.0.0.1", port=int(args[1]))
    elif stale is not None:
        import uvicorn

        app = _stale_session_400(server.streamable_http_app(), stale)
        uvicorn.run(app, host="127.0.0.1", port=int(args[1]), log_level="warning")
    else:
        server.run("streamable-http", host="127.0.0.1", port=int(args[1]))


if __name__ == "__main__":
    main()
