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
        from agentcore.storage.db import dispose_engines, resolve_url
        from agentcore.tracing.query import usage_by

        cfg = load_config(config)
        cache = ResponseCache(open_backend(cfg), cfg.cache)
        try:
            if work == "stats":
                # Hits and savings are read from the call log, as `agentcore usage` reads them.
                return cfg, await cache.stats(), await usage_by(resolve_url(cfg.storage.url), "model")
            return cfg, await cache.clear(older_than)
        finally:
            await cache.aclose()
            await dispose_engines()

    with user_errors():
        return asyncio.run(main())


# The per-model figures that add up to the totals (saved_usd is derived: null-aware).
_SUMMED = (
    "hits",
    "saved_tokens",
    "saved_prompt_tokens",
    "saved_completion_tokens",
    "saved_usd_priced",
    "unpriced_hits",
)


def stats_data(config: AgentConfig, stats: CacheStats, usage: list[dict[str, Any]]) -> dict[str, Any]:
    """The cache's live entries (from its backend) with the hits and what they saved (tokens and
    dollars) from the call log: the figures of ``agentcore usage --by model``, one source of truth."""
    entries = {f"{m.provider}/{m.model}": m.entries for m in stats.models}
    saved_by = {str(g["model"]): g for g in usage if g["cache_hits"]}
    models: list[dict[str, Any]] = []
    for name in sorted(entries.keys() | saved_by.keys()):
        group = saved_by.get(name, {})
        provider, _, model = name.partition("/")
        models.append(
            {
                "provider": provider,
                "model": model,
                "entries": entries.get(name, 0),
                **_saved(group),
            }
        )
    total = _saved({})
    for row in models:
        for key in _SUMMED:
            total[key] += row[key]
    total["saved_usd_priced"] = round(total["saved_usd_priced"], 10)
    total["saved_usd"] = total["saved_usd_priced"] if not total["unpriced_hits"] else None
    return {
        "backend": stats.backend,
        "enabled": config.cache.enabled,
        "scope": config.cache.scope,
        "ttl_s": config.cache.ttl,
        "entries": stats.entries,
        **total,
        "models": models,
    }


def _saved(group: dict[str, Any]) -> dict[str, Any]:
    return {
        "hits": int(group.get("cache_hits", 0)),
        "saved_tokens": int(group.get("cache_saved_tokens", 0)),
        "saved_prompt_tokens": int(group.get("cache_saved_prompt_tokens", 0)),
        "saved_completion_tokens": int(group.get("cache_saved_completion_tokens", 0)),
        "saved_usd": group.get("cache_saved_usd", 0.0),
        "saved_usd_priced": float(group.get("cache_saved_usd_priced", 0.0)),
        "unpriced_hits": int(group.get("cache_unpriced_hits", 0)),
    }


@cache_app.command("stats")
def stats(
    config: ConfigOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Entries, hits and what the hits saved (tokens and dollars, from the call log), per model."""
    cfg, found, usage = _run(config, "stats")
    data = stats_data(cfg, found, usage)
    if json_out:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    state = "on" if data["enabled"] else "off (cache.enabled: false)"
    lines = [
        f"cache: {state}, backend {data['backend']}, scope {data['scope']}, ttl {data['ttl_s']:g}s",
        f"entries {data['entries']}, hits {data['hits']}, saved {data['saved_tokens']:,} tokens, "
        f"{_usd(data)}",
    ]
    for row in data["models"]:
        lines.append(
            f"  {row['provider']}/{row['model']}: {row['entries']} entries, {row['hits']} hits, saved "
            f"{row['saved_tokens']:,} tokens, {_usd(row)}"
        )
    sys.stdout.write("\n".join(lines) + "\n")


def _usd(figures: dict[str, Any]) -> str:
    from agentcore.cli._calllog import format_saved, format_usd

    if not figures["hits"]:
        return format_usd(0.0)
    return format_saved(
        {
            "cache_hits": figures["hits"],
            "cache_saved_usd": figures["saved_usd"],
            "cache_saved_usd_priced": figures["saved_usd_priced"],
            "cache_unpriced_hits": figures["unpriced_hits"],
        }
    )


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
