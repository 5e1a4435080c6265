"""A running gateway for the tests: uvicorn in a thread (its own event loop), on a free port.

The upstream is a fake provider server (tests/fakes); clients are the real ``openai`` and
``anthropic`` SDKs, httpx and curl, over real HTTP.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentcore.config.loader import load_config_from_dict
from agentcore.config.schema import AgentConfig
from tests.fakes import FakeAnthropic, FakeOpenAI

ADMIN = "admin-secret-for-tests-0001"


class Server:
    """A gateway served from a background thread."""

    def __init__(self, config: AgentConfig) -> None:
        import uvicorn

        from agentcore.serve import create_app

        self.config = config
        self.app = create_app(config)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        cfg = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="on")
        self.server = uvicorn.Server(cfg)
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self.loop = asyncio.get_running_loop()
            await self.server.serve(sockets=[self.sock])

        asyncio.run(main())

    def start(self) -> Server:
        self.thread.start()
        for _ in range(600):
            if self.server.started:
                return self
            if not self.thread.is_alive():
                raise RuntimeError("the gateway did not start")
            threading.Event().wait(0.01)
        raise RuntimeError("the gateway did not start in 6 s")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    @property
    def gateway(self) -> Any:
        return self.app.state.gateway

    def call(self, coro: Any, timeout: float = 30) -> Any:
        """Run ``coro`` on the server's event loop (e.g. to create a key with its store)."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


def gateway_config(
    tmp_path: Path, upstream_url: str, *, provider: str = "openai", **extra: Any
) -> AgentConfig:
    """A config whose llm is the fake upstream, with a SQLite database in ``tmp_path``."""
    if provider == "anthropic":
        llm = {
            "provider": "anthropic",
            "model": "claude-haiku-4-5",
            "apiKey": "sk-ant-test-upstream01",
            "baseURL": upstream_url,
        }
    else:
        llm = {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "apiKey": "sk-test-upstream0001",
            "baseURL": upstream_url + "/v1",
        }
    data: dict[str, Any] = {
        "llm": {**llm, "maxRetries": 0},
        "localTools": [],
        "storage": {"url": f"sqlite:///{tmp_path / 'gateway.db'}"},
        "serve": {"adminKey": ADMIN, "keyCacheSeconds": 0},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return load_config_from_dict(data, base_dir=tmp_path)


def run_server(config: AgentConfig) -> Iterator[Server]:
    server = Server(config).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def gateway(tmp_path: Path, fake_openai: FakeOpenAI) -> Iterator[Server]:
    """A gateway in front of ``fake_openai``."""
    yield from run_server(gateway_config(tmp_path, fake_openai.url))


@pytest.fixture
def anthropic_gateway(tmp_path: Path, fake_anthropic: FakeAnthropic) -> Iterator[Server]:
    """A gateway whose llm is ``fake_anthropic``."""
    yield from run_server(gateway_config(tmp_path, fake_anthropic.url, provider="anthropic"))
