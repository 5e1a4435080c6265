"""The provider-neutral message model. SDK types never appear here or past a provider module.

Messages are immutable: once appended to a conversation they never change, which lets formatters
and the token counter cache their work per message (``InternalMessage.cache``).
"""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class TextPart:
    """A piece of text inside a multi-part message."""

    text: str
    type: Literal["text"] = "text"


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image: inline bytes (with media type) or a URL the provider fetches itself."""

    data: bytes | None = None
    media_type: str = "image/png"
    url: str | None = None
    type: Literal["image"] = "image"

    def data_url(self) -> str:
        """The image as a ``data:`` URL (or its plain URL)."""
        if self.url is not None:
            return self.url
        assert self.data is not None
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"

    def base64(self) -> str:
        """The inline bytes, base64-encoded."""
        assert self.data is not None
        return base64.b64encode(self.data).decode("ascii")


Part = TextPart | ImagePart
Content = str | tuple[Part, ...] | None


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call the model asked for; ``arguments`` is JSON text that is always valid to send back.

    When the model's own text was not valid JSON (cut by ``maxTokens``, a small model's slip),
    ``raw_arguments`` keeps it for display and audit, ``arguments`` holds the unambiguous repair or
    ``"{}"``, and ``arguments_error`` says what was wrong: such a call is never executed; the model
    gets that error as the call's result.
    """

    id: str
    name: str
    arguments: str
    raw_arguments: str | None = None
    arguments_error: str | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts exactly as the provider reported them.

    ``prompt_tokens`` counts every input token (OpenAI's convention): ``cached_tokens`` (read from the
    prompt cache) and ``cache_write_tokens`` (written to it; Anthropic bills them above the input rate,
    ``cache_write_1h_tokens`` of them at the 1-hour rate) are parts of it, never added on top.
    ``reported`` is False when the provider sent no usage at all (the figures are then unknown, not
    zero); ``provider_total`` keeps the provider's own ``total_tokens`` when it sent one (Gemini counts
    reasoning tokens outside ``completion_tokens``).
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    reported: bool = True
    provider_total: int | None = None

    @property
    def total_tokens(self) -> int:
        """The provider's total when it sent one, else prompt plus completion tokens."""
        if self.provider_total is not None:
            return self.provider_total
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        totals = (self.provider_total, other.provider_total)
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.cached_tokens + other.cached_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.cache_write_1h_tokens + other.cache_write_1h_tokens,
            self.reported and other.reported,
            None if totals == (None, None) else self.total_tokens + other.total_tokens,
        )

    def as_dict(self) -> dict[str, int | bool]:
        """Plain-dict form for JSON output."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_tokens": self.cached_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "total_tokens": self.total_tokens,
            "usage_reported": self.reported,
        }


@dataclass(frozen=True, slots=True)
class InternalMessage:
    """One conversation message in agentcore's own shape.

    ``cache`` holds per-message derived data (rendered provider forms, token counts); it is not part
    of equality and is never persisted.
    """

    role: Role
    content: Content = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    is_error: bool = False
    cache: dict[str, Any] = field(default_factory=dict[str, Any], compare=False, repr=False, hash=False)

    @property
    def text(self) -> str:
        """The text of the message, parts joined; images omitted."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text for p in self.content if isinstance(p, TextPart))

    @property
    def images(self) -> tuple[ImagePart, ...]:
        """The image parts of the message."""
        if isinstance(self.content, tuple):
            return tuple(p for p in self.content if isinstance(p, ImagePart))
        return ()

    @staticmethod
    def system(text: str) -> InternalMessage:
        """A system message."""
        return InternalMessage("system", text)

    @staticmethod
    def user(text: str, images: tuple[ImagePart, ...] = ()) -> InternalMessage:
        """A user message, multi-part when images are given."""
        if images:
            return InternalMessage("user", (TextPart(text), *images))
        return InternalMessage("user", text)

    @staticmethod
    def assistant(text: str | None, tool_calls: tuple[ToolCall, ...] = ()) -> InternalMessage:
        """An assistant message, possibly carrying tool calls."""
        return InternalMessage("assistant", text, tool_calls)

    @staticmethod
    def tool_result(call: ToolCall, content: Content, is_error: bool = False) -> InternalMessage:
        """The result of ``call``."""
        return InternalMessage("tool", content, tool_call_id=call.id, name=call.name, is_error=is_error)


def load_image(source: str | bytes | ImagePart) -> ImagePart:
    """An ImagePart from a file path, raw bytes or an http(s)/data URL."""
    from pathlib import Path

    from agentcore.errors import CapabilityError

    if isinstance(source, ImagePart):
        return source
    if isinstance(source, bytes):
        return ImagePart(data=source, media_type=_sniff_media_type(source))
    if source.startswith(("http://", "https://")):
        return ImagePart(url=source)
    if source.startswith("data:"):
        header, _, payload = source.partition(",")
        media_type = header[5:].split(";")[0] or "image/png"
        return ImagePart(data=base64.b64decode(payload), media_type=media_type)
    path = Path(source).expanduser()
    if not path.is_file():
        raise CapabilityError(f"image file not found: {path}")
    data = path.read_bytes()
    guessed = mimetypes.guess_type(path.name)[0]
    return ImagePart(data=data, media_type=guessed or _sniff_media_type(data))


def _sniff_media_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"
