"""Fake LLM provider servers for tests and benchmarks (real HTTP on 127.0.0.1).

Script replies, point the real SDK at ``fake.url``, then inspect ``fake.requests``::

    with FakeOpenAI() as fake:
        fake.reply_tool_calls([("get_weather", {"city": "Paris"})], usage=(12, 7))
        fake.reply_text("It is sunny.")
        client = openai.AsyncOpenAI(base_url=fake.url + "/v1", api_key="test-key", max_retries=0)
        ...
        assert fake.requests[1].json["messages"][-1]["role"] == "tool"

Each reply works for ``stream: false`` and ``stream: true`` requests. When the queue is empty
the default reply (text "ok" unless changed with ``set_default``) is used.
"""

from ._base import (
    DropReply,
    ErrorReply,
    FakeLLMServer,
    RecordedRequest,
    Reply,
    ReplyFn,
    StreamErrorReply,
    TextReply,
    ToolCall,
    ToolCallsReply,
    TrickleReply,
    TruncatedReply,
    Usage,
    UsageLike,
)
from ._http import DropResponse, FullResponse, HttpRequest, HttpServer, StreamResponse
from .anthropic_server import FakeAnthropic, event_stream_frame
from .openai_server import FakeOpenAI

__all__ = [
    "DropReply",
    "DropResponse",
    "ErrorReply",
    "FakeAnthropic",
    "FakeLLMServer",
    "FakeOpenAI",
    "FullResponse",
    "HttpRequest",
    "HttpServer",
    "RecordedRequest",
    "Reply",
    "ReplyFn",
    "StreamErrorReply",
    "StreamResponse",
    "TextReply",
    "ToolCall",
    "ToolCallsReply",
    "TrickleReply",
    "TruncatedReply",
    "Usage",
    "UsageLike",
    "event_stream_frame",
]
