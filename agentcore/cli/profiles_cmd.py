"""``agentcore profiles``: each profile, its targets and their live state from the call log
(healthy or cooling down until when, the last error, the recent median latency)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentcore.cli._common import ConfigOpt
from agentcore.cli.app import app

if TYPE_CHECKING:
    from agentcore.config.schema import AgentConfig

#: how far back the call log is read for the live state
WINDOW = timedelta(hours=1)


def describe_profiles(config: AgentConfig) -> list[dict[str, Any]]:
    """Every profile with its strategy and targets (no secrets, no live state)."""
    from agentcore.llm.factory import LLM_PROFILE, resolve_targets

    result: list[dict[str, Any]] = []
    default = config.default_profile or LLM_PROFILE
    for name in (
        [LLM_PROFILE, *config.profiles] if LLM_PROFILE not in config.profiles else list(config.profiles)
    ):
        spec = config.profiles.get(name)
        targets = resolve_targets(config, name)
        result.append(
            {
                "name": name,
                "default": name == default,
                "strategy": spec.strategy if spec else "single",
                "cooldown": spec.cooldown if spec else None,
                "targets": [
                    {"name": t, "provider": llm.provider, "model": llm.model, "baseURL": llm.base_url}
                    for t, llm in targets
                ],
            }
        )
    return result


async def _live(url: str) -> dict[tuple[str, str], list[Any]]:
    from agentcore.tracing.query import _select  # pyright: ignore[reportPrivateUsage]
    from agentcore.tracing.writer import utcnow

    since = utcnow() - WINDOW
    rows = await _select(
        url,
        [lambda t: t.c.created_at >= since],
        "provider",
        "model",
        "status",
        "latency_ms",
        "error_message",
        "created_at",
    )
    by_target: dict[tuple[str, str], list[Any]] = {}
    for row in sorted(rows, key=lambda r: r.created_at):
        by_target.setdefault((row.provider, row.model), []).append(row)
    return by_target


def live_state(rows: list[Any], cooldown: float | None) -> dict[str, Any]:
    """Healthy / cooling down until, last error and p50 latency from a target's recent rows."""
    from agentcore.llm.router.state import cooldown_for
    from agentcore.tracing.query import percentile
    from agentcore.tracing.writer import utcnow

    latencies = [r.latency_ms for r in rows if r.status == "success" and r.latency_ms is not None][-100:]
    errors = [r for r in rows if r.status == "error"]
    failing = 0
    for row in reversed(rows):
        if row.status != "error":
            break
        failing += 1
    state = "healthy"
    until: str | None = None
    if failing and cooldown:
        end = rows[-1].created_at + timedelta(seconds=cooldown_for(failing, cooldown, None))
        if end > utcnow():
            state, until = "cooling", end.isoformat(timespec="seconds") + "Z"
    return {
        "state": state,
        "coolingUntil": until,
        "lastError": errors[-1].error_message if errors else None,
        "p50LatencyMs": percentile(latencies, 50),
        "recentCalls": len(rows),
    }


@app.command()
def profiles(
    config: ConfigOpt = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="print profiles, targets and state as JSON")
    ] = False,
) -> None:
    """List the profiles, their targets and each target's live state (from the last hour's call log)."""
    import asyncio
    import json

    from agentcore.cli._common import user_errors
    from agentcore.config.loader import load_config
    from agentcore.storage.db import resolve_url

    with user_errors():
        loaded = load_config(config)
        listing = describe_profiles(loaded)
        try:
            live = asyncio.run(_live(resolve_url(loaded.storage.url)))
        except Exception:  # no call log yet (or storage off): show the profiles without live state
            live = {}
    for profile in listing:
        for target in profile["targets"]:
            rows = live.get((target["provider"], target["model"]), [])
            target.update(live_state(rows, profile["cooldown"] or 5.0))
    if json_out:
        typer.echo(json.dumps(listing, ensure_ascii=False, indent=2))
        return
    for profile in listing:
        mark = " (default)" if profile["default"] else ""
        typer.echo(f"{profile['name']}{mark} · {profile['strategy']}")
        for t in profile["targets"]:
            state = t["state"] + (f" until {t['coolingUntil']}" if t["coolingUntil"] else "")
            p50 = f"p50 {t['p50LatencyMs']:.0f} ms" if t["p50LatencyMs"] is not None else "no recent calls"
            error = f" · last error: {t['lastError'][:80]}" if t["lastError"] else ""
            where = f"{t['provider']}/{t['model']}"
            typer.echo(f"  {t['name']:<24} {where:<36} {state:<10} {p50}{error}")
