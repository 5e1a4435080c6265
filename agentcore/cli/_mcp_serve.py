"""``agentcore serve --mcp``: checks the options, then runs ``agentcore.serve.mcp_face``."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import TYPE_CHECKING

from agentcore.cli._common import fail

if TYPE_CHECKING:
    from agentcore.config.schema import AgentConfig


def serve_mcp(config: AgentConfig, transport: str, host: str, port: int, expose_tools: bool) -> None:
    """Serve until stopped; stdout belongs to the protocol under stdio, so notes go to stderr."""
    from agentcore.logs import ensure_logging
    from agentcore.serve.mcp_face import run_mcp

    if transport not in ("stdio", "http"):
        fail(f"--transport: '{transport}' is not a transport; use stdio or http", 2)
    ensure_logging(config.logging.level)
    where = "stdio" if transport == "stdio" else f"http://{host}:{port}/mcp"
    sys.stderr.write(f"agentcore serve --mcp: {where}\n")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_mcp(config, transport=transport, host=host, port=port, expose_tools=expose_tools))
