"""``agentcore trace``: the tree of LLM calls and tool calls of one run."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from agentcore.cli._common import ConfigOpt
from agentcore.cli.app import app
from agentcore.cli.usage_cmd import DbOpt


@app.command()
def trace(
    trace_id: Annotated[
        str | None, typer.Argument(help="the trace id (see the trace_id of a call-log row)")
    ] = None,
    last: Annotated[bool, typer.Option("--last", help="the most recent run")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print the tree as JSON")] = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Show one run: its LLM calls and tool calls with timings and tokens."""
    from agentcore.cli._calllog import calllog_url
    from agentcore.cli._common import fail, user_errors

    if (trace_id is None) == (not last):
        fail("give a TRACE_ID or --last", 2)
    with user_errors():
        url = calllog_url(config, db)
        import asyncio

        found, tree = asyncio.run(_load(url, trace_id))
    if found is None:
        fail("no traced runs recorded yet" if last else f"no trace {trace_id}", 1)
    if json_out:
        import json

        typer.echo(json.dumps({"trace_id": found, "tree": tree}, indent=2, default=str))
        return
    _print_tree(found, tree)


async def _load(url: str, trace_id: str | None) -> tuple[str | None, list[dict[str, Any]]]:
    from agentcore.storage.db import dispose_engines
    from agentcore.tracing.query import last_trace_id, trace_tree

    try:
        found = trace_id or await last_trace_id(url)
        if found is None:
            return None, []
        tree = await trace_tree(url, found)
        return (found if tree else None), tree
    finally:
        await dispose_engines()


def _label(node: dict[str, Any]) -> str:
    from agentcore.cli._calllog import format_usd

    ms = f"{node['latency_ms']:,.0f} ms"
    status = "" if node["status"] == "success" else f" [{node['status']}]"
    if node["kind"] == "llm":
        ttft = node.get("time_to_first_token_ms")
        if node["usage_reported"]:
            tokens = f"{node['prompt_tokens']:,} in / {node['completion_tokens']:,} out"
            if node["cached_tokens"]:
                tokens += f" ({node['cached_tokens']:,} cached)"
            if node["cache_write_tokens"]:
                tokens += f" ({node['cache_write_tokens']:,} cache write)"
        else:
            tokens = "usage not reported"
        cost = " cost unknown" if node["cost_usd"] is None else " " + format_usd(node["cost_usd"])
        if node.get("error_kind"):
            status = f" [{node['status']}: {node['error_kind']}]"
        extra = f", first token {ttft:,.0f} ms" if ttft is not None else ""
        attempt = f" attempt {node['attempt']}" if node["attempt"] > 1 else ""
        error = f" {node['error']}" if node.get("error") else ""
        purpose = "" if node["purpose"] == "turn" else f" ({node['purpose']})"
        return f"LLM {node['name']}{purpose}{attempt} · {ms}{extra} · {tokens}{cost}{status}{error}"
    if node["kind"] == "tool":
        return f"tool {node['name']} · {ms}{status}"
    session = f" session {node['session_id']}" if node.get("session_id") else ""
    return f"run{session} · {ms}{status}"


def _print_tree(trace_id: str, roots: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.tree import Tree

    top = Tree(f"trace {trace_id}")

    def add(parent: Tree, node: dict[str, Any]) -> None:
        # Escaped: "[error]" and error messages would otherwise be read as rich markup and vanish.
        branch = parent.add(escape(_label(node)))
        for child in node["children"]:
            add(branch, child)

    for root in roots:
        add(top, root)
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    console.print(top)
