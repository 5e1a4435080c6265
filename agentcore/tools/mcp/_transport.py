"""Opening one MCP transport (stdio, SSE, streamable HTTP) from a server's config. Imports ``mcp`` lazily."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentcore.config.schema import McpServerConfig

__all__ = ["log_path", "open_transport"]

# HTTP connect/write timeout; reads on the event stream stay open for the session's lifetime.
_HTTP_TIMEOUT = 30.0
_SSE_READ_TIMEOUT = 3600.0


def log_path(server: str) -> Path:
    """Where a stdio server's stderr goes: ``$AGENTCORE_HOME/logs/mcp-<server>.log``."""
    from agentcore.storage.db import agentcore_home

    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", server)
    return agentcore_home() / "logs" / f"mcp-{safe}.log"


@asynccontextmanager
async def open_transport(
    config: McpServerConfig, *, cwd: Path | None, errlog: IO[str] | None
) -> AsyncGenerator[tuple[Any, Any]]:
    """The (read, write) stream pair of a connected transport; closing it stops the server / session."""
    if config.type == "stdio":
        from mcp.client.stdio import StdioServerParameters, stdio_client

        assert config.command is not None
        # The SDK merges ``env`` over a minimal inherited set (PATH, HOME, USER, LOGNAME, SHELL, TERM
        # on POSIX; the Windows equivalents there) — never the whole parent environment.
        params = StdioServerParameters(
            command=config.command, args=list(config.args), env=dict(config.env), cwd=cwd
        )
        async with stdio_client(params, errlog=errlog) as streams:  # pyright: ignore[reportArgumentType]
            yield streams[0], streams[1]
    elif config.type == "sse":
        from mcp.client.sse import sse_client

        assert config.url is not None
        async with sse_client(
            config.url,
            headers=dict(config.headers) or None,
            timeout=_HTTP_TIMEOUT,
            sse_read_timeout=_SSE_READ_TIMEOUT,
        ) as streams:
            yield streams[0], streams[1]
    else:
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        assert config.url is not None
        client = httpx2.AsyncClient(
            headers=dict(config.headers),
            timeout=httpx2.Timeout(_HTTP_TIMEOUT, read=_SSE_READ_TIMEOUT),
        )
        async with client, streamable_http_client(config.url, http_client=client) as streams:
            yield streams[0], streams[1]
