"""``agentcore models [NAME]``: the model catalog, the user's ``models:`` entries, and what was learned
at run time (e.g. "this server has no native tool calling")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentcore.cli._common import ConfigOpt
from agentcore.cli.app import app

if TYPE_CHECKING:
    from agentcore.config.schema import AgentConfig
    from agentcore.models import Catalog, ModelInfo
    from agentcore.storage.capabilities import LearnedCapability


@app.command()
def models(
    name: Annotated[
        str | None, typer.Argument(help="a model name or models: entry: show everything known about it")
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option("--provider", help="the model's provider (default: the entry's or the config's)"),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
    config: ConfigOpt = None,
) -> None:
    """List the model catalog (window, output limit, tokenizer, prices, image/audio input, tools); with NAME, all
    that is known about one model, including your models: entry and what was learned at run time."""
    from agentcore.cli._common import user_errors

    with user_errors():
        loaded = _load(config)
    from agentcore.models import catalog_for

    catalog = catalog_for(loaded)
    learned = _learned(loaded)
    if name is None:
        _list(catalog, learned, json_out=json_out)
        return
    configured = loaded.llm.provider if loaded is not None else None
    entry = catalog.user_entry(name)
    info = catalog.lookup(name, provider or (entry.provider if entry else None) or configured)
    mine = [fact for fact in learned if fact.model.lower() in (name.lower(), info.model.lower())]
    if json_out:
        _echo_json(
            {**info.as_dict(), "user_entry": entry.name if entry else None, "learned": _learned_json(mine)}
        )
        return
    _print_one(info, entry.name if entry else None, mine)


def _load(config: Any) -> AgentConfig | None:
    from agentcore.config.loader import load_config
    from agentcore.errors import ConfigNotFound

    try:
        return load_config(config)
    except ConfigNotFound:
        if config is not None:
            raise
        return None


def _learned(config: AgentConfig | None) -> list[LearnedCapability]:
    """What ``auto`` learned, from the configured database (nothing when it cannot be read)."""
    import asyncio

    from agentcore.storage.capabilities import learned_capabilities
    from agentcore.storage.db import release, resolve_url

    url = resolve_url(config.storage.url if config is not None else None)
    if url.startswith("memory"):
        return []

    async def read() -> list[LearnedCapability]:
        try:
            return await learned_capabilities(url)
        finally:
            await release(url)

    try:
        return asyncio.run(read())
    except Exception as exc:
        typer.echo(f"(learned capabilities not read: {type(exc).__name__})", err=True)
        return []


def _yes(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def _tokens(value: int | None) -> str:
    return "unknown" if value is None else f"{value:,}"


def _learned_json(facts: list[LearnedCapability]) -> list[dict[str, Any]]:
    return [
        {
            "provider": f.provider,
            "base_url": f.base_url or None,
            "model": f.model,
            "native_tools": f.native_tools,
            "learned_at": f.learned_at.isoformat(),
            "detail": f.detail,
        }
        for f in facts
    ]


def _family_rows(catalog: Catalog) -> list[dict[str, Any]]:
    from agentcore.models.catalog import FACTS

    rows: list[dict[str, Any]] = []
    for fam in catalog.families():
        row: dict[str, Any] = {"family": fam.name, "pattern": fam.pattern.pattern, "maker": fam.maker}
        for fact in FACTS:
            value = getattr(fam, fact)
            row[fact] = value[0] if fact == "tokenizer" and value is not None else value
        rows.append(row)
    return rows


def _list(catalog: Catalog, learned: list[LearnedCapability], *, json_out: bool) -> None:
    users: list[dict[str, Any]] = [
        {"entry": e.name, **catalog.lookup(e.model, e.provider).as_dict()} for e in catalog.entries
    ]
    if json_out:
        _echo_json({"families": _family_rows(catalog), "user": users, "learned": _learned_json(learned)})
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    heads = ("family", "matches", "window", "max out", "tokenizer", "images", "audio", "tools", "structured")
    table = Table(
        title="Model families, most specific first (a blank: not stated here - a broader family below, else unknown)"
    )
    for head in heads:
        table.add_column(head)
    for row in _family_rows(catalog):
        cells = [row["family"], row["pattern"]]
        cells += [
            ""
            if row[f] is None
            else (f"{row[f]:,}" if isinstance(row[f], int) and not isinstance(row[f], bool) else str(row[f]))
            for f in ("window", "max_output", "tokenizer")
        ]
        cells += [
            "" if row[f] is None else _yes(row[f])
            for f in ("images", "audio", "native_tools", "structured_output")
        ]
        table.add_row(*(escape(c) for c in cells))
    console.print(table)
    if users:
        mine = Table(title="Your models: entries (cipher.yml)")
        for head in (
            "entry",
            "model",
            "window",
            "max out",
            "tokenizer",
            "images",
            "audio",
            "tools",
            "price in/out",
        ):
            mine.add_column(head)
        for u in users:
            price = u["price"]
            mine.add_row(
                *(
                    escape(str(c))
                    for c in (
                        u["entry"],
                        u["model"],
                        _tokens(u["window"]),
                        _tokens(u["max_output"]),
                        u["tokenizer"],
                        _yes(u["images"]),
                        _yes(u["audio"]),
                        _yes(u["native_tools"]),
                        "unpriced" if price is None else f"{price['input']:g} / {price['output']:g}",
                    )
                )
            )
        console.print(mine)
    _print_learned(learned)
    typer.echo("Prices: agentcore pricing. One model: agentcore models NAME.")


def _print_learned(learned: list[LearnedCapability]) -> None:
    if not learned:
        return
    typer.echo("Learned at run time:")
    for f in learned:
        where = f"{f.provider} at {f.base_url}" if f.base_url else f.provider
        tools = (
            "prompt-based tool calling (no native tools)"
            if f.native_tools is False
            else f"native tools: {_yes(f.native_tools)}"
        )
        typer.echo(f"  {f.model} ({where}): {tools}, since {f.learned_at:%Y-%m-%d %H:%M}")


def _print_one(info: ModelInfo, entry: str | None, learned: list[LearnedCapability]) -> None:
    src = info.sources
    family = info.family or "no known family"
    typer.echo(f"{info.model}" + (f" (provider {info.provider})" if info.provider else "") + f": {family}")
    if entry is not None:
        typer.echo(f"  your entry: models.{entry}")

    def line(label: str, value: str, fact: str) -> None:
        origin = src.get(fact)
        typer.echo(f"  {label:<18}{value}" + (f"  [{origin}]" if origin else ""))

    line("context window", _tokens(info.window), "window")
    line("max output", _tokens(info.max_output), "max_output")
    line("tokenizer", info.tokenizer.describe(), "tokenizer")
    line("image input", _yes(info.images), "images")
    line("audio input", _yes(info.audio), "audio")
    line("native tools", _yes(info.native_tools), "native_tools")
    line("structured output", _yes(info.structured_output), "structured_output")
    if info.price is None:
        line("price", "unpriced (cost logged as unknown)", "price")
    else:
        p = info.price.as_dict()
        line(
            "price",
            f"input ${p['input']:g} · output ${p['output']:g} · cached ${p['cached_input']:g} per 1M",
            "price",
        )
        typer.echo(f"  {'price source':<18}{info.price.source}")
    _print_learned(learned)


def _echo_json(data: object) -> None:
    import json

    typer.echo(json.dumps(data, indent=2, default=str))


__all__ = ["models"]
