"""``agentcore cache``: what the response cache holds and saved, and clearing it."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentcore.cli._common import fail, user_errors

if TYPE_CHECKING:
    from agentcore.config.schema import AgentConfig
    from agentcore.llm.cache.backends import CacheStats

cache_app = typer.Typer(help="The response cache (cache: in cipher.yml).", no_args_is_help=True)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="cipher.yml whose cache: block to use (default: the usual lookup)"),
]
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_age(text: str) -> float:
    """Seconds in ``7d``, ``12h``, ``30m``, ``90s`` or ``2w``."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text)
    if match is None:
        fail(f"--older-than: '{text}' is not an age; write it like 7d, 12h, 30m, 90s or 2w", 2)
    return float(match.group(1)) * _UNITS[match.group(2)]


def _run(config: Path | None, work: str, older_than: float | None = None) -> Any:
    import asyncio

    async def main() -> Any:
        from agentcore.config.loader import load_config
        from agentcore.llm.cache import open_backend
        from agentcore.llm.cache.client import ResponseCache
        from agentcore.storage.db import dispose_engines

        cfg = load_config(config)
        cache = ResponseCache(open_backend(cfg), cfg.cache)
        try:
            if work == "stats":
                return cfg, await cache.stats()
            return cfg, await cache.clear(older_than)
        finally:
            await cache.aclose()
            await dispose_engines()

    with user_errors():
        return asyncio.run(main())


def stats_data(config: AgentConfig, stats: CacheStats) -> dict[str, Any]:
    """The stats with the money saved, priced like the call log prices calls."""
    from agentcore.messages import Usage
    from agentcore.tracing.pricing import PriceTable

    prices = PriceTable.from_config(config.pricing)
    models: list[dict[str, Any]] = []
    saved_total = 0.0
    for row in stats.models:
        saved = prices.cost(
            row.provider, row.model, Usage(row.saved_prompt_tokens, row.saved_completion_tokens)
        )
        saved_total += saved or 0.0
        models.append(
            {
                "provider": row.provider,
                "model": row.model,
                "entries": row.entries,
                "hits": row.hits,
                "saved_prompt_tokens": row.saved_prompt_tokens,
                "saved_completion_tokens": row.saved_completion_tokens,
                "saved_usd": saved,
            }
        )
    return {
        "backend": stats.backend,
        "enabled": config.cache.enabled,
        "scope": config.cache.scope,
        "ttl_s": config.cache.ttl,
        "entries": stats.entries,
        "hits": stats.hits,
        "saved_usd": round(saved_total, 6),
        "models": models,
    }


@cache_app.command("stats")
def stats(
    config: ConfigOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Entries, hits and what the hits saved (tokens and dollars), per model."""
    cfg, found = _run(config, "stats")
    data = stats_data(cfg, found)
    if json_out:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    state = "on" if data["enabled"] else "off (cache.enabled: false)"
    lines = [
        f"cache: {state}, backend {data['backend']}, scope {data['scope']}, ttl {data['ttl_s']:g}s",
        f"entries {data['entries']}, hits {data['hits']}, saved ${data['saved_usd']:.4f}",
    ]
    for row in data["models"]:
        usd = "unpriced" if row["saved_usd"] is None else f"${row['saved_usd']:.4f}"
        lines.append(
            f"  {row['provider']}/{row['model']}: {row['entries']} entries, {row['hits']} hits, saved "
            f"{row['saved_prompt_tokens']}+{row['saved_completion_tokens']} tokens ({usd})"
        )
    sys.stdout.write("\n".join(lines) + "\n")


@cache_app.command("clear")
def clear(
    config: ConfigOpt = None,
    older_than: Annotated[
        str | None,
        typer.Option("--older-than", help="only entries stored longer ago than this (7d, 12h, 30m)"),
    ] = None,
) -> None:
    """Drop cached answers (all of them, or those older than --older-than)."""
    age = parse_age(older_than) if older_than is not None else None
    _, removed = _run(config, "clear", age)
    sys.stdout.write(f"removed {removed} cached answer{'s' if removed != 1 else ''}\n")
