"""What one round trip sends: the request every model client answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from agentcore.messages import InternalMessage
from agentcore.tools.base import ToolSpec


@dataclass(frozen=True, slots=True)
class LLMRequest:
    """Everything one round trip sends; a retry (or a failover) sends exactly the same request."""

    messages: Sequence[InternalMessage]
    system: str | None
    tools: Sequence[ToolSpec]
    stream: bool
    purpose: Literal["turn", "direct", "summary"] = "turn"
