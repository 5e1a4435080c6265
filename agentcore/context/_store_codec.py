"""Messages to and from their rows: content kinds, escaped text, tool calls as JSON, image blobs.

Content kinds: ``text`` (stored as is), ``etext`` (a JSON string literal: text holding NUL or lone
surrogates, see ``storage.text``), ``parts`` (JSON list; an inline image is a ``blob`` reference to
``agentcore_blobs``) and ``none``. Nothing here raises on odd text: every value has a stored form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from agentcore import _redact
from agentcore.context._store_schema import blob_key
from agentcore.messages import AudioPart, Content, ImagePart, InternalMessage, Part, TextPart, ToolCall
from agentcore.storage import text as dbtext

Blob = tuple[str, str, bytes]  # (sha256, media_type, data)
_ID_MAX = 200


def mask(text: str) -> str:
    """``text`` with configured secrets masked (never pattern redaction: that alters what users said)."""
    for secret in _redact._known:
        if secret in text:
            text = text.replace(secret, _redact.MASK)
    return text


def encode_content(content: Content, blobs: list[Blob]) -> tuple[str, str | None]:
    """(content_kind, stored text); inline images are appended to ``blobs``."""
    if content is None:
        return "none", None
    if isinstance(content, str):
        masked = mask(content)
        return ("text", masked) if dbtext.storable(masked) else ("etext", dbtext.escape(masked))
    parts: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, TextPart):
            parts.append({"type": "text", "text": mask(part.text)})
        elif isinstance(part, AudioPart):
            key = blob_key(part.data)
            blobs.append((key, part.media_type, part.data))
            parts.append({"type": "audio", "format": part.format, "blob": key})
        elif part.url is not None:
            parts.append({"type": "image", "url": part.url})
        else:
            assert part.data is not None
            key = blob_key(part.data)
            blobs.append((key, part.media_type, part.data))
            parts.append({"type": "image", "media_type": part.media_type, "blob": key})
    return "parts", dbtext.dumps(parts)


def blob_keys(kind: str, raw: str | None) -> list[str]:
    """The blobs a stored content refers to."""
    if kind != "parts" or raw is None or '"blob"' not in raw:
        return []
    return [p["blob"] for p in json.loads(raw) if isinstance(p, dict) and "blob" in p]


def decode_content(kind: str, raw: str | None, blobs: Mapping[str, tuple[str, bytes]]) -> Content:
    """The content a row stores (``blobs``: sha256 -> (media type, bytes))."""
    if kind == "none" or raw is None:
        return None
    if kind == "text":
        return raw
    if kind == "etext":
        return dbtext.unescape(raw)
    parts: list[Part] = []
    for item in json.loads(raw):
        if item.get("type") == "text":
            parts.append(TextPart(item["text"]))
        elif item.get("type") == "audio":
            found = blobs.get(item["blob"])
            if found is None:
                parts.append(TextPart("[audio no longer stored]"))
            else:
                parts.append(AudioPart(found[1], "mp3" if item.get("format") == "mp3" else "wav"))
        elif "url" in item:
            parts.append(ImagePart(url=item["url"]))
        elif "blob" in item:
            found = blobs.get(item["blob"])
            if found is None:  # deleted under us: keep the message, say what is missing
                parts.append(TextPart("[image no longer stored]"))
            else:
                parts.append(ImagePart(data=found[1], media_type=found[0]))
        else:  # a v1 row the migration did not see (written by an older process meanwhile)
            import base64

            parts.append(ImagePart(data=base64.b64decode(item["data"]), media_type=item["media_type"]))
    return tuple(parts)


def encode_calls(msg: InternalMessage) -> str | None:
    """The tool calls of ``msg`` as JSON (``[id, name, arguments]``, plus raw text and error when set)."""
    if not msg.tool_calls:
        return None
    calls: list[list[str | None]] = []
    for c in msg.tool_calls:
        item: list[str | None] = [c.id, c.name, mask(c.arguments)]
        if c.raw_arguments is not None or c.arguments_error is not None:
            item += [None if c.raw_arguments is None else mask(c.raw_arguments), c.arguments_error]
        calls.append(item)
    return dbtext.dumps(calls)


def _decode_calls(raw: str) -> tuple[ToolCall, ...]:
    return tuple(ToolCall(*c) for c in json.loads(raw))


def _short(value: str | None) -> str | None:
    return None if value is None else dbtext.clean(value)[:_ID_MAX]


def row_values(
    msg: InternalMessage, tokens: int | None, tokenizer: str | None, blobs: list[Blob]
) -> tuple[Any, ...]:
    """(role, content_kind, content, tool_calls, tool_call_id, name, is_error, tokens, tokenizer)."""
    kind, content = encode_content(msg.content, blobs)
    return (msg.role, kind, content, encode_calls(msg), _short(msg.tool_call_id), _short(msg.name),
            msg.is_error, tokens, tokenizer)  # fmt: skip


ROW_COLUMNS = ("role", "content_kind", "content", "tool_calls", "tool_call_id", "name", "is_error",
               "tokens", "tokenizer")  # fmt: skip


def message_row(
    session_id: str, seq: int, msg: InternalMessage, tokens: int | None, tokenizer: str | None,
    now: datetime, blobs: list[Blob],
) -> dict[str, Any]:  # fmt: skip
    """The column values of one message row (SQLAlchemy Core)."""
    values = dict(zip(ROW_COLUMNS, row_values(msg, tokens, tokenizer, blobs), strict=True))
    return {"session_id": session_id, "seq": seq, **values, "created_at": now}


LOAD_COLUMNS = ("seq", "role", "content_kind", "content", "tool_calls", "tool_call_id", "name", "is_error",
                "tokens", "tokenizer")  # fmt: skip


def message(row: Any, blobs: Mapping[str, tuple[str, bytes]]) -> InternalMessage:
    """The message of a loaded row (``LOAD_COLUMNS``), ``cache["seq"]`` set."""
    # Runs once per stored message on resume (10k rows in a long session): kept lean on purpose.
    seq, role, kind, content, calls, call_id, name, is_error, tokens, tokenizer = row
    cache: dict[str, Any] = {"seq": seq}
    if tokens is not None and tokenizer:
        cache[tokenizer] = tokens
    return InternalMessage(
        role,
        content if kind == "text" else decode_content(kind, content, blobs),
        _decode_calls(calls) if calls else (),
        call_id,
        name,
        bool(is_error),
        cache,
    )
