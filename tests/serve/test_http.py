"""Raw HTTP: curl -N for SSE, health and readiness, metrics, and a client that goes away mid-stream."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.fakes import FakeOpenAI
from tests.serve.conftest import ADMIN, Server

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def test_curl_sees_raw_sse_frames(gateway: Server, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_text("hello over curl", usage=(3, 4))
    body = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "stream": True,
            "stream_options": {"include_usage": True}}  # fmt: skip
    out = subprocess.run(
        ["curl", "-sN", gateway.url + "/v1/chat/completions", "-H", f"Authorization: Bearer {ADMIN}",
         "-H", "Content-Type: application/json", "-d", json.dumps(body)],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    frames = [f for f in out.stdout.split("\n\n") if f]
    assert all(f.startswith("data: ") for f in frames)
    assert frames[-1] == "data: [DONE]"
    chunks = [json.loads(f[6:]) for f in frames[:-1]]
    assert chunks[0]["object"] == "chat.completion.chunk"
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert (
        "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
        == "hello over curl"
    )
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 7


def test_health_readiness_and_metrics(gateway: Server, fake_openai: FakeOpenAI) -> None:
    assert httpx.get(gateway.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(gateway.url + "/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"]["ok"] is True
    fake_openai.reply_text("ok", usage=(5, 2))
    httpx.post(
        gateway.url + "/v1/chat/completions",
        json={"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    httpx.post(gateway.url + "/v1/chat/completions", json={})  # a 401
    text = httpx.get(gateway.url + "/metrics").text
    assert (
        'agentcore_gateway_requests_total{endpoint="chat_completions",model="openai/gpt-4o-mini",status="200"} 1.0'
        in text
    )
    assert 'agentcore_gateway_requests_total{endpoint="chat_completions",model="-",status="401"} 1.0' in text
    assert 'agentcore_gateway_tokens_total{kind="prompt",model="openai/gpt-4o-mini"} 5.0' in text
    assert "agentcore_gateway_request_seconds_bucket" in text and "agentcore_gateway_in_flight 0.0" in text


def test_readyz_is_503_when_redis_is_down(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    from tests.serve.conftest import gateway_config, run_server

    config = gateway_config(tmp_path, fake_openai.url, storage={"redis": "redis://127.0.0.1:1/0"})
    for server in run_server(config):
        ready = httpx.get(server.url + "/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["counters"]["ok"] is False


async def test_client_disconnect_cancels_the_upstream_request(
    gateway: Server, fake_openai: FakeOpenAI
) -> None:
    fake_openai.chunk_delay_s = 0.2
    fake_openai.reply_text("a long answer " * 40)
    body = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    async with (
        httpx.AsyncClient(timeout=30) as client,
        client.stream(
            "POST",
            gateway.url + "/v1/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {ADMIN}"},
        ) as response,
    ):
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                break  # one chunk, then hang up
    for _ in range(500):  # the server notices the disconnect and the in-flight gauge drops
        if "agentcore_gateway_in_flight 0.0" in httpx.get(gateway.url + "/metrics").text:
            break
        await asyncio.sleep(0.01)
    gateway.stop()
    db = Path(str(gateway.config.storage.url).removeprefix("sqlite:///"))
    with sqlite3.connect(db) as conn:
        statuses = [r[0] for r in conn.execute("SELECT status FROM llm_call_logs")]
    assert statuses == ["cancelled"]
