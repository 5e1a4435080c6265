"""SIGTERM drains: the request in flight is answered, the call log is flushed, the process exits."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import httpx2 as httpx

from tests.fakes import FakeOpenAI
from tests.helpers import write_config
from tests.serve.test_workers import Servers

ADMIN = "admin-secret-for-drain-001"


def test_sigterm_finishes_in_flight_requests_and_flushes_the_call_log(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    db = tmp_path / "drain.db"
    config = write_config(
        tmp_path,
        {
            "llm": {"provider": "openai", "model": "gpt-4o-mini", "apiKey": "sk-test-upstream0001",
                    "baseURL": fake_openai.url + "/v1", "maxRetries": 0},
            "localTools": [],
            "storage": {"url": f"sqlite:///{db}"},
            "serve": {"adminKey": ADMIN, "drainTimeout": 20},
        },
    )  # fmt: skip
    fake_openai.reply_text("slow answer", delay_s=1.0)
    servers = Servers(config, count=1, workers=1)
    result: list[httpx.Response] = []

    def call() -> None:
        result.append(
            httpx.post(
                servers.urls[0] + "/v1/chat/completions",
                json={"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
                headers={"Authorization": f"Bearer {ADMIN}"},
                timeout=30,
            )
        )

    thread = threading.Thread(target=call)
    thread.start()
    deadline = time.monotonic() + 20
    while not fake_openai.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert servers.stop() == [0]  # SIGTERM while the upstream is still answering
    thread.join(30)
    assert result and result[0].status_code == 200
    assert result[0].json()["choices"][0]["message"]["content"] == "slow answer"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM llm_call_logs").fetchall() == [("success",)]
