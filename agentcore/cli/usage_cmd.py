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
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="group by model, module, user, day, session, agent, profile, target or key (the gateway API key)",
        ),
    ] = "model",
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


def _print_table(groups: list[dict[str, Any]], by: str) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from agentcore.cli._calllog import format_cost, format_saved, format_unreported, plural

    unreported = sum(int(g["unreported_requests"]) for g in groups)
    unpriced = sum(int(g["unpriced_requests"]) for g in groups)
    hits = sum(int(g["cache_hits"]) for g in groups)
    table = Table(title=f"LLM usage by {by}")
    names = [by, "requests", "errors", "prompt", "completion", "cached", "cache write", "reasoning"]
    names += ["no usage"] if unreported else []
    names += ["cost"]
    names += ["cache hits", "saved tokens", "saved"] if hits else []
    names += ["p50 ms", "p95 ms"]
    for name in names:
        table.add_column(name, justify="left" if name == by else "right")
    for g in groups:
        cells = [
            escape(str(g[by])),
            str(g["requests"]),
            str(g["errors"]),
            f"{g['prompt_tokens']:,}",
            f"{g['completion_tokens']:,}",
            f"{g['cached_tokens']:,}",
            f"{g['cache_write_tokens']:,}",
            f"{g['reasoning_tokens']:,}",
        ]
        cells += [str(g["unreported_requests"])] if unreported else []
        cells += [escape(format_cost(g))]
        if hits:
            cells += [str(g["cache_hits"]), f"{g['cache_saved_tokens']:,}", escape(format_saved(g))]
        cells += [_ms(g["p50_latency_ms"]), _ms(g["p95_latency_ms"])]
        table.add_row(*cells)
    console = Console()
    if not console.is_terminal:  # piped: do not squeeze the table into 80 columns
        console = Console(width=180)
    console.print(table)
    if unreported:
        note = format_unreported({"unreported_requests": unreported})
        console.print(f"{note}: their tokens are unknown and not in the sums above")
    if unpriced:
        console.print(
            f"{plural(unpriced, 'call')} without a known cost: an unpriced model (add it under pricing: in "
            "cipher.yml; see agentcore pricing), no usage reported, or a failed or cancelled attempt"
        )
    if hits:
        console.print(
            f"{plural(hits, 'call')} answered by the response cache: counted in requests, their tokens "
            "and cost are under saved, not spent"
        )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


__all__ = ["DbOpt", "usage"]
