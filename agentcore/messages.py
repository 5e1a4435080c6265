"""The provider-neutral message model. SDK types never appear here or past a provider module.

Messages are immutable: once appended to a conversation they never change, which lets formatters
and the token counter cache their work per message (``InternalMessage.cache``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

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


AudioFormat = Literal["wav", "mp3"]
_AUDIO_MEDIA_TYPES: dict[str, str] = {"wav": "audio/wav", "mp3": "audio/mpeg"}


@dataclass(frozen=True, slots=True)
class AudioPart:
    """Audio input (a recording the model listens to): inline bytes, WAV or MP3."""

    data: bytes
    format: AudioFormat = "wav"
    type: Literal["audio"] = "audio"
    #: audio is always inline (OpenAI's ``input_audio`` takes no URL)
    url: ClassVar[None] = None

    @property
    def media_type(self) -> str:
        """``audio/wav`` or ``audio/mpeg``."""
        return _AUDIO_MEDIA_TYPES[self.format]

    def base64(self) -> str:
        """The bytes, base64-encoded."""
        return base64.b64encode(self.data).decode("ascii")


Part = TextPart | ImagePart | AudioPart
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

    @property
    def audio(self) -> tuple[AudioPart, ...]:
        """The audio parts of the message."""
        if isinstance(self.content, tuple):
            return tuple(p for p in self.content if isinstance(p, AudioPart))
        return ()

    @staticmethod
    def user(
        text: str, images: tuple[ImagePart, ...] = (), audio: tuple[AudioPart, ...] = ()
    ) -> InternalMessage:
        """A user message, multi-part when images or audio are given."""
        if images or audio:
            return InternalMessage("user", (TextPart(text), *images, *audio))
        return InternalMessage("user", text)

    @staticmethod
    def assistant(text: str | None, tool_calls: tuple[ToolCall, ...] = ()) -> InternalMessage:
        """An assistant message, possibly carrying tool calls."""
        return InternalMessage("assistant", text, tool_calls)

    @staticmethod
    def tool_result(call: ToolCall, content: Content, is_error: bool = False) -> InternalMessage:
        """The result of ``call``."""
        return InternalMessage("tool", content, tool_call_id=call.id, name=call.name, is_error=is_error)


MAX_IMAGE_BYTES = 20_000_000  # llm.maxImageBytes default
_IMAGE_TYPES = "PNG, JPEG, GIF or WebP"


def load_image(source: str | bytes | ImagePart, *, max_bytes: int = MAX_IMAGE_BYTES) -> ImagePart:
    """An ImagePart from a file path, raw bytes or an http(s)/data URL.

    Inline bytes must be a PNG, JPEG, GIF or WebP image (checked by content, whatever the file name
    or declared type says) of at most ``max_bytes``; anything else is a ``CapabilityError`` before
    a byte is sent or stored. A file is measured before it is read.
    """
    from pathlib import Path

    from agentcore.errors import CapabilityError

    if isinstance(source, ImagePart):
        if source.data is None:
            return source
        return ImagePart(data=source.data, media_type=_checked(source.data, "the image", max_bytes))
    if isinstance(source, bytes):
        return ImagePart(data=source, media_type=_checked(source, "the image bytes", max_bytes))
    if source.startswith(("http://", "https://")):
        return ImagePart(url=source)
    if source.startswith("data:"):
        _, _, payload = source.partition(",")
        if len(payload) * 3 // 4 > max_bytes:
            raise CapabilityError(_too_big("the data: URL image", len(payload) * 3 // 4, max_bytes))
        try:
            data = base64.b64decode(payload)
        except ValueError:
            raise CapabilityError("the data: URL image is not valid base64") from None
        return ImagePart(data=data, media_type=_checked(data, "the data: URL image", max_bytes))
    path = Path(source).expanduser()
    if not path.is_file():
        raise CapabilityError(f"image file not found: {path}")
    size = path.stat().st_size
    if size > max_bytes:
        raise CapabilityError(_too_big(f"image file {path}", size, max_bytes))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CapabilityError(f"cannot read image file {path}: {exc.strerror}") from None
    return ImagePart(data=data, media_type=_checked(data, f"image file {path}", max_bytes))


def _too_big(what: str, size: int, limit: int) -> str:
    return (
        # In bytes, like llm.maxImageBytes: rounded to MB a small image read "0.0 MB, over the 0.001 MB limit".
        f"{what} is {size:,} bytes, over the limit of {limit:,} bytes "
        "(llm.maxImageBytes; scale the image down or raise the limit)"
    )


def _checked(data: bytes, what: str, max_bytes: int) -> str:
    """The media type of ``data`` read from its content; an error when it is no image or too big."""
    from agentcore.errors import CapabilityError

    if len(data) > max_bytes:
        raise CapabilityError(_too_big(what, len(data), max_bytes))
    media_type = _sniff_media_type(data)
    if media_type is None:
        raise CapabilityError(f"{what} is not an image ({_IMAGE_TYPES} expected)")
    return media_type


def _sniff_media_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


MAX_AUDIO_BYTES = 25_000_000  # OpenAI's limit on one audio input


def load_audio(source: str | bytes | AudioPart, *, max_bytes: int = MAX_AUDIO_BYTES) -> AudioPart:
    """An AudioPart from a file path or raw bytes: WAV or MP3, judged by content (not the file name),
    at most ``max_bytes``; anything else is a ``CapabilityError`` before a byte is sent or stored."""
    from pathlib import Path

    from agentcore.errors import CapabilityError

    if isinstance(source, AudioPart):
        source = source.data
    if isinstance(source, bytes):
        data, what = source, "the audio bytes"
    else:
        path = Path(source).expanduser()
        what = f"audio file {path}"
        if not path.is_file():
            raise CapabilityError(f"audio file not found: {path}")
        size = path.stat().st_size
        if size > max_bytes:
            raise CapabilityError(f"{what} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CapabilityError(f"cannot read {what}: {exc.strerror}") from None
    if len(data) > max_bytes:
        raise CapabilityError(f"{what} is {len(data) / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit")
    fmt = sniff_audio_format(data)
    if fmt is None:
        raise CapabilityError(f"{what} is not WAV or MP3 audio (convert it, e.g. ffmpeg -i in.m4a out.mp3)")
    return AudioPart(data, fmt)


def sniff_audio_format(data: bytes) -> AudioFormat | None:
    """``wav`` or ``mp3`` from the first bytes; None for anything else."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    return None
