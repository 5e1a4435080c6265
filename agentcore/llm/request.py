"""What one round trip sends: the request every model client answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from agentcore.messages import InternalMessage
from agentcore.tools.base import ToolSpec


@dataclass(frozen=True, slots=True)
class OutputSpec:
    """A structured answer the run wants: its JSON schema, asked for natively (``response_format``)
    or through a final-result tool (``mode``)."""

    name: str
    schema: dict[str, Any]
    strict: bool
    mode: Literal["native", "tool"]

    def response_format(self) -> dict[str, Any]:
        """OpenAI's ``response_format`` for this output (also Gemini's OpenAI-compatible endpoint)."""
        return {
            "type": "json_schema",
            "json_schema": {"name": self.name, "schema": self.schema, "strict": self.strict},
        }


@dataclass(frozen=True, slots=True)
class LLMRequest:
    """Everything one round trip sends; a retry (or a failover) sends exactly the same request."""

    messages: Sequence[InternalMessage]
    system: str | None
    tools: Sequence[ToolSpec]
    stream: bool
    purpose: Literal["turn", "direct", "summary"] = "turn"
    output: OutputSpec | None = None  # native structured output (tool mode adds a tool instead)
    max_tokens: int | None = None
    """A limit for this request's answer (MCP sampling's ``maxTokens``): replaces the target's own
    default (``llm.maxTokens``, Anthropic's catalog default) but never exceeds a configured ``maxTokens``."""

    def answer_limit(self, configured: int | None) -> int | None:
        """The ``max_tokens`` to send: this request's, capped by the target's ``configured`` one."""
        if self.max_tokens is None:
            return configured
        return min(self.max_tokens, configured) if configured is not None else self.max_tokens
