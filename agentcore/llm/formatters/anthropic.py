"""Renders internal messages and tools in the Anthropic Messages shape.

The Messages API wants strictly alternating roles: tool results travel in a *user* message, all
results of one turn together, and consecutive same-role messages are merged. Merging depends on the
neighbours, so what is cached per message is its role and its rendered content blocks (JSON bytes);
a request body is then a join of cached fragments, never a re-serialisation of the whole history.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from agentcore.llm.formatters._json import dumps
from agentcore.messages import AudioPart, ImagePart, InternalMessage, TextPart
from agentcore.tools.base import ToolSpec

_KEY = "anthropic.blocks"


def image_block(image: ImagePart) -> dict[str, Any]:
    """An image as a ``source`` block: base64 inline data, or a URL the API fetches."""
    if image.url is not None:
        return {"type": "image", "source": {"type": "url", "url": image.url}}
    return {
        "type": "image",
        "source": {"type": "base64", "media_type": image.media_type, "data": image.base64()},
    }


def _content_blocks(msg: InternalMessage) -> list[dict[str, Any]]:
    content = msg.content
    if content is None:
        return []
    if isinstance(content, str):
        # The API rejects empty text blocks.
        return [{"type": "text", "text": content}] if content else []
    blocks: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, TextPart):
            if part.text:
                blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, AudioPart):
            # Earlier audio in a session now sent to Claude (no audio input): say so, keep the turn.
            blocks.append({"type": "text", "text": "[audio input omitted: this model takes no audio]"})
        else:
            blocks.append(image_block(part))
    return blocks


def _tool_input(arguments: str) -> dict[str, Any]:
    # tool_use.input must be an object; malformed arguments were already answered with an error result.
    try:
        value: Any = json.loads(arguments) if arguments else {}
    except ValueError:
        return {}
    return cast(dict[str, Any], value) if isinstance(value, dict) else {}


def message_blocks(msg: InternalMessage) -> list[dict[str, Any]]:
    """The content blocks one internal message contributes to its (possibly merged) API message."""
    if msg.role == "tool":
        blocks = _content_blocks(msg)
        result: dict[str, Any] = {"type": "tool_result", "tool_use_id": msg.tool_call_id}
        if any(b["type"] == "image" for b in blocks):
            result["content"] = blocks
        else:
            result["content"] = msg.text
        if msg.is_error:
            result["is_error"] = True
        return [result]
    blocks = _content_blocks(msg)
    if msg.role == "assistant":
        blocks.extend(
            {"type": "tool_use", "id": c.id, "name": c.name, "input": _tool_input(c.arguments)}
            for c in msg.tool_calls
        )
    return blocks


def _cached(msg: InternalMessage) -> tuple[str, bytes]:
    """``(api_role, comma-joined block JSON)``, rendered once per message."""
    entry: tuple[str, bytes] | None = msg.cache.get(_KEY)
    if entry is None:
        role = "assistant" if msg.role == "assistant" else "user"
        entry = (role, b",".join(dumps(b) for b in message_blocks(msg)))
        msg.cache[_KEY] = entry
    return entry


def render_messages(messages: Sequence[InternalMessage]) -> tuple[bytes, str | None]:
    """The ``messages`` array as JSON bytes, and any system text found inside the history.

    Tool results fall into the user role, so all results of one turn (and a user message that
    follows them) end up in ONE user message; other consecutive same-role messages merge the same way.
    """
    out: list[bytes] = []
    role: str | None = None
    run: list[bytes] = []
    system: list[str] = []
    for msg in messages:
        if msg.role == "system":
            if msg.text:
                system.append(msg.text)
            continue
        msg_role, blocks = _cached(msg)
        if not blocks:
            continue
        if msg_role != role and run:
            out.append(_message(role, run))
            run = []
        role = msg_role
        run.append(blocks)
    if run:
        out.append(_message(role, run))
    return b"[" + b",".join(out) + b"]", ("\n\n".join(system) if system else None)


def _message(role: str | None, blocks: list[bytes]) -> bytes:
    return b'{"role":"' + (role or "user").encode() + b'","content":[' + b",".join(blocks) + b"]}"


def tool_dict(spec: ToolSpec) -> dict[str, Any]:
    """One tool in Anthropic's shape."""
    return {"name": spec.name, "description": spec.description, "input_schema": spec.parameters}
