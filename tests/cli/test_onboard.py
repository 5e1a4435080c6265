"""Finding a local OpenAI-compatible server when nothing is configured."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agentcore.cli._onboard import find_local_server


class _Models(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/v1/models":
            body = json.dumps({"object": "list", "data": [{"id": "llama3.2:3b"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def models_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Models)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_finds_the_first_listening_server_and_its_model(models_server: str) -> None:
    closed = "http://127.0.0.1:9/v1"  # discard port: nothing listens
    found = find_local_server((("ollama", closed), ("lmstudio", models_server)))
    assert found is not None
    assert (found.provider, found.base_url, found.model) == ("lmstudio", models_server, "llama3.2:3b")


def test_nothing_listening_gives_none() -> None:
    assert find_local_server((("ollama", "http://127.0.0.1:9/v1"),)) is None
