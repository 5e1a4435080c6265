"""``agentcore chat``: an interactive loop with slash commands. Ctrl-C cancels the turn in flight."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentcore.cli._common import Choice, fail
from agentcore.cli._render import EventPrinter
from agentcore.cli._slash import ChatState, dispatch

if TYPE_CHECKING:
    from agentcore.agent import Agent

# Modules whose import registers slash commands.
SLASH_MODULES = (
    "agentcore.cli.slash_basic",
    "agentcore.cli.slash_usage",
    "agentcore.cli.slash_sessions",
    "agentcore.cli.slash_mcp",
)


def _make_agent(config: Path | None, flags: dict[str, Any], choice: Choice = (None, None)) -> Agent:
    from agentcore._redact import redact_text
    from agentcore.cli._onboard import load_or_fallback
    from agentcore.errors import ConfigError

    try:
        return load_or_fallback(config, flags, choice)
    except ConfigError as exc:
        fail(redact_text(str(exc)), exc.exit_code)


async def _turn(state: ChatState, text: str) -> None:
    printer = EventPrinter()
    image = state.pending_images[0] if state.pending_images else None
    if state.pending_context:
        # Attached context (e.g. /resource) goes before the user's own words, in the same message.
        text = "\n\n".join([*state.pending_context, text])
    async for event in state.agent.stream(text, image=image, session=state.session):
        printer(event)
    printer.finish()
    state.pending_context.clear()


def chat_loop(
    config: Path | None,
    flags: dict[str, Any],
    *,
    session: str | None = None,
    new: bool = False,
    choice: Choice = (None, None),
) -> None:
    """Read lines, run turns, until /exit or end of input (resuming the last chat session unless ``new``)."""
    from importlib import import_module

    from agentcore._redact import redact_text
    from agentcore.errors import AgentcoreError

    for module in SLASH_MODULES:
        import_module(module)
    agent = _make_agent(config, flags, choice)
    from agentcore.cli._approve import ChatApprover

    agent.approve = ChatApprover()  # tools that need approval ask: yes / no / always (this session)
    from agentcore.cli._elicit import ChatElicitor

    agent.mcp_hooks.elicitation = ChatElicitor()  # MCP servers' questions become prompts here
    from agentcore.cli._signals import TerminateAsInterrupt
    from agentcore.cli.slash_basic import describe_client

    print(f"agentcore chat · {describe_client(agent.service.client)} · /help for commands")
    with TerminateAsInterrupt() as stop, asyncio.Runner() as runner:
        state = ChatState(agent, runner)
        try:
            from agentcore.cli.slash_sessions import pick_chat_session

            try:
                state.session, count = runner.run(pick_chat_session(agent, session, new))
            except AgentcoreError as exc:
                fail(redact_text(str(exc)), exc.exit_code)
            print(f"session {state.session}" + (f" · resumed, {count} messages" if count else " · new"))
            from agentcore.cli._lineread import make_reader

            read = make_reader(runner.run)
            while not state.exit:
                try:
                    line = read().strip()
                except EOFError:
                    print()
                    break
                except KeyboardInterrupt:
                    if stop.signum:
                        break
                    print("\n(/exit or Ctrl-D to leave)")
                    continue
                if not line:
                    continue
                try:
                    if line.startswith("/"):
                        dispatch(state, line)
                        continue
                    runner.run(_turn(state, line))
                    state.pending_images.clear()
                except KeyboardInterrupt:
                    print("\n(turn cancelled)", file=sys.stderr)
                    if stop.signum:
                        break
                except AgentcoreError as exc:
                    print(f"error: {redact_text(str(exc))}", file=sys.stderr)
        finally:
            runner.run(agent.close())
    if stop.signum:
        raise SystemExit(stop.exit_code)
