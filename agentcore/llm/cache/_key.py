"""The cache key: a hash of the request as sent (target, settings, system, messages, tools, scope).

Each message's digest is computed once and kept on the message (messages never change), and the
tools' digest is reused while the tool list is the same objects, so a key over a long history costs
a few microseconds per turn, not a re-serialisation of the conversation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from agentcore.messages import InternalMessage, TextPart
from agentcore.tools.base import ToolSpec

_DIGEST = "cache.digest"


def _content(msg: InternalMessage) -> Any:
    content = msg.content
    if content is None or isinstance(content, str):
        return content
    parts: list[Any] = []
    for part in content:
        if isinstance(part, TextPart):
            parts.append(["t", part.text])
        else:
            data = hashlib.blake2b(part.data, digest_size=16).hexdigest() if part.data is not None else None
            parts.append(["i", part.media_type, part.url, data])
    return parts


def message_digest(msg: InternalMessage) -> bytes:
    """The message's digest, computed once per message."""
    cached = msg.cache.get(_DIGEST)
    if cached is None:
        data = [
            msg.role,
            _content(msg),
            [[c.id, c.name, c.arguments] for c in msg.tool_calls],
            msg.tool_call_id,
            msg.name,
            msg.is_error,
        ]
        encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        cached = msg.cache[_DIGEST] = hashlib.blake2b(encoded, digest_size=20).digest()
    return cached


def tools_digest(tools: Sequence[ToolSpec]) -> bytes:
    """The digest of the tool list (names, descriptions, schemas)."""
    data = [[t.name, t.description, t.parameters] for t in tools]
    encoded = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.blake2b(encoded, digest_size=20).digest()


def identity(settings: dict[str, Any]) -> bytes:
    """The digest of the target and its generation settings."""
    encoded = json.dumps(settings, sort_keys=True, default=str, separators=(",", ":")).encode()
    return hashlib.blake2b(encoded, digest_size=20).digest()


def request_key(
    target: bytes, scope: str, system: str | None, messages: Sequence[InternalMessage], tools: bytes
) -> str:
    """The hex key of one request."""
    h = hashlib.blake2b(target, digest_size=24)
    h.update(scope.encode())
    h.update(b"\x00")
    h.update((system or "").encode())
    h.update(b"\x00")
    h.update(tools)
    for msg in messages:
        h.update(message_digest(msg))
    return h.hexdigest()
