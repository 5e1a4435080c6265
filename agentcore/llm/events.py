"""Typed events of a run, streamed by ``Agent.stream`` and ``generate(stream=True)``.

``ApprovalRequired`` and ``ToolProgress`` come from the tools' side of a run (``agentcore.tools.context``,
which cannot import this package) and are re-exported here with the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentcore.messages import InternalMessage, ToolCall, Usage
from agentcore.tools.context import ApprovalRequired, ToolProgress

__all__ = [
    "ApprovalRequired",
    "ErrorEvent",
    "FinalAnswer",
    "LimitReached",
    "PartialOutput",
    "StreamEvent",
    "TextDelta",
    "ToolCallDelta",
    "ToolCallStarted",
    "ToolProgress",
    "ToolResult",
    "TurnComplete",
    "UsageReport",
]


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the assistant's text as it arrives."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCallStarted:
    """The model began a tool call."""

    id: str
    name: str
    index: int = 0


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A fragment of a tool call's JSON arguments."""

    id: str
    arguments_delta: str
    index: int = 0


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A tool finished; ``message`` is the tool-role message sent back to the model."""

    call: ToolCall
    message: InternalMessage
    elapsed_ms: float


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Token usage of one LLM request, as the provider reported it."""

    usage: Usage


@dataclass(frozen=True, slots=True)
class TurnComplete:
    """One LLM round trip ended with this assistant message (internal to the loop)."""

    message: InternalMessage
    usage: Usage
    finish_reason: str | None = None
    #: answered from the response cache: the usage of the original call (``usage`` is then zero)
    cached: Usage | None = None


@dataclass(frozen=True, slots=True)
class FinalAnswer:
    """The run ended with an answer."""

    text: str
    usage: Usage
    iterations: int
    output: Any = None  # the validated structured output when the run asked for one


@dataclass(frozen=True, slots=True)
class PartialOutput:
    """The structured output so far, while it streams (a partial object: fields may be missing)."""

    data: Any


@dataclass(frozen=True, slots=True)
class LimitReached:
    """The run stopped at ``llm.maxIterations`` with tool calls still pending."""

    iterations: int
    usage: Usage
    text: str


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """The run failed; ``error`` is the exception (also raised after this event)."""

    error: BaseException


StreamEvent = (
    TextDelta
    | ToolCallStarted
    | ToolCallDelta
    | ToolResult
    | UsageReport
    | FinalAnswer
    | LimitReached
    | ErrorEvent
    | PartialOutput
    | ApprovalRequired
    | ToolProgress
)
