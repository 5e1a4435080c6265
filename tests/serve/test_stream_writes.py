"""A streamed answer whose upstream chunks arrive together leaves the gateway in one write."""

from __future__ import annotations

import json
import socket

from tests.fakes import FakeOpenAI, TextReply
from tests.serve.conftest import ADMIN, Server

TEXT = "The sum is done and the answer is ready."


def _raw_stream(server: Server) -> list[bytes]:
    """The chunked-encoding pieces of one streamed completion, as the socket delivered them."""
    body = json.dumps(
        {
            "model": "openai/gpt-4o-mini",
            "messages": [{"role": "user", "content": "hi"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    ).encode()
    head = (
        "POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\n"
        f"authorization: Bearer {ADMIN}\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head.encode() + body)
        data = b""
        while not data.endswith(b"0\r\n\r\n"):
            more = sock.recv(65536)
            assert more, "the gateway closed the connection mid-answer"
            data += more
    status, _, rest = data.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 200") and b"transfer-encoding: chunked" in status.lower()
    pieces: list[bytes] = []
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        pieces.append(rest[:size])
        rest = rest[size + 2 :]
    return pieces


def test_chunks_ready_together_are_one_write(gateway: Server, fake_openai: FakeOpenAI) -> None:
    fake_openai.chunk_chars = 4  # ten text chunks, all sent at once
    fake_openai.set_default(lambda _rec: TextReply(TEXT, usage=(5, 12)))
    pieces = _raw_stream(gateway)
    data = b"".join(pieces)
    events = [line[6:] for line in data.split(b"\n") if line.startswith(b"data: ")]
    assert events[-1] == b"[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == TEXT and chunks[-1]["usage"]["completion_tokens"] == 12
    # Every frame in order, but far fewer body pieces than frames (each piece is one socket write).
    assert len(events) >= 12 and len(pieces) <= 3
