"""The ``agentcore`` command. Heavy modules (SDKs, pydantic models) are imported inside commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agentcore import __version__

app = typer.Typer(
    name="agentcore",
    help="An LLM tool-calling agent with memory, MCP tools and call accounting.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="cipher.yml to use (default: $AGENTCORE_CONFIG, ./cipher.yml)"),
]
ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="override llm.model")]
ProviderOpt = Annotated[str | None, typer.Option("--provider", "-p", help="override llm.provider")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"agentcore {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="print the version and exit"),
    ] = False,
) -> None:
    """agentcore: run an LLM agent with tools from cipher.yml."""


@app.command()
def run(
    prompt: Annotated[
        str | None, typer.Argument(help="the prompt; '-' or piped stdin reads it from standard input")
    ] = None,
    config: ConfigOpt = None,
    model: ModelOpt = None,
    provider: ProviderOpt = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="print answer, tool calls, iterations and usage as JSON")
    ] = False,
    image: Annotated[Path | None, typer.Option("--image", help="attach an image file to the prompt")] = None,
) -> None:
    """Run one prompt through the agent and print the answer."""
    from agentcore.cli._common import overrides, read_prompt
    from agentcore.cli.run_cmd import run_once

    text = read_prompt(prompt)
    code = run_once(config, overrides(model, provider), text, json_out=json_out, image=image)
    if code:
        raise typer.Exit(code)


@app.command()
def chat(
    config: ConfigOpt = None,
    model: ModelOpt = None,
    provider: ProviderOpt = None,
) -> None:
    """Chat with the agent interactively (/help lists the commands)."""
    from agentcore.cli._common import overrides
    from agentcore.cli.chat_cmd import chat_loop

    chat_loop(config, overrides(model, provider))


# Sub-command groups: (name, "module:typer_app"). Their modules must import cheaply (heavy imports
# go inside the command functions) because --help builds them all.
SUBCOMMANDS: tuple[tuple[str, str], ...] = (("config", "agentcore.cli.config_cmd:config_app"),)


def _mount_subcommands() -> None:
    from importlib import import_module

    for name, target in SUBCOMMANDS:
        module, _, attr = target.partition(":")
        app.add_typer(getattr(import_module(module), attr), name=name)


_mount_subcommands()


def main() -> None:
    """Console-script entry point."""
    app()
