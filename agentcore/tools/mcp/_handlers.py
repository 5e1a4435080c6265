"""What an MCP server may ask of us, as protocols the embedding layer (Agent, CLI) provides.

``tools/`` never imports ``llm/`` or ``cli/``: the Agent supplies a ``SamplingHandler`` answered by
its own model, the chat CLI an ``ElicitationHandler`` that prompts, and either a ``ProgressSink``.
Without a handler the capability is not advertised, so servers do not offer what would fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

__all__ = [
    "ElicitationHandler",
    "ElicitationReply",
    "ElicitationRequest",
    "McpHooks",
    "ProgressSink",
    "SamplingHandler",
    "SamplingReply",
    "SamplingRequest",
]


@dataclass(frozen=True, slots=True)
class SamplingRequest:
    """A server's ``sampling/createMessage``: text turns (``(role, text)``), system prompt, limits."""

    server: str
    messages: tuple[tuple[str, str], ...]
    system: str | None = None
    max_tokens: int | None = None
    model_hints: tuple[str, ...] = ()
    temperature: float | None = None
    profile: str | None = None
    """The profile configured for this server (``mcpServers.<name>.sampling.profile``)."""


@dataclass(frozen=True, slots=True)
class SamplingReply:
    text: str
    model: str
    stop_reason: str = "endTurn"


class SamplingHandler(Protocol):
    async def __call__(self, request: SamplingRequest) -> SamplingReply: ...


@dataclass(frozen=True, slots=True)
class ElicitationRequest:
    """A server asking the user: a form (``schema``: JSON-schema properties) or a URL to open."""

    server: str
    message: str
    mode: Literal["form", "url"] = "form"
    schema: Mapping[str, Any] = field(default_factory=dict[str, Any])
    url: str | None = None


@dataclass(frozen=True, slots=True)
class ElicitationReply:
    action: Literal["accept", "decline", "cancel"]
    content: Mapping[str, Any] | None = None


class ElicitationHandler(Protocol):
    async def __call__(self, request: ElicitationRequest) -> ElicitationReply: ...


class ProgressSink(Protocol):
    def __call__(
        self, server: str, tool: str, value: float, total: float | None, message: str | None
    ) -> None: ...


@dataclass(slots=True)
class McpHooks:
    """The handlers one agent gives its MCP sources (each may be None: not offered)."""

    sampling: SamplingHandler | None = None
    elicitation: ElicitationHandler | None = None
    progress: ProgressSink | None = None
