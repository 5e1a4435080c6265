"""Shared by ``usage`` and ``trace``: which database holds the call log."""

from __future__ import annotations

from pathlib import Path


def calllog_url(config: Path | None, db: str | None) -> str:
    """``--db``, else the config's ``storage.url`` (when a config is found), else the default database."""
    from agentcore.storage.db import resolve_url

    if db:
        return resolve_url(db)
    from agentcore.config.loader import load_config
    from agentcore.errors import ConfigNotFound

    try:
        loaded = load_config(config)
    except ConfigNotFound:
        if config is not None:
            raise
        return resolve_url(None)
    return resolve_url(loaded.storage.url)


def format_usd(value: float) -> str:
    """Dollars with enough decimals that a cheap call does not read as $0.0000."""
    return f"${value:,.4f}" if value >= 0.01 or value == 0 else f"${value:.6f}"


def plural(n: int, word: str) -> str:
    """``1 call``, ``2 calls``."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def format_cost(totals: dict[str, object]) -> str:
    """A group's cost, never a made-up $0: the total when every call is priced, else the priced
    part "+ n unpriced calls" (or "unknown" when no call is priced)."""
    unpriced = int(totals.get("unpriced_requests") or 0)  # pyright: ignore[reportArgumentType]
    cost = totals.get("cost_usd")
    if not unpriced and isinstance(cost, int | float):
        return format_usd(float(cost))
    requests = int(totals.get("requests") or 0)  # pyright: ignore[reportArgumentType]
    priced = totals.get("cost_usd_priced")
    if requests > unpriced and isinstance(priced, int | float):
        return f"{format_usd(float(priced))} + {plural(unpriced, 'unpriced call')}"
    return f"unknown ({plural(unpriced, 'unpriced call')})"


def format_unreported(totals: dict[str, object]) -> str | None:
    """ "usage not reported (n calls)" when some calls came without usage."""
    n = int(totals.get("unreported_requests") or 0)  # pyright: ignore[reportArgumentType]
    return f"usage not reported ({plural(n, 'call')})" if n else None


def format_saved(totals: dict[str, object]) -> str:
    """What a group's cache hits saved, null-aware like ``format_cost``: "-" without hits."""
    hits = int(totals.get("cache_hits") or 0)  # pyright: ignore[reportArgumentType]
    if not hits:
        return "-"
    unpriced = int(totals.get("cache_unpriced_hits") or 0)  # pyright: ignore[reportArgumentType]
    saved = totals.get("cache_saved_usd")
    if not unpriced and isinstance(saved, int | float):
        return format_usd(float(saved))
    priced = totals.get("cache_saved_usd_priced")
    if hits > unpriced and isinstance(priced, int | float):
        return f"{format_usd(float(priced))} + {plural(unpriced, 'unpriced hit')}"
    return f"unknown ({plural(unpriced, 'unpriced hit')})"
