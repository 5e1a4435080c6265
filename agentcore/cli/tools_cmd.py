"""``agentcore tools``: every tool the model can call, where it comes from, and whether it is up."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentcore.cli._common import user_errors

if TYPE_CHECKING:
    from agentcore.tools.manager import UnifiedToolManager


@asynccontextmanager
async def open_tools(config_path: Path | None) -> AsyncGenerator[UnifiedToolManager]:
    """The tool manager of ``cipher.yml`` (local tools and MCP servers, all lenient), started."""
    from agentcore.config.loader import load_config
    from agentcore.logs import ensure_logging
    from agentcore.tools.local import LocalToolSource
    from agentcore.tools.manager import UnifiedToolManager
    from agentcore.tools.mcp import sources_from_config

    config = load_config(config_path)
    ensure_logging(config.logging.level)  # warnings to stderr: stdout may be JSON
    manager = UnifiedToolManager(
        [LocalToolSource.from_config(config), *sources_from_config(config, lenient=True)],
        default_timeout=config.tool_timeout,
        output_limit=config.tool_output_limit,
    )
    await manager.start()
    try:
        yield manager
    finally:
        await manager.close()


def _summary(text: str, width: int = 60) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 3] + "..."


async def _collect(config_path: Path | None) -> dict[str, Any]:
    async with open_tools(config_path) as manager:
        sources = manager.source_status()
        states = {row["name"]: row["state"] for row in sources}
        tools = [{**row, "status": states.get(row["source"], "up")} for row in manager.status()]
        for source in sources:  # listed by a server but left out (e.g. needs MCP tasks)
            for tool, why in source.get("not_offered", {}).items():
                tools.append(
                    {
                        "name": tool,
                        "source": source["name"],
                        "original_name": tool,
                        "description": "",
                        "origin": f"mcp:{source['name']}",
                        "status": f"not offered: {why}",
                    }
                )
        return {"tools": tools, "sources": sources}


def print_sources(sources: list[dict[str, Any]]) -> None:
    """One line per tool source: name, type, state, tool count, and the error when down."""
    for row in sources:
        error = f"  {row['error']}" if row.get("error") else ""
        print(f"  {row['name']:<20} {row['type']:<16} {row['state']:<10} {row['tools']:>3} tools{error}")


def list_tools(config_path: Path | None, *, json_out: bool) -> None:
    """Print the tools (``--json``: tools and sources as one JSON object)."""
    with user_errors():
        data = asyncio.run(_collect(config_path))
    if json_out:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    tools: list[dict[str, Any]] = data["tools"]
    if tools:
        width = max(len(t["name"]) for t in tools) + 2
        for t in tools:
            print(f"{t['name']:<{width}} {t['source']:<16} {t['status']:<6} {_summary(t['description'])}")
    else:
        print("(no tools)")
    print("\nsources:")
    print_sources(data["sources"])
