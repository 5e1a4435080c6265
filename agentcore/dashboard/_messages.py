"""A stored session message as the Sessions page shows it (tool calls and results folded)."""

from __future__ import annotations

import json
from typing import Any

from agentcore._redact import redact_text


def _content(kind: str, raw: str | None) -> str:
    if kind == "none" or raw is None:
        return ""
    if kind == "text":
        return raw
    out: list[str] = []
    for part in json.loads(raw):
        out.append(part.get("text", "") if part.get("type") == "text" else "[image]")
    return "\n".join(out)


def present(row: dict[str, Any]) -> dict[str, Any]:
    """role, text, tool calls (name, pretty arguments), and what a tool result answers."""
    calls: list[dict[str, str]] = []
    if row.get("tool_calls"):
        for call_id, name, arguments in json.loads(row["tool_calls"]):
            try:
                pretty = json.dumps(json.loads(arguments), indent=2, ensure_ascii=False)
            except ValueError:
                pretty = arguments
            calls.append({"id": call_id, "name": name, "arguments": redact_text(pretty)})
    return {
        "seq": row["seq"],
        "role": row["role"],
        "text": redact_text(_content(row.get("content_kind") or "text", row.get("content"))),
        "tool_calls": calls,
        "tool_call_id": row.get("tool_call_id"),
        "name": row.get("name"),
        "is_error": bool(row.get("is_error")),
        "created_at": row.get("created_at"),
    }
