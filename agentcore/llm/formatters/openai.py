"""Renders internal messages and tools in the OpenAI chat-completions shape.

Each message's JSON is rendered once and cached on the message, so a request body for a long
history is a join of cached bytes rather than a re-serialisation of every message on every turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentcore.llm.formatters._json import dumps
from agentcore.messages import AudioPart, InternalMessage, TextPart
from agentcore.tools.base import ToolSpec

_JSON_KEY = "openai.json"


def _parts(msg: InternalMessage) -> str | list[dict[str, Any]] | None:
    content = msg.content
    if content is None or isinstance(content, str):
        return content
    rendered: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, TextPart):
            rendered.append({"type": "text", "text": part.text})
        elif isinstance(part, AudioPart):
            rendered.append(
                {"type": "input_audio", "input_audio": {"data": part.base64(), "format": part.format}}
            )
        else:
            rendered.append({"type": "image_url", "image_url": {"url": part.data_url()}})
    return rendered


def message_dict(msg: InternalMessage) -> dict[str, Any]:
    """One message as an OpenAI chat message dict."""
    if msg.role == "tool":
        # Tool messages take text only here; their images follow in a user message (see render).
        return {"role": "tool", "tool_call_id": msg.tool_call_id, "content": msg.text}
    out: dict[str, Any] = {"role": msg.role, "content": _parts(msg)}
    if msg.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments or "{}"}}
            for c in msg.tool_calls
        ]
    return out


def message_json(msg: InternalMessage) -> bytes:
    """The message's JSON bytes, rendered once per message."""
    cached = msg.cache.get(_JSON_KEY)
    if cached is None:
        cached = dumps(message_dict(msg))
        msg.cache[_JSON_KEY] = cached
    return cached


def _tool_images(results: Sequence[InternalMessage]) -> bytes | None:
    parts: list[dict[str, Any]] = []
    for msg in results:
        images = msg.images
        if images:
            parts.append({"type": "text", "text": f"Images returned by tool {msg.name}:"})
            parts.extend({"type": "image_url", "image_url": {"url": img.data_url()}} for img in images)
    return dumps({"role": "user", "content": parts}) if parts else None


def render_messages(system: str | None, messages: Sequence[InternalMessage]) -> bytes:
    """The ``messages`` array as JSON bytes."""
    fragments: list[bytes] = []
    if system:
        fragments.append(dumps({"role": "system", "content": system}))
    pending_tools: list[InternalMessage] = []
    for msg in messages:
        if msg.role == "tool":
            pending_tools.append(msg)
        elif pending_tools:
            extra = _tool_images(pending_tools)
            if extra:
                fragments.append(extra)
            pending_tools = []
        fragments.append(message_json(msg))
    if pending_tools:
        extra = _tool_images(pending_tools)
        if extra:
            fragments.append(extra)
    return b"[" + b",".join(fragments) + b"]"


def tool_dict(spec: ToolSpec) -> dict[str, Any]:
    """One tool in OpenAI's function-tool shape."""
    return {
        "type": "function",
        "function": {"name": spec.name, "description": spec.description, "parameters": spec.parameters},
    }
