"""Tools described in the system prompt, and history rewritten in the Hermes/Qwen markup.

Our stored history keeps normal tool calls and tool results; only the request sent to a prompt-mode
target is rewritten: an assistant's calls become ``<tool_call>`` blocks in its text, and a run of
tool results becomes one user turn of ``<tool_response>`` blocks (Qwen-Agent's "nous" template).
Each message's rewrite is cached on the message, like the provider formatters' JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from agentcore.messages import InternalMessage, Part, TextPart
from agentcore.tools.base import ToolSpec

_KEY = "prompt_tools.rewrite"
_RESULTS = "prompt_tools.results"

_TOOLS_PROMPT = """# Tools

You may call one or more functions to assist with the user query.

You are provided with function signatures within <tools></tools> XML tags:
<tools>
{tools}
</tools>

For each function call, return a json object with function name and arguments within \
<tool_call></tool_call> XML tags:
<tool_call>
{{"name": <function-name>, "arguments": <args-json-object>}}
</tool_call>
To call several functions at once, write one <tool_call> block for each. The results come back in \
<tool_response></tool_response> tags in the next user message; do not write <tool_response> yourself."""


def tools_prompt(tools: Sequence[ToolSpec]) -> str:
    """The system-prompt section that describes ``tools`` and the call format."""
    lines = "\n".join(
        json.dumps(
            {
                "type": "function",
                "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
            },
            ensure_ascii=False,
        )
        for t in tools
    )
    return _TOOLS_PROMPT.format(tools=lines)


def system_with_tools(system: str | None, tools: Sequence[ToolSpec]) -> str | None:
    """``system`` followed by the tools section (unchanged when there are no tools)."""
    if not tools:
        return system
    section = tools_prompt(tools)
    return f"{system}\n\n{section}" if system else section


def _call_block(name: str, arguments: str, raw: str | None, error: str | None) -> str:
    if error is not None and raw is not None:
        body = raw  # what the model wrote: the error result refers to it
    else:
        try:
            args = json.loads(arguments or "{}")
        except ValueError:
            args = arguments
        body = json.dumps({"name": name, "arguments": args}, ensure_ascii=False)
    return f"<tool_call>\n{body}\n</tool_call>"


def _assistant(msg: InternalMessage) -> InternalMessage:
    blocks = "\n".join(
        _call_block(c.name, c.arguments, c.raw_arguments, c.arguments_error) for c in msg.tool_calls
    )
    text = msg.text
    return InternalMessage("assistant", f"{text}\n{blocks}" if text else blocks)


def _response_block(msg: InternalMessage) -> str:
    cached = msg.cache.get(_KEY)
    if cached is None:
        cached = msg.cache[_KEY] = f"<tool_response>\n{msg.text}\n</tool_response>"
    return cached


def _results(run: list[InternalMessage]) -> InternalMessage:
    # Kept on the run's first message, so the same user turn (and its rendered JSON) is reused
    # on every later request of the conversation.
    cached = run[0].cache.get(_RESULTS)
    if cached is not None:
        members, message = cached
        if len(members) == len(run) and all(a is b for a, b in zip(members, run, strict=True)):
            return message
    message = _results_message(run)
    run[0].cache[_RESULTS] = (tuple(run), message)
    return message


def _results_message(run: list[InternalMessage]) -> InternalMessage:
    text = "\n".join(_response_block(m) for m in run)
    images = tuple(img for m in run for img in m.images)
    if images:
        parts: tuple[Part, ...] = (TextPart(text), *images)
        return InternalMessage("user", parts)
    return InternalMessage("user", text)


def rewrite_history(messages: Sequence[InternalMessage]) -> list[InternalMessage]:
    """``messages`` with tool calls and results in prompt markup (other messages kept as they are)."""
    out: list[InternalMessage] = []
    run: list[InternalMessage] = []
    for msg in messages:
        if msg.role == "tool":
            run.append(msg)
            continue
        if run:
            out.append(_results(run))
            run = []
        if msg.role == "assistant" and msg.tool_calls:
            rewritten = msg.cache.get(_KEY)
            if rewritten is None:
                rewritten = msg.cache[_KEY] = _assistant(msg)
            out.append(rewritten)
        else:
            out.append(msg)
    if run:
        out.append(_results(run))
    return out
