"""A real MCP server that asks the client for things: sampling, elicitation (form, URL), roots,
and sends progress and log messages. ``python features_server.py stdio|http [PORT]``."""

from __future__ import annotations

import sys

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ModelHint, ModelPreferences, SamplingMessage, TextContent, Tool, ToolExecution
from pydantic import BaseModel


class Pizza(BaseModel):
    size: str
    slices: int


def build() -> MCPServer:
    server = MCPServer("features", log_level="WARNING")

    @server.tool()
    async def summarize(text: str, ctx: Context, max_tokens: int = 50, hints: list[str] | None = None) -> str:
        """Ask the client's model to summarise (preferring the models named by ``hints``)."""
        prefs = ModelPreferences(hints=[ModelHint(name=h) for h in hints]) if hints else None
        result = await ctx.session.create_message(  # pyright: ignore[reportDeprecated]
            messages=[SamplingMessage(role="user", content=TextContent(type="text", text=text))],
            max_tokens=max_tokens,
            system_prompt="Summarise in five words.",
            model_preferences=prefs,
        )
        content = result.content
        return f"summary: {getattr(content, 'text', content)} ({result.model}, {result.stop_reason})"

    @server.tool()
    async def order(ctx: Context) -> str:
        """Ask the user which pizza."""
        result = await ctx.elicit("Which pizza?", schema=Pizza)
        if result.action == "accept":
            return f"ordered {result.data.slices} slices of a {result.data.size}"
        return f"order {result.action}"

    @server.tool()
    async def login(ctx: Context) -> str:
        """Ask the user to open a URL."""
        result = await ctx.elicit_url(
            "Log in to continue", url="https://example.invalid/login", elicitation_id="e1"
        )
        return f"login {result.action}"

    @server.tool()
    async def where(ctx: Context) -> str:
        """The client's roots."""
        roots = await ctx.session.list_roots()  # pyright: ignore[reportDeprecated]
        return " ".join(str(r.uri) for r in roots.roots)

    @server.tool()
    async def work(steps: int, ctx: Context) -> str:
        """Report progress and log."""
        for i in range(steps):
            await ctx.report_progress(i + 1, steps, f"step {i + 1}")
        await ctx.warning("work done")  # pyright: ignore[reportDeprecated]
        return "worked"

    @server.tool()
    async def research(topic: str) -> str:
        """A long job that the server runs only as an MCP task (like server-everything's)."""
        return f"researched {topic}"

    listed = server.list_tools

    async def list_tools() -> list[Tool]:
        tools = await listed()
        for tool in tools:
            if tool.name == "research":  # MCPServer's decorator has no execution= parameter
                tool.execution = ToolExecution(task_support="required")
        return tools

    server.list_tools = list_tools  # pyright: ignore[reportAttributeAccessIssue]
    return server


if __name__ == "__main__":
    args = sys.argv[1:]
    server = build()
    if not args or args[0] == "stdio":
        server.run()
    else:
        server.run("streamable-http", host="127.0.0.1", port=int(args[1]))
