"""The wire-neutral form of one gateway request and of what comes back.

Both wire formats (OpenAI Chat Completions, Anthropic Messages) parse into an ``Exchange`` and
render the same event stream: text and tool-call deltas (``agentcore.llm.events``), tool
``Activity`` of a server-side agent, and one closing ``Outcome``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from agentcore.llm.events import TextDelta, ToolCallDelta, ToolCallStarted
from agentcore.messages import InternalMessage, Usage
from agentcore.tools.base import ToolSpec

Finish = Literal["stop", "length", "tool_calls"]


@dataclass(frozen=True, slots=True)
class Exchange:
    """A parsed client request."""

    model: str
    messages: tuple[InternalMessage, ...]  # system messages are in ``system``
    system: str | None = None
    tools: tuple[ToolSpec, ...] = ()
    stream: bool = False
    include_usage: bool = False
    temperature: float | None = None
    max_tokens: int | None = None
    user: str | None = None
    metadata: dict[str, str] = field(default_factory=dict[str, str])


@dataclass(frozen=True, slots=True)
class Activity:
    """A server-side tool call of an agent (clients that do not know the field ignore it)."""

    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The answer: the assistant message (with the tool calls the client must run, pass-through only)."""

    message: InternalMessage
    usage: Usage
    finish: Finish
    activity: tuple[dict[str, Any], ...] = ()
    session: str | None = None


Event = TextDelta | ToolCallStarted | ToolCallDelta | Activity | Outcome


def finish_of(message: InternalMessage, raw: str | None) -> Finish:
    """The neutral finish reason of an upstream reply."""
    if message.tool_calls:
        return "tool_calls"
    if raw in ("length", "max_tokens"):
        return "length"
    return "stop"
