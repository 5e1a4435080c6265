"""``agentcore providers test NAME``: try an HTTP provider described in cipher.yml."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from agentcore.cli._common import ConfigOpt

if TYPE_CHECKING:
    from agentcore.config.schema import LLMConfig

providers_app = typer.Typer(
    help="Try the LLM APIs described in cipher.yml (llm.provider: http).",
    no_args_is_help=True,
    add_completion=False,
)


@providers_app.command("test")
def test(
    name: Annotated[str, typer.Argument(help="the http provider's name (llm.http.name)")],
    config: ConfigOpt = None,
    stream: Annotated[bool, typer.Option("--stream", help="ask for a streamed answer")] = False,
    prompt: Annotated[str, typer.Option("--prompt", help="the tiny request to send")] = "Say OK.",
    user: Annotated[str | None, typer.Option("--user", help="the calling user id (userKeys)")] = None,
) -> None:
    """Send one tiny request and print what each response mapping extracted."""
    import asyncio

    from agentcore.cli._common import user_errors
    from agentcore.config.loader import load_config
    from agentcore.llm.providers.http.probe import find_http

    with user_errors():
        loaded = load_config(config)
        llm = find_http(loaded, name)
        lines, ok = asyncio.run(_probe(llm, loaded.storage.url, prompt, stream, user))
    for line in lines:
        typer.echo(line)
    if not ok:
        raise typer.Exit(1)


async def _probe(
    llm: LLMConfig, storage_url: str | None, prompt: str, stream: bool, user: str | None
) -> tuple[list[str], bool]:
    """``probe``, with serve's keys table lent when the provider reads keys from it (userKeys.table)."""
    from agentcore.llm.providers.http.host import Host
    from agentcore.llm.providers.http.probe import probe

    keys = llm.http.user_keys if llm.http is not None else None
    if keys is None or not keys.table:
        return await probe(llm, prompt=prompt, stream=stream, user=user)
    from agentcore.serve.upstream_keys import UpstreamKeyStore
    from agentcore.storage.db import dispose_engines, resolve_url

    try:
        host = Host(user_keys=UpstreamKeyStore(resolve_url(storage_url)))
        return await probe(llm, prompt=prompt, stream=stream, user=user, host=host)
    finally:
        await dispose_engines()
