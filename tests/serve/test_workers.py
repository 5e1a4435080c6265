"""Several gateway processes on PostgreSQL + Redis: sessions, keys and limits shared between them.

Two servers (``python -m agentcore serve``) play two hosts behind a load balancer: every session's
turns alternate between them. A third run with ``--workers 2`` shows the limits hold across
workers that the kernel picks.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.fakes import FakeOpenAI, RecordedRequest
from tests.helpers import require_redis, write_config
from tests.storage.conftest import PG_DSN, Db, make_db

ADMIN = "admin-secret-for-workers-01"
REDIS = "redis://127.0.0.1:6379/0"
SESSIONS, TURNS = 50, 10
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[Db]:
    require_redis()
    yield from make_db("postgres", tmp_path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _echo(request: RecordedRequest) -> str:
    last = request.body_dict["messages"][-1]["content"]
    return f"echo {last}"


class Servers:
    def __init__(self, config: Path, count: int, workers: int) -> None:
        self.ports = [_free_port() for _ in range(count)]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("AGENTCORE_LOG_JSON", None)
        self.procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "agentcore",
                    "serve",
                    "-c",
                    str(config),
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for port in self.ports
        ]
        self.urls = [f"http://127.0.0.1:{p}" for p in self.ports]
        deadline = time.monotonic() + 60
        for url, proc in zip(self.urls, self.procs, strict=True):
            while True:
                try:
                    if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise RuntimeError(f"the server did not start: {err[-2000:]}")
                time.sleep(0.1)

    def stop(self) -> list[int]:
        """SIGTERM each server; 0 for a clean drain and exit (uvicorn re-raises the signal it
        caught once it has shut down, so a single-process server ends by SIGTERM)."""
        for proc in self.procs:
            proc.terminate()
        return [
            0 if code in (0, -signal.SIGTERM) else code for code in (p.wait(timeout=60) for p in self.procs)
        ]


def _config(tmp_path: Path, pg: Db, fake: FakeOpenAI) -> Path:
    return write_config(
        tmp_path,
        {
            "llm": {"provider": "openai", "model": "gpt-4o-mini", "apiKey": "sk-test-upstream0001",
                    "baseURL": fake.url + "/v1", "maxRetries": 0},
            "localTools": [],
            "storage": {"url": pg.url, "redis": REDIS},
            "serve": {"adminKey": ADMIN, "keyCacheSeconds": 0, "drainTimeout": 10},
        },
    )  # fmt: skip


async def _session(client: httpx.AsyncClient, urls: list[str], n: int) -> None:
    name = f"s{n}-{uuid.uuid4().hex[:6]}"
    for turn in range(TURNS):
        r = await client.post(
            urls[(n + turn) % len(urls)] + "/v1/chat/completions",
            json={"model": "agent", "messages": [{"role": "user", "content": f"{name} turn {turn}"}]},
            headers={"Authorization": f"Bearer {ADMIN}", "X-Session-Id": name},
        )
        assert r.status_code == 200, r.text
        assert r.json()["choices"][0]["message"]["content"] == f"echo {name} turn {turn}"


def test_50_sessions_x_10_turns_across_two_servers(tmp_path: Path, pg: Db, fake_openai: FakeOpenAI) -> None:
    fake_openai.set_default(_echo)
    servers = Servers(_config(tmp_path, pg, fake_openai), count=2, workers=1)
    try:

        async def main() -> None:
            limits = httpx.Limits(max_connections=100)
            async with httpx.AsyncClient(timeout=60, limits=limits) as client:
                await asyncio.gather(*(_session(client, servers.urls, n) for n in range(SESSIONS)))

        asyncio.run(main())
    finally:
        codes = servers.stop()
    assert codes == [0, 0]
    rows = pg.query(
        "SELECT s.name, m.seq, m.role, m.content FROM agentcore_messages m "
        "JOIN agentcore_sessions s ON s.id = m.session_id ORDER BY s.name, m.seq"
    )
    by_session: dict[str, list[tuple[str, Any]]] = {}
    for name, _seq, role, content in rows:
        by_session.setdefault(name, []).append((role, content))
    assert len(by_session) == SESSIONS
    for name, messages in by_session.items():
        expected = []
        for turn in range(TURNS):
            expected += [("user", f"{name} turn {turn}"), ("assistant", f"echo {name} turn {turn}")]
        assert [(r, str(c)) for r, c in messages] == [(r, c) for r, c in expected], name
    # every turn's request carried the whole history, whichever server answered it
    for request in fake_openai.requests:
        sent = [m for m in request.body_dict["messages"] if m["role"] != "system"]
        turn = int(sent[-1]["content"].rsplit(" ", 1)[1])
        assert len(sent) == 2 * turn + 1


def test_rate_limits_hold_across_workers(tmp_path: Path, pg: Db, fake_openai: FakeOpenAI) -> None:
    from agentcore.serve.keys import KeyStore

    config = _config(tmp_path, pg, fake_openai)

    async def create() -> str:
        from agentcore.storage.db import dispose_engines

        secret, _ = await KeyStore(pg.url).create("limited", rpm=10)
        await dispose_engines()
        return secret

    key = asyncio.run(create())
    servers = Servers(config, count=1, workers=2)
    try:

        async def burst() -> list[int]:
            async def one() -> int:
                # a new connection per request: the kernel spreads them over both workers
                async with httpx.AsyncClient(timeout=30) as client:
                    r = await client.post(
                        servers.urls[0] + "/v1/chat/completions",
                        json={"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
                        headers={"Authorization": f"Bearer {key}"},
                    )
                    return r.status_code

            return list(await asyncio.gather(*(one() for _ in range(30))))

        codes = asyncio.run(burst())
        metrics = httpx.get(servers.urls[0] + "/metrics").text
    finally:
        assert servers.stop() == [0]
    if time.gmtime().tm_sec == 59:  # pragma: no cover - the burst may have straddled a minute
        pytest.skip("the burst straddled a minute boundary")
    assert sorted(codes) == [200] * 10 + [429] * 20
    # /metrics sums every worker's samples
    assert 'status="200"} 10.0' in metrics and 'status="429"} 20.0' in metrics
    assert PG_DSN  # the same database both times
