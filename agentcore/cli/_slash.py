"""Chat slash commands, registered by the modules that own them (sessions, tools, usage...)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentcore.agent import Agent


@dataclass
class ChatState:
    """What slash commands may read and change in a chat."""

    agent: Agent
    runner: asyncio.Runner
    session: str | None = None
    pending_images: list[str] = field(default_factory=list[str])
    pending_context: list[str] = field(default_factory=list[str])
    exit: bool = False


Handler = Callable[[ChatState, str], None]


@dataclass(frozen=True)
class SlashCommand:
    """A chat command: ``/name ARGS``."""

    name: str
    usage: str
    help: str
    handler: Handler


COMMANDS: dict[str, SlashCommand] = {}


def slash(name: str, usage: str, help: str, *aliases: str) -> Callable[[Handler], Handler]:
    """Register ``handler`` as ``/name`` (and its aliases)."""

    def register(handler: Handler) -> Handler:
        command = SlashCommand(name, usage, help, handler)
        for key in (name, *aliases):
            COMMANDS[key] = command
        return handler

    return register


def help_text() -> str:
    """The /help listing."""
    seen: list[SlashCommand] = []
    for command in COMMANDS.values():
        if command not in seen:
            seen.append(command)
    lines = ["Commands:"] + [f"  {c.usage:<24} {c.help}" for c in seen]
    lines.append("Ctrl-C while the agent works cancels that turn; the conversation stays usable.")
    return "\n".join(lines)


def dispatch(state: ChatState, line: str) -> None:
    """Run the slash command on ``line``."""
    name, _, arg = line.strip().partition(" ")
    command = COMMANDS.get(name)
    if command is None:
        import difflib

        close = difflib.get_close_matches(name, list(COMMANDS), n=1)
        print(f"unknown command {name}" + (f"; did you mean {close[0]}?" if close else "; /help lists them"))
        return
    command.handler(state, arg.strip())
