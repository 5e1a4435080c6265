"""``agentcore providers test NAME``: try an HTTP provider described in cipher.yml."""

from __future__ import annotations

from typing import Annotated

import typer

from agentcore.cli._common import ConfigOpt

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
    from agentcore.llm.providers.http.probe import find_http, probe

    with user_errors():
        llm = find_http(load_config(config), name)
        lines, ok = asyncio.run(probe(llm, prompt=prompt, stream=stream, user=user))
    for line in lines:
        typer.echo(line)
    if not ok:
        raise typer.Exit(1)
