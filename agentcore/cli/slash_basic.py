"""The basic chat commands: /help, /exit, /reset, /tools, /image."""

from __future__ import annotations

from pathlib import Path

from agentcore.cli._slash import ChatState, help_text, slash


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
