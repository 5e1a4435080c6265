"""Chat session commands: /session new|list|switch|rename|delete, and choosing the session at start."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentcore.cli._slash import ChatState, slash
from agentcore.cli.sessions_cmd import printable

if TYPE_CHECKING:
    from agentcore.agent import Agent

USAGE = "/session [new [NAME]|list|switch NAME|rename NAME|delete NAME]"


async def pick_chat_session(agent: Agent, name: str | None, new: bool) -> tuple[str, int]:
    """The session a chat starts in: ``name``, else the last chat session unless ``new``; and its size."""
    if name is None and not new:
        last = await agent.sessions.last("chat")
        name = last.name if last else None
    name = name or agent.sessions.new_name("chat")
    ctx = agent.session(name, kind="chat")
    await ctx.load()
    return name, len(ctx.messages)


def _show(state: ChatState) -> None:
    ctx = state.agent.session(state.session)
    state.runner.run(ctx.load())
    print(f"session {printable(ctx.name or '')} · {len(ctx.messages)} messages")


def _list(state: ChatState) -> None:
    sessions = state.runner.run(state.agent.sessions.list())
    if not sessions:
        print("  (no sessions)")
    current = state.agent.session(state.session).name
    for s in sessions:
        mark = "*" if s.name == current else " "
        when = s.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")
        print(f" {mark} {printable(s.name):<32} {printable(s.kind):<5} {s.message_count:>6} msgs  {when}")


def _switch(state: ChatState, name: str, *, create: bool) -> None:
    agent = state.agent
    exists = state.runner.run(agent.sessions.exists(name))
    if not exists and not create:
        print(f"no session named '{printable(name)}' (/session new {printable(name)} creates it)")
        return
    if exists and create:
        print(f"a session named '{printable(name)}' already exists (/session switch {printable(name)})")
        return
    ctx = agent.session(name, kind="chat")
    if create:  # named on purpose: listed (and resumable) before its first message
        state.runner.run(agent.sessions.create(name, kind="chat"))
    state.runner.run(ctx.load())
    state.session = name
    verb = "resumed" if exists else "started"
    print(f"{verb} session {printable(name)} ({len(ctx.messages)} messages)")


@slash("/session", USAGE, "show, start, list, switch, rename or delete sessions", "/sessions")
def _session(state: ChatState, arg: str) -> None:
    command, _, rest = arg.partition(" ")
    rest = rest.strip()
    agent = state.agent
    if not command:
        _show(state)
    elif command == "list":
        _list(state)
    elif command == "new":
        _switch(state, rest or agent.sessions.new_name("chat"), create=True)
    elif command in ("switch", "resume", "load") and rest:
        _switch(state, rest, create=False)
    elif command == "rename" and rest:
        current = agent.session(state.session).name or ""
        state.runner.run(agent.sessions.rename(current, rest))
        state.session = rest
        print(f"renamed {printable(current)} to {printable(rest)}")
    elif command == "delete" and rest:
        current = agent.session(state.session).name
        if not state.runner.run(agent.sessions.delete(rest)):
            print(f"no session named '{printable(rest)}'")
            return
        print(f"deleted {printable(rest)}")
        if rest == current:
            _switch(state, agent.sessions.new_name("chat"), create=True)
    else:
        print(f"usage: {USAGE}")
