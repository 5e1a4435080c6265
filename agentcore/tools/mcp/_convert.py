"""MCP SDK objects to agentcore's own: tool specs, tool outputs, resource text, prompt messages.

Everything here takes the SDK's pydantic models duck-typed (``Any``) so the module itself never
imports ``mcp``; only ``source.py`` does, lazily.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
from collections.abc import Sequence
from typing import Any, cast

from agentcore.messages import Content, ImagePart, Part, TextPart
from agentcore.tools.base import ToolOutput, ToolSpec

__all__ = ["keep_tool", "prompt_messages", "resource_text", "to_output", "to_spec"]


def keep_tool(name: str, include: Sequence[str] | None, exclude: Sequence[str]) -> bool:
    """Whether the ``include`` / ``exclude`` filters (names or shell-style globs) keep tool ``name``."""
    if include is not None and not any(fnmatch.fnmatchcase(name, p) for p in include):
        return False
    return not any(fnmatch.fnmatchcase(name, p) for p in exclude)


def to_spec(tool: Any, server: str) -> ToolSpec:
    """A listed MCP ``Tool`` as the spec the manager exposes (it sanitises and de-clashes the name)."""
    schema: dict[str, Any] = dict(tool.input_schema or {})
    schema.setdefault("type", "object")
    description = tool.description or getattr(tool, "title", None) or ""
    return ToolSpec(
        name=tool.name,
        description=description,
        parameters=schema,
        source=server,
        original_name=tool.name,
        origin=f"mcp:{server}",
    )


def _decode(data: str) -> bytes | None:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def _block_parts(block: Any) -> list[Part]:
    kind = getattr(block, "type", None)
    if kind == "text":
        return [TextPart(block.text)]
    if kind == "image":
        raw = _decode(block.data)
        if raw is None:
            return [TextPart(f"[image ({block.mime_type}) with invalid base64 data omitted]")]
        return [ImagePart(data=raw, media_type=block.mime_type)]
    if kind == "audio":
        size = len(block.data) * 3 // 4
        return [TextPart(f"[audio ({block.mime_type}, about {size} bytes) omitted]")]
    if kind == "resource_link":
        label = f" ({block.name})" if getattr(block, "name", None) else ""
        return [TextPart(f"[resource: {block.uri}{label}]")]
    if kind == "resource":
        contents = block.resource
        text = getattr(contents, "text", None)
        if isinstance(text, str):
            return [TextPart(text)]
        mime = getattr(contents, "mime_type", None) or "application/octet-stream"
        blob = getattr(contents, "blob", "")
        if mime.startswith("image/"):
            raw = _decode(blob)
            if raw is not None:
                return [ImagePart(data=raw, media_type=mime)]
        return [
            TextPart(f"[binary resource {contents.uri} ({mime}, about {len(blob) * 3 // 4} bytes) omitted]")
        ]
    return [TextPart(f"[unsupported MCP content type {kind!r} omitted]")]


def _joined(parts: list[Part]) -> Content:
    if all(isinstance(p, TextPart) for p in parts):
        return "\n".join(p.text for p in parts if isinstance(p, TextPart))
    # Text-only views of the message (OpenAI's tool role, logs) concatenate the text parts: each
    # text after the first starts on its own line, or "requested:" and "The image" run together.
    out: list[Part] = []
    seen_text = False
    for part in parts:
        if isinstance(part, TextPart):
            text = part.text if not seen_text or part.text.startswith("\n") else "\n" + part.text
            out.append(TextPart(text))
            seen_text = True
        else:
            out.append(part)
    return tuple(out)


def to_output(result: Any) -> ToolOutput:
    """A ``CallToolResult`` as a ``ToolOutput``: text, images as image parts, structured data, error flag."""
    parts: list[Part] = []
    for block in cast(list[Any], result.content or []):
        parts.extend(_block_parts(block))
    structured = result.structured_content
    if not parts and structured is not None:
        # Structured-only results still need text the model can read.
        parts.append(TextPart(json.dumps(structured, ensure_ascii=False, default=str)))
    content: Content = _joined(parts) if parts else ""
    return ToolOutput(content, is_error=bool(result.is_error), structured=structured, meta={"mcp": True})


def resource_text(result: Any) -> str:
    """The text of a ``ReadResourceResult``; binary contents are described, not dumped."""
    chunks: list[str] = []
    for contents in result.contents:
        text = getattr(contents, "text", None)
        if isinstance(text, str):
            chunks.append(text)
        else:
            mime = getattr(contents, "mime_type", None) or "application/octet-stream"
            blob = getattr(contents, "blob", "")
            chunks.append(f"[binary {mime}, about {len(blob) * 3 // 4} bytes, not shown]")
    return "\n".join(chunks)


def prompt_messages(result: Any) -> list[tuple[str, str]]:
    """A ``GetPromptResult`` as ``(role, text)`` pairs (non-text content described)."""
    out: list[tuple[str, str]] = []
    for message in result.messages:
        parts = _block_parts(message.content)
        text = "\n".join(p.text if isinstance(p, TextPart) else "[image]" for p in parts)
        out.append((str(message.role), text))
    return out
