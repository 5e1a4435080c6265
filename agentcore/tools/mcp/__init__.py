"""MCP servers as tool sources. The ``mcp`` SDK is imported only when a server connects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentcore.tools.mcp.source import McpServerError, McpToolSource, PromptInfo, ResourceInfo

if TYPE_CHECKING:
    from agentcore.config.schema import AgentConfig

__all__ = ["McpServerError", "McpToolSource", "PromptInfo", "ResourceInfo", "sources_from_config"]


def sources_from_config(config: AgentConfig, *, lenient: bool = False) -> list[McpToolSource]:
    """One source per enabled server in ``mcpServers`` (relative ``cwd`` resolves against cipher.yml).

    ``lenient`` treats strict servers as lenient (status commands want to show a failing server).
    """
    return [
        McpToolSource(
            name,
            server,
            cwd=config.resolve_path(server.cwd) if server.cwd else None,
            strict=False if lenient else None,
        )
        for name, server in config.mcp_servers.items()
        if server.enabled
    ]
