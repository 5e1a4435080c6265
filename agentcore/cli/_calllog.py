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
