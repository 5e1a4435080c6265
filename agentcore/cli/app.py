"""The ``agentcore`` command. Heavy modules (SDKs, pydantic models) are imported inside commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agentcore import __version__
from agentcore.cli._common import ConfigOpt

app = typer.Typer(
    name="agentcore",
    help="An LLM tool-calling agent with memory, MCP tools and call accounting.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: loading rich's renderer would double the start-up time
)

ModelOpt = Annotated[
    str | None,
    typer.Option("--model", "-m", help="a one-off model: provider/model, a models: name, or llm.model"),
]
ProviderOpt = Annotated[str | None, typer.Option("--provider", help="override llm.provider")]
SystemOpt = Annotated[
    str | None, typer.Option("--system", help="use this system prompt instead of the config's")
]
ProfileOpt = Annotated[
    str | None, typer.Option("--profile", "-p", help="use this profile (cipher.yml profiles:)")
]


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
    log_json: Annotated[
        Path | None, typer.Option("--log-json", help="also write logs as JSON lines to this file")
    ] = None,
) -> None:
    """agentcore: run an LLM agent with tools from cipher.yml."""
    if log_json is not None:
        import os

        os.environ["AGENTCORE_LOG_JSON"] = str(log_json.expanduser().resolve())  # read by agentcore.logs


@app.command()
def run(
    prompt: Annotated[
        str | None, typer.Argument(help="the prompt; '-' or piped stdin reads it from standard input")
    ] = None,
    config: ConfigOpt = None,
    model: ModelOpt = None,
    provider: ProviderOpt = None,
    profile: ProfileOpt = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="print answer, tool calls, iterations and usage as JSON")
    ] = False,
    image: Annotated[Path | None, typer.Option("--image", help="attach an image file to the prompt")] = None,
    session: Annotated[
        str | None, typer.Option("--session", "-s", help="continue (or create) this named session")
    ] = None,
    cont: Annotated[
        bool, typer.Option("--continue", help="continue the last `agentcore run` session")
    ] = False,
    audio: Annotated[
        Path | None, typer.Option("--audio", help="attach a WAV/MP3 recording (models with audio input)")
    ] = None,
    system: SystemOpt = None,
    no_stream: Annotated[
        bool, typer.Option("--no-stream", help="wait for the whole answer (one request, no streaming)")
    ] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="bypass the response cache")] = False,
    schema: Annotated[
        Path | None, typer.Option("--schema", help="answer as JSON matching this JSON schema file")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="approve tool calls that need approval")] = False,
) -> None:
    """Run one prompt through the agent and print the answer (a new session unless told otherwise).

    Piped standard input is added after the prompt: cat notes.txt | agentcore run "summarise"."""
    from agentcore.cli._common import fail, overrides, read_prompt, split_model
    from agentcore.cli.run_cmd import run_once

    if session and cont:
        fail("give either --session NAME or --continue, not both", 2)
    text = read_prompt(prompt)
    model, target = split_model(model)
    flags = overrides(model, provider) | ({"systemPrompt": system} if system is not None else {})
    code = run_once(
        config, flags, text, json_out=json_out, image=image, session=session, cont=cont,
        choice=(profile, target), cache=not no_cache, schema=schema, yes=yes, audio=audio,
        stream=not no_stream,
    )  # fmt: skip
    if code:
        raise typer.Exit(code)


@app.command()
def chat(
    config: ConfigOpt = None,
    model: ModelOpt = None,
    provider: ProviderOpt = None,
    profile: ProfileOpt = None,
    session: Annotated[
        str | None, typer.Option("--session", "-s", help="resume (or create) this named session")
    ] = None,
    new: Annotated[
        bool, typer.Option("--new", help="start a new session instead of resuming the last")
    ] = False,
    system: SystemOpt = None,
) -> None:
    """Chat with the agent interactively (resumes the last chat; /help lists the commands; Ctrl-D leaves)."""
    from agentcore.cli._common import overrides, split_model
    from agentcore.cli.chat_cmd import chat_loop

    model, target = split_model(model)
    flags = overrides(model, provider) | ({"systemPrompt": system} if system is not None else {})
    chat_loop(config, flags, session=session, new=new, choice=(profile, target))


@app.command()
def tools(
    config: ConfigOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="print tools and sources as JSON")] = False,
) -> None:
    """List every tool the model can call, its source (local or MCP server) and the source's status."""
    from agentcore.cli.tools_cmd import list_tools

    list_tools(config, json_out=json_out)


# Sub-command groups: (name, "module:typer_app"). Their modules must import cheaply (heavy imports
# go inside the command functions) because --help builds them all.
SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    ("config", "agentcore.cli.config_cmd:config_app"),
    ("mcp", "agentcore.cli.mcp_cmd:mcp_app"),
    ("sessions", "agentcore.cli.sessions_cmd:sessions_app"),
    ("providers", "agentcore.cli.providers_cmd:providers_app"),
    ("keys", "agentcore.cli.keys_cmd:keys_app"),
    ("cache", "agentcore.cli.cache_cmd:cache_app"),
)
TOP_LEVEL_MODULES = (
    "agentcore.cli.usage_cmd",
    "agentcore.cli.trace_cmd",
    "agentcore.cli.profiles_cmd",
    "agentcore.cli.pricing_cmd",
    "agentcore.cli.models_cmd",
    "agentcore.cli.serve_cmd",
    "agentcore.cli.init_cmd",
    "agentcore.cli.dashboard_cmd",
)  # modules adding top-level commands to ``app``


def _mount_subcommands() -> None:
    from importlib import import_module

    for name, target in SUBCOMMANDS:
        module, _, attr = target.partition(":")
        app.add_typer(getattr(import_module(module), attr), name=name)
    for module in TOP_LEVEL_MODULES:
        import_module(module)


_mount_subcommands()


def main() -> None:
    """Console-script entry point."""
    app()
