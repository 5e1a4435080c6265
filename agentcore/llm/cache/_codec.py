"""A completed turn to and from the JSON text a cache backend stores."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from agentcore.messages import InternalMessage, ToolCall, Usage


@dataclass(frozen=True, slots=True)
class CachedTurn:
    """A stored answer: the assistant message, the usage of the call that produced it, its finish."""

    message: InternalMessage
    usage: Usage
    finish_reason: str | None
    provider: str
    model: str


def encode(turn: CachedTurn) -> str:
    """The turn as JSON text."""
    msg, usage = turn.message, turn.usage
    return json.dumps(
        {
            "text": msg.text if msg.content is not None else None,
            "calls": [[c.id, c.name, c.arguments] for c in msg.tool_calls],
            "finish": turn.finish_reason,
            "usage": [
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.cached_tokens,
                usage.reasoning_tokens,
                usage.cache_write_tokens,
                usage.cache_write_1h_tokens,
                usage.reported,
                usage.provider_total,
            ],
            "provider": turn.provider,
            "model": turn.model,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode(text: str) -> CachedTurn:
    """The turn stored as ``text`` (by ``encode``)."""
    data = cast(dict[str, Any], json.loads(text))
    calls = tuple(ToolCall(str(c[0]), str(c[1]), str(c[2])) for c in cast(list[list[Any]], data["calls"]))
    u = cast(list[Any], data["usage"])
    usage = Usage(int(u[0]), int(u[1]), int(u[2]), int(u[3]), int(u[4]), int(u[5]), bool(u[6]), u[7])
    return CachedTurn(
        InternalMessage.assistant(cast(str | None, data["text"]), calls),
        usage,
        cast(str | None, data["finish"]),
        str(data["provider"]),
        str(data["model"]),
    )
