"""``agentcore mcp status|resources|prompts|import``."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentcore.cli._common import ConfigOpt, fail, user_errors

if TYPE_CHECKING:
    from agentcore.tools.manager import UnifiedToolManager
    from agentcore.tools.mcp import McpToolSource

mcp_app = typer.Typer(
    help="MCP servers from cipher.yml: status, resources, prompts, and importing Claude Desktop configs.",
    no_args_is_help=True,
    add_completion=False,
)

_Json = Annotated[bool, typer.Option("--json", help="print JSON")]
_Server = Annotated[str | None, typer.Argument(help="only this server")]


def _mcp_sources(manager: UnifiedToolManager, only: str | None) -> list[McpToolSource]:
    from agentcore.tools.mcp import McpToolSource

    found = [s for s in manager.sources if isinstance(s, McpToolSource)]
    if only is not None:
        found = [s for s in found if s.name == only]
        if not found:
            fail(f"no MCP server named '{only}' in the config", 2)
    return found


def _run(work: Any) -> Any:
    with user_errors():
        import asyncio

        return asyncio.run(work)


def _emit_json(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@mcp_app.command("status")
def status(config: ConfigOpt = None, json_out: _Json = False) -> None:
    """Connect to every configured server and show its state, tool count and last error."""
    from agentcore.cli.tools_cmd import open_tools

    async def work() -> list[dict[str, Any]]:
        async with open_tools(config) as manager:
            counts = {row["name"]: row["tools"] for row in manager.source_status()}
            rows = [s.info() for s in _mcp_sources(manager, None)]
            for row in rows:
                row["tools"] = counts.get(row["name"], row["tools"])
            return rows

    rows: list[dict[str, Any]] = _run(work())
    if json_out:
        _emit_json(rows)
        return
    if not rows:
        print("no MCP servers configured (add them under mcpServers in cipher.yml)")
        return
    for row in rows:
        print(
            f"{row['name']:<20} {row['type']:<16} {row['state']:<8} {row['tools']:>3} tools  {row['target']}"
        )
        if row["error"]:
            print(f"{'':<20} error: {row['error']}")
        for tool, why in row.get("not_offered", {}).items():
            print(f"{'':<20} {tool}: not offered: {why}")
        if row["log"] and row["state"] != "up":
            print(f"{'':<20} stderr log: {row['log']}")
    if any(r["state"] != "up" for r in rows):
        raise typer.Exit(1)


def _listing(
    config: Path | None, server: str | None, fetch: Callable[[McpToolSource], Awaitable[list[dict[str, Any]]]]
) -> list[dict[str, Any]]:
    """Rows from every running server (or ``server``), plus one error row per server that is down."""
    from agentcore.cli.tools_cmd import open_tools

    async def work() -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        async with open_tools(config) as manager:
            for source in _mcp_sources(manager, server):
                if source.state != "up":
                    out.append({"server": source.name, "error": source.error})
                else:
                    out.extend(await fetch(source))
        return out

    rows: list[dict[str, Any]] = _run(work())
    return rows


def _print_rows(
    rows: list[dict[str, Any]], json_out: bool, what: str, line: Callable[[dict[str, Any]], str]
) -> None:
    if json_out:
        _emit_json(rows)
        return
    for row in rows:
        print(f"{row['server']}: down ({row['error']})" if "error" in row else line(row))
    if not rows:
        print(f"(no {what})")


@mcp_app.command("resources")
def resources(server: _Server = None, config: ConfigOpt = None, json_out: _Json = False) -> None:
    """List the resources the servers offer (read one in chat with /resource SERVER URI)."""

    async def fetch(source: McpToolSource) -> list[dict[str, Any]]:
        return [
            {
                "server": r.server,
                "uri": r.uri,
                "name": r.name,
                "description": r.description,
                "mime_type": r.mime_type,
            }
            for r in await source.list_resources()
        ]

    _print_rows(
        _listing(config, server, fetch),
        json_out,
        "resources",
        lambda row: f"{row['server']:<16} {row['uri']:<36} {row['description'] or row['name']}",
    )


@mcp_app.command("prompts")
def prompts(server: _Server = None, config: ConfigOpt = None, json_out: _Json = False) -> None:
    """List the prompts the servers offer (run one in chat with /prompt SERVER NAME k=v ...)."""

    async def fetch(source: McpToolSource) -> list[dict[str, Any]]:
        return [
            {
                "server": p.server,
                "name": p.name,
                "description": p.description,
                "arguments": [{"name": n, "required": r} for n, r in p.arguments],
            }
            for p in await source.list_prompts()
        ]

    def line(row: dict[str, Any]) -> str:
        args = " ".join(a["name"] if a["required"] else f"[{a['name']}]" for a in row["arguments"])
        return f"{row['server']:<16} {row['name']:<20} {args:<24} {row['description']}"

    _print_rows(_listing(config, server, fetch), json_out, "prompts", line)


@mcp_app.command("import")
def import_servers(
    file: Annotated[Path, typer.Argument(help="Claude Desktop / Cursor / VS Code JSON with mcpServers")],
    merge: Annotated[
        bool, typer.Option("--merge", help="add the servers to the config file instead of printing them")
    ] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="with --merge: overwrite servers of the same name")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Convert a Claude Desktop / Cursor mcpServers file to cipher.yml entries (printed, or merged with --merge)."""
    from agentcore.tools.mcp.importer import entries_yaml, merge_into_config, read_servers_file

    with user_errors():
        entries, notes = read_servers_file(file)
        for note in notes:
            typer.echo(f"note: {note}", err=True)
        if not entries:
            fail(f"no servers to import in {file}", 1)
        if not merge:
            sys.stdout.write(entries_yaml(entries))
            return
        from agentcore.config.loader import find_config
        from agentcore.tools.mcp.importer import check_merged

        target = find_config(config)
        merged = merge_into_config(target.read_text(encoding="utf-8"), entries, replace=replace)
        check_merged(merged, entries, str(target))  # never write a config that would not load
        target.write_text(merged, encoding="utf-8")
    typer.echo(f"added {len(entries)} MCP server(s) to {target}: {', '.join(entries)}", err=True)
