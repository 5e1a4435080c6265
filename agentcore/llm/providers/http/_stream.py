"""A streamed answer: bytes -> frames (sse | ndjson | lines) -> JSON chunks -> our events.

Network chunks do not respect lines, so a partial line is kept until its end arrives (the seed's
``remain_str``). A frame that is not JSON (a keep-alive, a banner) is skipped with a debug log.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from typing import Any, cast

from agentcore.config.http_schema import HttpChunkFilter, HttpResponseMapping, HttpStreamConfig
from agentcore.errors import ConfigError
from agentcore.llm.events import (
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallStarted,
    TurnComplete,
    UsageReport,
)
from agentcore.llm.providers.http import _response as resp
from agentcore.llm.providers.http._paths import MISSING, get_path
from agentcore.logs import get_logger
from agentcore.messages import InternalMessage, ToolCall, Usage

log = get_logger("agentcore.llm.http")


async def lines(chunks: AsyncIterable[bytes]) -> AsyncIterator[str]:
    """Complete lines (without their ending), however the bytes were split."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    remain = ""
    async for chunk in chunks:
        remain += decoder.decode(chunk)
        *complete, remain = remain.split("\n")
        for line in complete:
            yield line.removesuffix("\r")
    remain += decoder.decode(b"", final=True)
    if remain:
        yield remain.removesuffix("\r")


async def frames(chunks: AsyncIterable[bytes], framing: str) -> AsyncIterator[str]:
    """The payloads: SSE events' joined ``data:`` lines, or each non-empty line."""
    if framing != "sse":
        async for line in lines(chunks):
            if line.strip():
                yield line
        return
    data: list[str] = []
    async for line in lines(chunks):
        if not line:
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)
        # event:, id:, retry: and ":" comments carry nothing we map
    if data:
        yield "\n".join(data)


def compare(chunk: Any, rule: HttpChunkFilter) -> bool:
    """Whether ``rule`` matches ``chunk``."""
    value = get_path(chunk, rule.path)
    if rule.op == "exists":
        wanted = True if rule.value is None else bool(rule.value)
        return (value is not MISSING) == wanted
    if value is MISSING:
        return rule.op == "!="
    if rule.op == "==":
        return value == rule.value
    if rule.op == "!=":
        return value != rule.value
    if rule.op == "in":
        return isinstance(rule.value, list) and value in cast(list[Any], rule.value)
    # contains: a substring of text, or a member of a list
    if isinstance(value, str | list):
        return rule.value in cast(str | list[Any], value)
    return False


@dataclass
class _Call:
    id: str
    name: str
    complete: bool = False
    arguments: list[str] = field(default_factory=list[str])


class StreamMapper:
    """Turns chunks into events and, at the end, one TurnComplete."""

    def __init__(self, config: HttpStreamConfig, response: HttpResponseMapping, provider: str) -> None:
        self.config = config
        self.provider = provider
        self.matcher = re.compile(config.chunk_match) if config.chunk_match else None
        self.text_path = config.text or response.text
        self.finish_path = config.finish_reason or response.finish_reason
        self.calls_mapping = config.tool_calls or response.tool_calls
        self.usage_mapping = config.usage or response.usage
        self.error_mapping = response.error
        self.text: list[str] = []
        self.calls: dict[int, _Call] = {}
        self.usage: Usage | None = None
        self.finish: str | None = None
        self.done = False
        self.text_seen = False
        self.chunks: list[Any] = []  # kept only for ``providers test``
        self.keep_chunks = False

    def parse(self, frame: str) -> Any:
        """The JSON chunk in ``frame``; MISSING for a frame to skip, None at the done marker."""
        payload = frame
        if self.matcher is not None:
            match = self.matcher.search(frame)
            if match is None:
                log.debug("http.frame_skipped", provider=self.provider, reason="no chunkMatch")
                return MISSING
            payload = match.group(1) if match.groups() else match.group(0)
        if self.config.done_marker is not None and payload.strip() == self.config.done_marker:
            return None
        try:
            return json.loads(payload)
        except ValueError:
            log.debug("http.frame_skipped", provider=self.provider, reason="not JSON", size=len(payload))
            return MISSING

    def feed(self, chunk: Any) -> list[StreamEvent]:
        """The events of one chunk (after ``chunkFilter``)."""
        if self.keep_chunks:
            self.chunks.append(chunk)
        blank: set[str] = set()
        for rule in self.config.chunk_filter:
            if compare(chunk, rule):
                if rule.field is None:
                    return []
                blank.add(rule.field)
        self._check_error(chunk)
        events: list[StreamEvent] = []
        if self.text_path is not None and "text" not in blank:
            value = get_path(chunk, self.text_path)
            if value is not MISSING:
                self.text_seen = True
            piece = resp.text_value(value)
            if piece:
                self.text.append(piece)
                events.append(TextDelta(piece))
        if self.calls_mapping is not None and "toolCalls" not in blank:
            events.extend(self._calls(chunk))
        if "usage" not in blank:
            found = resp.usage(chunk, self.usage_mapping)
            if found is not None:
                self.usage = found
        if self.finish_path is not None and "finishReason" not in blank:
            finish = resp.text_value(get_path(chunk, self.finish_path))
            if finish:
                self.finish = finish
        if self.config.done is not None and get_path(chunk, self.config.done) is True:
            self.done = True
        return events

    def _check_error(self, chunk: Any) -> None:
        # Only the configured paths: a chunk's own "message" field is usually content, not an error.
        if self.error_mapping.message is None or not isinstance(chunk, dict):
            return
        message = resp.text_value(get_path(chunk, self.error_mapping.message))
        if message:
            code = (
                resp.text_value(get_path(chunk, self.error_mapping.code)) if self.error_mapping.code else None
            )
            raise resp.HttpCallError(None, message, code, auth=resp.is_auth_code(code, self.error_mapping))

    def _calls(self, chunk: Any) -> list[StreamEvent]:
        mapping = self.calls_mapping
        assert mapping is not None
        events: list[StreamEvent] = []
        for position, item in enumerate(resp.tool_call_items(chunk, mapping)):
            raw_index = get_path(item, mapping.index) if mapping.index else MISSING
            index = raw_index if isinstance(raw_index, int) else position
            call_id = get_path(item, mapping.id) if mapping.id else MISSING
            name = get_path(item, mapping.name)
            raw_args = get_path(item, mapping.arguments)
            current = self.calls.get(index)
            fresh_id = isinstance(call_id, str) and call_id and current is not None and call_id != current.id
            if current is None or current.complete or fresh_id:
                if current is not None:
                    index = max(self.calls) + 1  # a whole new call sent at a position already used
                current = _Call(
                    str(call_id) if isinstance(call_id, str) and call_id else resp.new_call_id(),
                    name if isinstance(name, str) else "",
                )
                self.calls[index] = current
                events.append(ToolCallStarted(current.id, current.name, index))
            elif isinstance(name, str) and name and not current.name:
                current.name = name
            fragment = resp.arguments_text(raw_args)
            if fragment:
                current.arguments.append(fragment)
                events.append(ToolCallDelta(current.id, fragment, index))
            if isinstance(raw_args, dict):
                current.complete = True
        return events

    def finish_turn(self) -> list[StreamEvent | TurnComplete]:
        """The closing UsageReport and TurnComplete; an error when no chunk had the text path."""
        calls = tuple(
            ToolCall(c.id, c.name, "".join(c.arguments) or "{}")
            for _, c in sorted(self.calls.items())
            if c.name
        )
        if self.text_path is not None and not self.text_seen and not calls:
            where = "llm.http.stream.text" if self.config.text else "llm.http.response.text"
            raise ConfigError(
                f"{self.provider}: no streamed chunk has the path '{self.text_path}'",
                key_path=where,
                hint="fix the path; `agentcore providers test --stream` shows each chunk",
            )
        usage = self.usage if self.usage is not None else Usage(reported=False)
        message = InternalMessage.assistant("".join(self.text) or None, calls)
        return [UsageReport(usage), TurnComplete(message, usage, self.finish)]
