"""Make a stored history valid for every provider before it is sent.

Providers reject a tool result without its call and a tool call without its result. A crash or a
cancelled turn can leave either behind, so on load: results that do not directly follow their call
are dropped, and each call without a result gets a synthetic "interrupted" result.
"""

from __future__ import annotations

from collections.abc import Sequence

from agentcore.messages import InternalMessage, ToolCall

INTERRUPTED = "interrupted: this tool call did not complete (the run stopped before its result was recorded)"


def synthetic_result(call: ToolCall) -> InternalMessage:
    """The result recorded for a call whose real result is missing."""
    msg = InternalMessage.tool_result(call, INTERRUPTED, is_error=True)
    msg.cache["synthetic"] = True
    return msg


def repair(messages: Sequence[InternalMessage]) -> list[InternalMessage]:
    """``messages`` with orphan results dropped and missing results filled in (order kept)."""
    out: list[InternalMessage] = []
    i = 0
    n = len(messages)
    while i < n:
        msg = messages[i]
        i += 1
        if msg.role == "tool":
            continue  # not right after its call: an orphan
        out.append(msg)
        if msg.role != "assistant" or not msg.tool_calls:
            continue
        found: dict[str, InternalMessage] = {}
        ids = {c.id for c in msg.tool_calls}
        while i < n and messages[i].role == "tool":
            result = messages[i]
            i += 1
            if result.tool_call_id in ids and result.tool_call_id not in found:
                found[result.tool_call_id] = result
        for call in msg.tool_calls:
            out.append(found.get(call.id) or synthetic_result(call))
    return out


def is_valid(messages: Sequence[InternalMessage]) -> bool:
    """True when every call is directly followed by exactly its results, and no result is orphaned."""
    return repair(messages) == list(messages)
