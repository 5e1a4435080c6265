"""Anthropic Messages on the wire: requests in, messages and SSE events out."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator
from typing import Any, cast

from agentcore.llm.events import TextDelta, ToolCallDelta, ToolCallStarted
from agentcore.messages import ImagePart, InternalMessage, Part, TextPart, ToolCall
from agentcore.serve._errors import HttpError, bad_request
from agentcore.serve._exchange import Activity, Event, Exchange, Outcome
from agentcore.serve.wire_openai import _dict, _list, _number, _str  # pyright: ignore[reportPrivateUsage]
from agentcore.tools.base import ToolSpec

_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def _image(block: dict[str, Any], where: str) -> ImagePart:
    source = _dict(block.get("source"), f"{where}.source")
    kind = source.get("type")
    if kind == "url":
        return ImagePart(url=_str(source.get("url"), f"{where}.source.url"))
    if kind != "base64":
        raise bad_request(f"{where}.source.type", "must be 'base64' or 'url'")
    try:
        data = base64.b64decode(_str(source.get("data"), f"{where}.source.data"), validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(f"{where}.source.data", "is not valid base64") from None
    return ImagePart(data=data, media_type=_str(source.get("media_type"), f"{where}.source.media_type"))


def _text_of(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    texts: list[str] = []
    for i, raw in enumerate(_list(value, where)):
        block = _dict(raw, f"{where}[{i}]")
        if block.get("type") == "text":
            texts.append(_str(block.get("text"), f"{where}[{i}].text"))
    return "".join(texts)


def _messages(raw: Any, where: str) -> list[InternalMessage]:
    """One Anthropic message; a user message with tool results becomes tool messages first."""
    msg = _dict(raw, where)
    role = msg.get("role")
    if role not in ("user", "assistant"):
        raise bad_request(f"{where}.role", "must be 'user' or 'assistant'")
    content = msg.get("content")
    if isinstance(content, str):
        return [InternalMessage(role, content)]
    parts: list[Part] = []
    calls: list[ToolCall] = []
    results: list[InternalMessage] = []
    for i, raw_block in enumerate(_list(content, f"{where}.content")):
        at = f"{where}.content[{i}]"
        block = _dict(raw_block, at)
        kind = block.get("type")
        if kind == "text":
            parts.append(TextPart(_str(block.get("text"), f"{at}.text")))
        elif kind == "image":
            parts.append(_image(block, at))
        elif kind == "tool_use" and role == "assistant":
            args = block.get("input", {})
            calls.append(
                ToolCall(
                    _str(block.get("id"), f"{at}.id"), _str(block.get("name"), f"{at}.name"), json.dumps(args)
                )
            )
        elif kind == "tool_result" and role == "user":
            results.append(
                InternalMessage(
                    "tool",
                    _text_of(block.get("content", ""), f"{at}.content"),
                    tool_call_id=_str(block.get("tool_use_id"), f"{at}.tool_use_id"),
                    is_error=bool(block.get("is_error")),
                )
            )
        elif kind in ("thinking", "redacted_thinking"):
            continue
        else:
            raise bad_request(f"{at}.type", f"unsupported content block type {kind!r}")
    out = list(results)
    if parts or calls or not results:
        body: str | tuple[Part, ...] | None
        if all(isinstance(p, TextPart) for p in parts):
            body = "".join(cast(TextPart, p).text for p in parts) or (None if calls else "")
        else:
            body = tuple(parts)
        out.append(InternalMessage(role, body, tuple(calls)))
    return out


def parse_request(body: Any) -> Exchange:
    """The Exchange of a ``/v1/messages`` body; a 400 naming the field when it is wrong."""
    data = _dict(body, "body")
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model", "is required (an agent, profile or provider/model name)")
    max_tokens = _number(data, "max_tokens", integer=True)
    if max_tokens is None or max_tokens < 1:
        raise bad_request("max_tokens", "is required and must be at least 1")
    raw_messages = _list(data.get("messages"), "messages")
    if not raw_messages:
        raise bad_request("messages", "must not be empty")
    messages: list[InternalMessage] = []
    for i, raw in enumerate(raw_messages):
        messages.extend(_messages(raw, f"messages[{i}]"))
    system = data.get("system")
    tools: list[ToolSpec] = []
    for i, raw in enumerate(_list(data.get("tools") or [], "tools")):
        tool = _dict(raw, f"tools[{i}]")
        schema: Any = tool.get("input_schema") or {"type": "object", "properties": {}}
        tools.append(
            ToolSpec(
                _str(tool.get("name"), f"tools[{i}].name"),
                str(tool.get("description") or ""),
                _dict(schema, f"tools[{i}].input_schema"),
                source="client",
            )
        )
    stream = data.get("stream", False)
    if not isinstance(stream, bool):
        raise bad_request("stream", "must be true or false")
    temperature = _number(data, "temperature")
    if temperature is not None and not 0 <= temperature <= 1:
        raise bad_request("temperature", "must be between 0 and 1")
    metadata = _dict(data.get("metadata") or {}, "metadata")
    user = metadata.get("user_id")
    return Exchange(
        model=model,
        messages=tuple(messages),
        system=_text_of(system, "system") if system else None,
        tools=tuple(tools),
        stream=stream,
        include_usage=True,
        temperature=temperature,
        max_tokens=max_tokens,
        user=str(user) if user is not None else None,
        metadata={str(k): str(v) for k, v in metadata.items() if k != "user_id"},
    )


# ---- responses -------------------------------------------------------------------------------


def _input(arguments: str) -> Any:
    try:
        return json.loads(arguments) if arguments else {}
    except ValueError:
        return {}


def render_message(exchange: Exchange, outcome: Outcome, message_id: str) -> dict[str, Any]:
    """The non-streaming ``message`` object."""
    content: list[dict[str, Any]] = []
    if outcome.message.text:
        content.append({"type": "text", "text": outcome.message.text})
    for call in outcome.message.tool_calls:
        content.append(
            {"type": "tool_use", "id": call.id, "name": call.name, "input": _input(call.arguments)}
        )
    u = outcome.usage
    body: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": exchange.model,
        "content": content,
        "stop_reason": _STOP[outcome.finish],
        "stop_sequence": None,
        "usage": {
            "input_tokens": u.prompt_tokens - u.cached_tokens,
            "output_tokens": u.completion_tokens,
            "cache_read_input_tokens": u.cached_tokens,
        },
    }
    if outcome.activity or outcome.session:
        body["agentcore"] = {"tool_calls": list(outcome.activity), "session": outcome.session}
    return body


def _frame(name: str, data: dict[str, Any]) -> bytes:
    return (
        f"event: {name}\ndata: ".encode()
        + json.dumps({"type": name, **data}, ensure_ascii=False).encode()
        + b"\n\n"
    )


class EventWriter:
    """Renders the event stream as Messages SSE events, opening and closing content blocks."""

    def __init__(self, exchange: Exchange, message_id: str) -> None:
        self._start = _frame(
            "message_start",
            {
                "message": {
                    "id": message_id,
                    "type": "message",
                    "role": "assistant",
                    "model": exchange.model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 0, "output_tokens": 0},
                }
            },
        )
        self._started = False
        self._block = -1  # index of the open content block, -1 when none
        self._block_kind = ""
        self._tool_blocks: dict[int, int] = {}  # tool-call index -> block index

    def _head(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        return self._start

    def _close(self) -> bytes:
        if self._block < 0 or not self._block_kind:
            return b""
        self._block_kind = ""
        return _frame("content_block_stop", {"index": self._block})

    def _open(self, kind: str, block: dict[str, Any]) -> bytes:
        out = self._close()
        self._block += 1
        self._block_kind = kind
        return out + _frame("content_block_start", {"index": self._block, "content_block": block})

    def event(self, event: Event) -> bytes:
        """The frame(s) of one event."""
        out = self._head()
        if isinstance(event, TextDelta):
            if self._block_kind != "text":
                out += self._open("text", {"type": "text", "text": ""})
            delta = {"type": "text_delta", "text": event.text}
            return out + _frame("content_block_delta", {"index": self._block, "delta": delta})
        if isinstance(event, ToolCallStarted):
            out += self._open("tool", {"type": "tool_use", "id": event.id, "name": event.name, "input": {}})
            self._tool_blocks[event.index] = self._block
            return out
        if isinstance(event, ToolCallDelta):
            index = self._tool_blocks.get(event.index, self._block)
            delta = {"type": "input_json_delta", "partial_json": event.arguments_delta}
            return out + _frame("content_block_delta", {"index": index, "delta": delta})
        if isinstance(event, Activity):
            # An event type the SDKs skip: tool activity of a server-side agent.
            return out + b"event: agentcore\ndata: " + json.dumps(event.data).encode() + b"\n\n"
        return out + self._end(event)

    def _end(self, outcome: Outcome) -> bytes:
        u = outcome.usage
        usage = {"input_tokens": u.prompt_tokens - u.cached_tokens, "output_tokens": u.completion_tokens}
        delta = {"stop_reason": _STOP[outcome.finish], "stop_sequence": None}
        extra: dict[str, Any] = {"agentcore": {"session": outcome.session}} if outcome.session else {}
        return (
            self._close()
            + _frame("message_delta", {"delta": delta, "usage": usage, **extra})
            + _frame("message_stop", {})
        )

    def error(self, err: HttpError) -> bytes:
        """An error after the stream began."""
        return self._head() + b"event: error\ndata: " + json.dumps(err.anthropic_body()).encode() + b"\n\n"


async def sse(exchange: Exchange, events: AsyncIterator[Event], message_id: str) -> AsyncIterator[bytes]:
    """The SSE body of a streaming message."""
    writer = EventWriter(exchange, message_id)
    async for event in events:
        yield writer.event(event)
