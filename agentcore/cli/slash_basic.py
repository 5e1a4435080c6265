"""The basic chat commands: /help, /exit, /reset, /tools, /image, /model, /profile."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from agentcore.cli._slash import ChatState, help_text, slash

if TYPE_CHECKING:
    from agentcore.llm.client import ModelClient


def describe_client(client: ModelClient) -> str:
    """``profile NAME (n targets)`` for a router, ``provider/model`` for one target."""
    name = getattr(client, "name", None)
    if isinstance(name, str):
        count = len(getattr(client, "targets", ()))
        return f"profile {name} ({count} target{'s' if count != 1 else ''})"
    return f"{client.provider}/{client.model}"


def _switch(state: ChatState, *, profile: str | None = None, model: str | None = None) -> None:
    from agentcore._redact import redact_text
    from agentcore.errors import AgentcoreError

    try:
        client = state.agent.use(profile=profile, model=model)
    except AgentcoreError as exc:
        print(f"error: {redact_text(str(exc))}")
        return
    print(f"now using {describe_client(client)} for the rest of this session")


@slash("/model", "/model [provider/model]", "show or switch the model (a one-off target)")
def _model(state: ChatState, arg: str) -> None:
    if not arg:
        print(f"using {describe_client(state.agent.service.client)}")
        return
    _switch(state, model=arg)


@slash("/profile", "/profile [NAME]", "show the profiles or switch to one")
def _profile(state: ChatState, arg: str) -> None:
    if not arg:
        from agentcore.llm.factory import profile_names

        print(f"using {describe_client(state.agent.service.client)}")
        print("profiles: " + ", ".join(profile_names(state.agent.config)))
        return
    _switch(state, profile=arg)


@slash("/help", "/help", "show this help")
def _help(state: ChatState, arg: str) -> None:
    print(help_text())


@slash("/exit", "/exit", "leave (Ctrl-D works too)", "/quit")
def _exit(state: ChatState, arg: str) -> None:
    state.exit = True


@slash("/reset", "/reset", "forget this conversation")
def _reset(state: ChatState, arg: str) -> None:
    state.runner.run(state.agent.session(state.session).reset())
    print("conversation cleared")


@slash("/tools", "/tools", "list the tools the model can call")
def _tools(state: ChatState, arg: str) -> None:
    state.runner.run(state.agent.start())
    specs = state.agent.tools.specs()
    for spec in specs:
        summary = spec.description.splitlines()[0] if spec.description else ""
        print(f"  {spec.name:<28} {spec.source:<12} {summary}")
    if not specs:
        print("  (no tools)")


@slash("/image", "/image PATH", "attach an image to your next message")
def _image(state: ChatState, arg: str) -> None:
    if not arg:
        print("usage: /image PATH")
    elif not Path(arg).expanduser().is_file():
        print(f"no such file: {arg}")
    else:
        state.pending_images.append(arg)
        print(f"image attached to your next message: {arg}")
