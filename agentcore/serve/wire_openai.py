"""OpenAI Chat Completions on the wire: requests in, completions and SSE chunks out."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any, cast

from agentcore.llm.events import TextDelta, ToolCallDelta, ToolCallStarted
from agentcore.messages import ImagePart, InternalMessage, Part, TextPart, ToolCall, load_image
from agentcore.serve._errors import HttpError, bad_request
from agentcore.serve._exchange import Activity, Event, Exchange, Outcome
from agentcore.tools.base import ToolSpec

_ROLES = ("system", "developer", "user", "assistant", "tool")


def _dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request(where, "must be an object")
    return cast(dict[str, Any], value)


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise bad_request(where, "must be an array")
    return cast(list[Any], value)


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise bad_request(where, "must be a string")
    return value


def _number(body: dict[str, Any], name: str, *, integer: bool = False) -> Any:
    value = body.get(name)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (integer and not isinstance(value, int))
    ):
        raise bad_request(name, "must be an integer" if integer else "must be a number")
    return value


def _image(part: dict[str, Any], where: str) -> ImagePart:
    image = _dict(part.get("image_url"), f"{where}.image_url")
    url = _str(image.get("url"), f"{where}.image_url.url")
    if not url.startswith(("data:", "http://", "https://")):
        raise bad_request(f"{where}.image_url.url", "must be a data: URL or an http(s) URL")
    try:
        return load_image(url)
    except ValueError:
        raise bad_request(f"{where}.image_url.url", "is not valid base64 image data") from None


def _content(value: Any, where: str) -> str | tuple[Part, ...] | None:
    if value is None or isinstance(value, str):
        return value
    parts: list[Part] = []
    for i, raw in enumerate(_list(value, where)):
        part = _dict(raw, f"{where}[{i}]")
        kind = part.get("type")
        if kind == "text":
            parts.append(TextPart(_str(part.get("text"), f"{where}[{i}].text")))
        elif kind == "image_url":
            parts.append(_image(part, f"{where}[{i}]"))
        else:
            raise bad_request(
                f"{where}[{i}].type", f"unsupported content part type {kind!r} (text, image_url)"
            )
    if all(isinstance(p, TextPart) for p in parts):
        return "".join(cast(TextPart, p).text for p in parts)
    return tuple(parts)


def _tool_calls(value: Any, where: str) -> tuple[ToolCall, ...]:
    calls: list[ToolCall] = []
    for i, raw in enumerate(_list(value, where)):
        call = _dict(raw, f"{where}[{i}]")
        fn = _dict(call.get("function"), f"{where}[{i}].function")
        arguments = fn.get("arguments", "")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments)
        calls.append(
            ToolCall(
                _str(call.get("id"), f"{where}[{i}].id"),
                _str(fn.get("name"), f"{where}[{i}].function.name"),
                arguments or "{}",
            )
        )
    return tuple(calls)


def _message(raw: Any, where: str) -> InternalMessage:
    msg = _dict(raw, where)
    role = msg.get("role")
    if role not in _ROLES:
        raise bad_request(f"{where}.role", f"must be one of {', '.join(_ROLES)}")
    content = _content(msg.get("content"), f"{where}.content")
    if role in ("system", "developer"):
        text = content if isinstance(content, str) else InternalMessage("system", content).text
        return InternalMessage.system(text or "")
    if role == "user":
        if content is None:
            raise bad_request(f"{where}.content", "is required for a user message")
        return InternalMessage("user", content)
    if role == "assistant":
        calls = _tool_calls(msg["tool_calls"], f"{where}.tool_calls") if msg.get("tool_calls") else ()
        return InternalMessage("assistant", content, calls)
    call_id = _str(msg.get("tool_call_id"), f"{where}.tool_call_id")
    return InternalMessage(
        "tool", content if content is not None else "", tool_call_id=call_id, name=msg.get("name")
    )


def _tools(value: Any) -> tuple[ToolSpec, ...]:
    specs: list[ToolSpec] = []
    for i, raw in enumerate(_list(value, "tools")):
        tool = _dict(raw, f"tools[{i}]")
        if tool.get("type", "function") != "function":
            raise bad_request(f"tools[{i}].type", "only 'function' tools are supported")
        fn = _dict(tool.get("function"), f"tools[{i}].function")
        params: Any = fn.get("parameters") or {"type": "object", "properties": {}}
        specs.append(
            ToolSpec(
                _str(fn.get("name"), f"tools[{i}].function.name"),
                str(fn.get("description") or ""),
                _dict(params, f"tools[{i}].function.parameters"),
                source="client",
            )
        )
    return tuple(specs)


def parse_request(body: Any) -> Exchange:
    """The Exchange of a ``/v1/chat/completions`` body; a 400 naming the field when it is wrong."""
    data = _dict(body, "body")
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model", "is required (an agent, profile or provider/model name)")
    raw_messages = _list(data.get("messages"), "messages")
    if not raw_messages:
        raise bad_request("messages", "must not be empty")
    system: list[str] = []
    messages: list[InternalMessage] = []
    for i, raw in enumerate(raw_messages):
        msg = _message(raw, f"messages[{i}]")
        if msg.role == "system":
            system.append(msg.text)
        else:
            messages.append(msg)
    stream = data.get("stream", False)
    if not isinstance(stream, bool):
        raise bad_request("stream", "must be true or false")
    options = data.get("stream_options")
    include_usage = (
        bool(_dict(options, "stream_options").get("include_usage")) if options is not None else False
    )
    max_tokens = _number(data, "max_completion_tokens", integer=True) or _number(
        data, "max_tokens", integer=True
    )
    if max_tokens is not None and max_tokens < 1:
        raise bad_request("max_tokens", "must be at least 1")
    temperature = _number(data, "temperature")
    if temperature is not None and not 0 <= temperature <= 2:
        raise bad_request("temperature", "must be between 0 and 2")
    user = data.get("user")
    metadata = data.get("metadata")
    return Exchange(
        model=model,
        messages=tuple(messages),
        system="\n\n".join(system) if system else None,
        tools=_tools(data["tools"]) if data.get("tools") else (),
        stream=stream,
        include_usage=include_usage,
        temperature=temperature,
        max_tokens=max_tokens,
        user=_str(user, "user") if user is not None else None,
        metadata={str(k): str(v) for k, v in _dict(metadata, "metadata").items()} if metadata else {},
    )


# ---- responses -------------------------------------------------------------------------------


def _call_dict(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}


def _usage_dict(outcome: Outcome) -> dict[str, Any]:
    u = outcome.usage
    usage: dict[str, Any] = {
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "total_tokens": u.total_tokens,
    }
    if u.cached_tokens:
        usage["prompt_tokens_details"] = {"cached_tokens": u.cached_tokens}
    if u.reasoning_tokens:
        usage["completion_tokens_details"] = {"reasoning_tokens": u.reasoning_tokens}
    return usage


def render_completion(exchange: Exchange, outcome: Outcome, completion_id: str) -> dict[str, Any]:
    """The non-streaming ``chat.completion`` object."""
    message: dict[str, Any] = {"role": "assistant", "content": outcome.message.text or None}
    if outcome.message.tool_calls:
        message["tool_calls"] = [_call_dict(c) for c in outcome.message.tool_calls]
    elif message["content"] is None:
        message["content"] = ""
    body: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": exchange.model,
        "choices": [{"index": 0, "message": message, "finish_reason": outcome.finish, "logprobs": None}],
        "usage": _usage_dict(outcome),
    }
    if outcome.activity or outcome.session:
        body["agentcore"] = {"tool_calls": list(outcome.activity), "session": outcome.session}
    return body


class ChunkWriter:
    """Renders the event stream as ``chat.completion.chunk`` SSE frames."""

    def __init__(self, exchange: Exchange, completion_id: str) -> None:
        self._head = (
            '{"id":' + json.dumps(completion_id) + ',"object":"chat.completion.chunk","created":'
            f'{int(time.time())},"model":{json.dumps(exchange.model)},'
        ).encode()
        self._include_usage = exchange.include_usage
        self._sent_role = False

    def _frame(
        self, delta: dict[str, Any], finish: str | None = None, extra: dict[str, Any] | None = None
    ) -> bytes:
        if not self._sent_role:
            delta = {"role": "assistant", **delta}
            self._sent_role = True
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        rest: dict[str, Any] = {"choices": [choice]}
        if extra:
            rest.update(extra)
        return b"data: " + self._head + json.dumps(rest, ensure_ascii=False)[1:].encode() + b"\n\n"

    def event(self, event: Event) -> bytes:
        """The frame(s) of one event."""
        if isinstance(event, TextDelta):
            return self._frame({"content": event.text})
        if isinstance(event, ToolCallStarted):
            function = {"name": event.name, "arguments": ""}
            call = {"index": event.index, "id": event.id, "type": "function", "function": function}
            return self._frame({"tool_calls": [call]})
        if isinstance(event, ToolCallDelta):
            return self._frame(
                {"tool_calls": [{"index": event.index, "function": {"arguments": event.arguments_delta}}]}
            )
        if isinstance(event, Activity):
            return self._frame({}, extra={"agentcore": event.data})
        return self._end(event)

    def _end(self, outcome: Outcome) -> bytes:
        extra = {"agentcore": {"session": outcome.session}} if outcome.session else None
        frames = [self._frame({}, outcome.finish, extra)]
        if self._include_usage:
            usage: dict[str, Any] = {"choices": [], "usage": _usage_dict(outcome)}
            frames.append(b"data: " + self._head + json.dumps(usage)[1:].encode() + b"\n\n")
        frames.append(b"data: [DONE]\n\n")
        return b"".join(frames)

    @staticmethod
    def error(err: HttpError) -> bytes:
        """An error after the stream began (the status line is already sent)."""
        return b"data: " + json.dumps(err.openai_body()).encode() + b"\n\ndata: [DONE]\n\n"


async def sse(exchange: Exchange, events: AsyncIterator[Event], completion_id: str) -> AsyncIterator[bytes]:
    """The SSE body of a streaming completion."""
    writer = ChunkWriter(exchange, completion_id)
    async for event in events:
        yield writer.event(event)
