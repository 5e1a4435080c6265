"""``agentcore keys``: API keys of the gateway (the secret is printed once; only its hash is stored)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import typer

from agentcore.cli._common import fail, user_errors

if TYPE_CHECKING:
    from agentcore.serve.keys import ApiKey, KeyStore

T = TypeVar("T")

keys_app = typer.Typer(help="API keys of `agentcore serve`.", no_args_is_help=True)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="cipher.yml whose storage.url to use (default: the usual lookup)"),
]
DbOpt = Annotated[str | None, typer.Option("--db", help="database URL (overrides storage.url)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def _run(config: Path | None, db: str | None, work: Callable[[KeyStore], Awaitable[T]]) -> T:
    import asyncio

    async def main() -> T:
        from agentcore.config.loader import load_config
        from agentcore.errors import ConfigNotFound
        from agentcore.serve.keys import KeyStore
        from agentcore.storage.db import dispose_engines, resolve_url

        url = db
        if url is None:
            try:
                url = load_config(config).storage.url
            except ConfigNotFound:
                if config is not None:
                    raise
        try:
            return await work(KeyStore(resolve_url(url)))
        finally:
            await dispose_engines()

    with user_errors():
        return asyncio.run(main())


@keys_app.command("create")
def create(
    user: Annotated[str, typer.Option("--user", help="who the key belongs to (call-log user)")],
    module: Annotated[
        str | None, typer.Option("--module", help="the calling module (call-log module)")
    ] = None,
    models: Annotated[
        list[str] | None, typer.Option("--models", help="models the key may use (repeat or comma-separate)")
    ] = None,
    rpm: Annotated[int | None, typer.Option("--rpm", min=1, help="requests per minute")] = None,
    tpm: Annotated[int | None, typer.Option("--tpm", min=1, help="tokens per minute")] = None,
    budget: Annotated[float | None, typer.Option("--budget", min=0, help="USD per period")] = None,
    per: Annotated[str, typer.Option("--per", help="budget period: day or month")] = "day",
    expires: Annotated[str | None, typer.Option("--expires", help="lifetime, e.g. 30d, 12h, 2w")] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Create a key and print it (once: only its hash is stored)."""
    from agentcore.serve.keys import parse_duration

    if per not in ("day", "month"):
        fail("--per must be 'day' or 'month'", 2)
    period: Literal["day", "month"] = "month" if per == "month" else "day"
    try:
        lifetime = parse_duration(expires) if expires else None
    except ValueError as exc:
        fail(f"--expires: {exc}", 2)
    names = [n.strip() for item in models or [] for n in item.split(",") if n.strip()] or None
    secret, key = _run(
        config,
        db,
        lambda store: store.create(
            user,
            module=module,
            models=names,
            rpm=rpm,
            tpm=tpm,
            budget_usd=budget,
            budget_period=period,
            expires_in=lifetime,
        ),
    )
    if json_out:
        typer.echo(json.dumps({"key": secret, **key.as_dict()}))
        return
    typer.echo(secret)
    typer.echo(f"key {key.id} for user {user}: store it now, it is not shown again", err=True)


@keys_app.command("list")
def list_keys(
    user: Annotated[str | None, typer.Option("--user", help="only this user's keys")] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List keys (never their secrets)."""
    keys = _run(config, db, lambda store: store.list(user=user))
    if json_out:
        typer.echo(json.dumps([k.as_dict() for k in keys]))
        return
    if not keys:
        typer.echo("no keys (agentcore keys create --user NAME)")
        return
    for key in keys:
        typer.echo(_line(key.as_dict()))


def _line(data: dict[str, Any]) -> str:
    state = "revoked" if data["revoked_at"] else "active"
    limits = ", ".join(
        f"{name} {data[field]}"
        for name, field in (("rpm", "rpm"), ("tpm", "tpm"), ("budget $", "budget_usd"))
        if data[field] is not None
    )
    models = ",".join(data["models"]) if data["models"] else "all models"
    parts = [data["id"], state, f"user {data['user']}", f"module {data['module'] or '-'}", models]
    if limits:
        parts.append(limits + (f" per {data['budget_period']}" if data["budget_usd"] is not None else ""))
    if data["expires_at"]:
        parts.append(f"expires {data['expires_at']}")
    return "  ".join(parts)


@keys_app.command("show")
def show(
    key_id: Annotated[str, typer.Argument(help="the key's id (from keys list)")],
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Show one key as JSON (never its secret)."""
    key: ApiKey | None = _run(config, db, lambda store: store.get(key_id))
    if key is None:
        fail(f"no key with id '{key_id}' (agentcore keys list shows them)")
    typer.echo(json.dumps(key.as_dict(), indent=2))


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="the key's id (from keys list)")],
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Revoke a key (servers stop accepting it within serve.keyCacheSeconds)."""
    if not _run(config, db, lambda store: store.revoke(key_id)):
        fail(f"no active key with id '{key_id}'")
    typer.echo(f"revoked {key_id}")


upstream_app = typer.Typer(
    help="Upstream API keys per gateway user (for HTTP providers with userKeys.table).",
    no_args_is_help=True,
)
keys_app.add_typer(upstream_app, name="upstream")
UserOpt = Annotated[str, typer.Option("--user", help="the gateway user (as in keys create --user)")]
ProviderOpt = Annotated[str, typer.Option("--provider", help="the HTTP provider's name (llm.http.name)")]


@upstream_app.command("set")
def upstream_set(user: UserOpt, provider: ProviderOpt, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Store USER's key for PROVIDER, encrypted with $AGENTCORE_KEYS_SECRET (the key is read from
    stdin or a hidden prompt, never from the command line)."""
    from agentcore.serve.upstream_keys import UpstreamKeyStore

    secret = str(typer.prompt("upstream key", hide_input=True)).strip()
    if not secret:
        fail("no key given")
    _run(config, db, lambda store: UpstreamKeyStore(store.url).set(user, provider, secret))
    typer.echo(f"stored the {provider} key of {user}")


@upstream_app.command("remove")
def upstream_remove(user: UserOpt, provider: ProviderOpt, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Forget USER's key for PROVIDER."""
    from agentcore.serve.upstream_keys import UpstreamKeyStore

    if not _run(config, db, lambda store: UpstreamKeyStore(store.url).remove(user, provider)):
        fail(f"{user} has no stored key for {provider}")
    typer.echo(f"removed the {provider} key of {user}")


@upstream_app.command("list")
def upstream_list(user: UserOpt, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """The providers USER has a stored key for (never the keys)."""
    from agentcore.serve.upstream_keys import UpstreamKeyStore

    for name in _run(config, db, lambda store: UpstreamKeyStore(store.url).providers(user)):
        typer.echo(name)
