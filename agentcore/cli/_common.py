"""Shared CLI plumbing: one-line errors instead of tracebacks, and loading the agent."""

from __future__ import annotations

import sys
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from agentcore.agent import Agent
    from agentcore.config.schema import AgentConfig


ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="cipher.yml to use (default: $AGENTCORE_CONFIG, ./cipher.yml)"),
]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: message`` to stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


EXIT_USAGE = 2  # the config or the command line is wrong: fix it and run again


@contextmanager
def user_errors() -> Generator[None]:
    """Turn agentcore's errors into one line on stderr and their exit code (2 for config mistakes).

    A config error found together with others says how many more there are; ``config check`` lists them.
    """
    from agentcore._redact import redact_text
    from agentcore.errors import AgentcoreError, one_line

    try:
        yield
    except AgentcoreError as exc:
        fail(one_line(redact_text(str(exc))), exc.exit_code)
    except OSError as exc:
        # A file, folder or device the user named (or the disk) refused: say which, in one line.
        where = f": {exc.filename}" if exc.filename else ""
        fail(one_line(redact_text(f"{exc.strerror or exc}{where}")), 1)
    except RecursionError:
        # Only hostile input gets here (a structure nested past Python's limit): never a traceback.
        fail("the input is nested too deeply to process", EXIT_USAGE)


def overrides(
    model: str | None = None, provider: str | None = None, base_url: str | None = None
) -> dict[str, Any]:
    """Config overrides from command-line flags."""
    llm: dict[str, Any] = {}
    if model:
        llm["model"] = model
    if provider:
        llm["provider"] = provider
    if base_url:
        llm["baseURL"] = base_url
    return {"llm": llm} if llm else {}


def split_model(model: str | None) -> tuple[str | None, str | None]:
    """``-m``: ``(llm.model override, None)`` for a bare name, ``(None, target)`` for a one-off
    target written ``provider/model`` (or a ``models:`` name, resolved by the agent)."""
    if model and "/" in model:
        from agentcore.config.schema import PROVIDERS

        if model.partition("/")[0] in PROVIDERS:
            return None, model
    return model, None


Choice = tuple[str | None, str | None]  # (profile, one-off target) from -p / -m


def load_agent(config: Path | None, flags: dict[str, Any], choice: Choice = (None, None)) -> Agent:
    """The agent for ``--config`` (or the usual lookup) with flag overrides and ``-p``/``-m`` applied.

    The config passes the same start-up checks as ``config check`` first; errors name the file and line.
    """
    from agentcore.config.check import locate, preflight
    from agentcore.config.loader import load_config
    from agentcore.errors import ConfigError

    llm_flags: dict[str, Any] = dict(flags.get("llm", {}))
    bare = llm_flags.pop("model", None)
    rest = {**flags, "llm": llm_flags} if llm_flags else {k: v for k, v in flags.items() if k != "llm"}
    loaded = load_config(config, overrides=rest or None)
    model = choice[1]
    if bare is not None:
        if bare in loaded.models:
            model = bare  # -m NAME of a models: entry: a one-off target
        else:
            loaded.llm.model = bare
    preflight(loaded)
    try:
        return cli_agent(loaded, profile=choice[0], model=model)
    except ConfigError as exc:
        raise locate(exc, loaded) from None


STDIN_GRACE_S = 1.0  # how long a pipe that says nothing may keep `run "prompt"` waiting


def _piped_stdin() -> str | None:
    """Standard input when it is a file, or a pipe that gives data (or ends) within ``STDIN_GRACE_S``.

    A pipe that stays open and silent (a program that spawns us with a pipe it never writes to) is
    left alone with a note, instead of hanging the run; ``-`` as the prompt waits for it.
    """
    import os
    import select
    import stat

    try:
        fd = sys.stdin.fileno()
        mode = os.fstat(fd).st_mode
    except (OSError, ValueError):  # closed, or replaced by something without a descriptor
        return None
    if stat.S_ISREG(mode):
        return sys.stdin.read()
    if not stat.S_ISFIFO(mode):  # a terminal, /dev/null, a socket
        return None
    if not select.select([fd], [], [], STDIN_GRACE_S)[0]:
        typer.echo(f"note: standard input sent nothing within {STDIN_GRACE_S:g} s: not read", err=True)
        return None
    return sys.stdin.read()


def cli_agent(config: AgentConfig, *, profile: str | None = None, model: str | None = None) -> Agent:
    """An Agent for a command: the CLI owns the process, so it configures logging first."""
    _start_local_model(config, profile, model)
    from agentcore.agent import Agent
    from agentcore.logs import ensure_logging

    json_log = config.logging.json_file
    ensure_logging(config.logging.level, config.resolve_path(json_log) if json_log else None)
    return Agent(config, profile=profile, model=model)


def _start_local_model(config: AgentConfig, profile: str | None, model: str | None) -> None:
    """Start the built-in model's server now, so its ~1-3 s load overlaps the agent's imports instead
    of following them (the agent's provider then finds it running)."""
    if config.llm.provider != "local" or profile or model:
        return
    from agentcore.llm import local

    local.server_for(local.model_path(config.llm.model))


def read_prompt(prompt: str | None) -> str:
    """The prompt argument; piped standard input is added after it (``cat notes.txt | agentcore run
    "summarise"``), or is the whole prompt for ``-`` or no argument."""
    if prompt is None or prompt == "-":
        if sys.stdin.isatty() and prompt is None:
            fail('give a prompt: agentcore run "question" (or pipe one on stdin)', 2)
        text = sys.stdin.read()
    else:
        piped = _piped_stdin()
        text = f"{prompt}\n\n{piped}" if piped and piped.strip() else prompt
    if not text.strip():
        fail("the prompt is empty", 2)
    return text
