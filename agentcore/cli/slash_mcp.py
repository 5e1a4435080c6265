"""MCP chat commands: /mcp (server status), /resource (attach a resource), /prompt (run a server prompt)."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from agentcore.cli._slash import ChatState, slash

if TYPE_CHECKING:
    from agentcore.tools.mcp import McpToolSource


def _server(state: ChatState, name: str) -> McpToolSource | None:
    from agentcore.tools.mcp import McpToolSource

    state.runner.run(state.agent.start())
    servers = [s for s in state.agent.tools.sources if isinstance(s, McpToolSource)]
    found = next((s for s in servers if s.name == name), None)
    if found is None:
        names = ", ".join(s.name for s in servers) or "none configured"
        print(f"no MCP server '{name}' (servers: {names})")
    return found


def _error_line(exc: Exception) -> str:
    from agentcore._redact import redact_text

    text = redact_text(str(exc)).splitlines()
    return text[0] if text else type(exc).__name__


@slash("/mcp", "/mcp", "show MCP servers: state, tools, errors")
def _mcp(state: ChatState, arg: str) -> None:
    from agentcore.cli.tools_cmd import print_sources

    state.runner.run(state.agent.start())
    rows = [r for r in state.agent.tools.source_status() if r["type"] != "local"]
    if rows:
        print_sources(rows)
    else:
        print("  (no MCP servers configured)")


@slash("/resource", "/resource SERVER URI", "attach an MCP resource to your next message")
def _resource(state: ChatState, arg: str) -> None:
    parts = arg.split(maxsplit=1)
    if len(parts) != 2:
        print("usage: /resource SERVER URI   (agentcore mcp resources lists them)")
        return
    server = _server(state, parts[0])
    if server is None:
        return
    uri = parts[1].strip()
    try:
        text = state.runner.run(server.read_resource(uri))
    except Exception as exc:  # a user-facing command: one line, never a traceback
        print(f"cannot read {uri} from {server.name}: {_error_line(exc)}")
        return
    state.pending_context.append(f'<resource server="{server.name}" uri="{uri}">\n{text}\n</resource>')
    print(f"attached {uri} ({len(text)} characters) to your next message")


@slash("/prompt", "/prompt SERVER NAME [k=v ...]", "run an MCP server's prompt as your next message")
def _prompt(state: ChatState, arg: str) -> None:
    try:
        words = shlex.split(arg)
    except ValueError as exc:
        print(f"cannot parse the arguments: {exc}")
        return
    if len(words) < 2:
        print("usage: /prompt SERVER NAME [key=value ...]   (agentcore mcp prompts lists them)")
        return
    server = _server(state, words[0])
    if server is None:
        return
    arguments: dict[str, str] = {}
    for word in words[2:]:
        key, sep, value = word.partition("=")
        if not sep or not key:
            print(f"arguments are key=value, got '{word}'")
            return
        arguments[key] = value
    try:
        messages = state.runner.run(server.get_prompt(words[1], arguments))
    except Exception as exc:  # a user-facing command: one line, never a traceback
        print(f"cannot get prompt '{words[1]}' from {server.name}: {_error_line(exc)}")
        return
    # The prompt's messages become one user turn (assistant lines kept as quoted context).
    text = "\n\n".join(body if role == "user" else f"[{role}] {body}" for role, body in messages)
    if not text.strip():
        print(f"prompt '{words[1]}' is empty")
        return
    from agentcore.cli import chat_cmd

    print(f"[prompt {server.name}/{words[1]}]\n{text}\n")
    # The same turn as a typed line (chat_loop's handler catches Ctrl-C and errors around us).
    state.runner.run(chat_cmd._turn(state, text))  # pyright: ignore[reportPrivateUsage]
    state.pending_images.clear()
