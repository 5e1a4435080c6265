"""``agentcore pricing [MODEL]``: the prices the call log uses, their dates and where they came from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentcore.cli._common import ConfigOpt
from agentcore.cli.app import app

if TYPE_CHECKING:
    from agentcore.tracing.pricing import Price, PriceTable


@app.command()
def pricing(
    model: Annotated[str | None, typer.Argument(help="a model name: show how it is priced")] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="the model's provider (default: the config's)")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
    config: ConfigOpt = None,
) -> None:
    """List known model prices (USD per million tokens) with their source dates; exit 1 for an unpriced MODEL."""
    from agentcore.cli._common import user_errors

    with user_errors():
        table, configured = _table(config)
    if model is None:
        entries = [
            {"model": name, **price.as_dict(), "origin": origin} for name, price, origin in table.entries()
        ]
        if json_out:
            _echo_json(entries)
        else:
            _print_table(table)
        return
    found = table.match(provider or configured or "", model)
    if json_out:
        _echo_json(
            {"model": model, "priced": False}
            if found is None
            else {
                "model": model,
                "priced": True,
                "entry": found.key,
                "origin": found.origin,
                **found.price.as_dict(),
            }
        )
    elif found is None:
        typer.echo(
            f"{model}: unpriced - no exact entry, dated snapshot or alias of a known model; its cost is "
            "logged as unknown. Add it under pricing: in cipher.yml (input, output, cachedInput, cacheWrite)."
        )
    else:
        typer.echo(f"{model}: priced as {found.key} ({_origin(found.origin)})")
        typer.echo(_describe(found.price))
    if found is None:
        raise typer.Exit(1)


def _table(config: Any) -> tuple[PriceTable, str | None]:
    from agentcore.config.loader import load_config
    from agentcore.errors import ConfigNotFound
    from agentcore.tracing.pricing import PriceTable
    from agentcore.tracing.setup import price_table

    try:
        loaded = load_config(config)
    except ConfigNotFound:
        if config is not None:
            raise
        return PriceTable(), None
    return price_table(loaded), loaded.llm.provider


def _origin(origin: str) -> str:
    return "built-in list price" if origin == "builtin" else origin


def _describe(price: Price) -> str:
    data = price.as_dict()
    text = (
        f"  input ${data['input']:g} · output ${data['output']:g} · cached input ${data['cached_input']:g}"
        f" · cache write ${data['cache_write']:g} (1h ${data['cache_write_1h']:g})"
        f" · reasoning ${data['reasoning']:g} per 1M tokens"
    )
    if price.long_context is not None:
        above, long = price.long_context
        text += f"\n  prompts above {above:,} tokens: input ${long.input:g} · output ${long.output:g}"
    return text + f"\n  source: {price.source}"


def _print_table(table: PriceTable) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    out = Table(title="Model prices, USD per 1M tokens (unlisted models are unpriced)")
    for name in ("model", "input", "output", "cached", "cache write", "source"):
        out.add_column(name, justify="left" if name in ("model", "source") else "right")
    for name, price, origin in table.entries():
        data = price.as_dict()
        out.add_row(
            escape(name),
            f"{data['input']:g}",
            f"{data['output']:g}",
            f"{data['cached_input']:g}",
            f"{data['cache_write']:g}",
            escape(price.source if origin == "builtin" else origin),
        )
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    console.print(out)


def _echo_json(data: object) -> None:
    import json

    typer.echo(json.dumps(data, indent=2))


__all__ = ["pricing"]
