"""``agentcore usage``: requests, tokens, cost, errors and latency from the call log."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from agentcore.cli._common import ConfigOpt
from agentcore.cli.app import app

DbOpt = Annotated[
    str | None, typer.Option("--db", help="database URL (default: storage.url, then ~/.agentcore)")
]


@app.command()
def usage(
    by: Annotated[str, typer.Option("--by", help="group by model, module, user, day or session")] = "model",
    since: Annotated[
        str | None, typer.Option("--since", help="only calls this recent: 30m, 12h, 7d, 2w")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the groups as JSON")] = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Show LLM usage and cost from the call log."""
    from agentcore.cli._calllog import calllog_url
    from agentcore.cli._common import fail, user_errors

    with user_errors():
        url = calllog_url(config, db)
        try:
            import asyncio

            groups = asyncio.run(_groups(url, by, since))
        except ValueError as exc:
            fail(str(exc), 2)
    if json_out:
        import json

        typer.echo(json.dumps(groups, indent=2, default=str))
        return
    if not groups:
        typer.echo("no LLM calls recorded" + (f" in the last {since}" if since else ""))
        return
    _print_table(groups, by)


async def _groups(url: str, by: str, since: str | None) -> list[dict[str, Any]]:
    from agentcore.storage.db import dispose_engines
    from agentcore.tracing.query import usage_by

    try:
        return await usage_by(url, by, since)
    finally:
        await dispose_engines()


def _cost(value: float | None, unpriced: int) -> str:
    from agentcore.cli._calllog import format_usd

    if value is None:
        return "unknown"
    return format_usd(value) + ("*" if unpriced else "")


def _print_table(groups: list[dict[str, Any]], by: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"LLM usage by {by}")
    for name in (
        by,
        "requests",
        "errors",
        "prompt",
        "completion",
        "cached",
        "reasoning",
        "cost",
        "p50 ms",
        "p95 ms",
    ):
        table.add_column(name, justify="left" if name == by else "right")
    for g in groups:
        table.add_row(
            str(g[by]),
            str(g["requests"]),
            str(g["errors"]),
            f"{g['prompt_tokens']:,}",
            f"{g['completion_tokens']:,}",
            f"{g['cached_tokens']:,}",
            f"{g['reasoning_tokens']:,}",
            _cost(g["cost_usd"], g["unpriced_requests"]),
            _ms(g["p50_latency_ms"]),
            _ms(g["p95_latency_ms"]),
        )
    console = Console()
    if not console.is_terminal:  # piped: do not squeeze the table into 80 columns
        console = Console(width=160)
    console.print(table)
    if any(g["unpriced_requests"] for g in groups):
        console.print("* some calls used a model with no known price (add it under pricing: in cipher.yml)")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


__all__ = ["DbOpt", "usage"]
