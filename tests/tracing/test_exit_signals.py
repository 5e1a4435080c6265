"""SIGTERM/SIGHUP to ``agentcore run``/``chat`` lose nothing: the finished call's row is written
and the attempt in flight is logged as ``cancelled``, exactly as with Ctrl-C."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli.test_run_cli import AGENTCORE
from tests.conftest import SCANNED_DATABASES
from tests.fakes import FakeOpenAI
from tests.helpers import cli_config


def _wait_for_requests(fake: FakeOpenAI, n: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while len(fake.requests) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the CLI never sent its request"
        time.sleep(0.02)


def _rows(db: Path) -> list[tuple[str, str, int | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT status, purpose, prompt_tokens FROM llm_call_logs ORDER BY created_at"
        ).fetchall()


@pytest.mark.parametrize(
    ("command", "signum"), [("run", signal.SIGTERM), ("chat", signal.SIGTERM), ("run", signal.SIGHUP)]
)
def test_a_termination_signal_writes_the_finished_and_the_in_flight_rows(
    fake_openai: FakeOpenAI, tmp_path: Path, command: str, signum: signal.Signals
) -> None:
    db = tmp_path / "calls.db"
    SCANNED_DATABASES.append(db)
    config = cli_config(tmp_path, fake_openai.url)
    config.write_text(config.read_text().replace("memory://", f"sqlite:///{db}"))
    if command == "run":
        fake_openai.reply_tool_calls([("calculate", {"expression": "6*7"})], usage=(30, 10))
        args, stdin = [AGENTCORE, "run", "-c", str(config), "what is 6*7"], None
    else:
        fake_openai.reply_text("hello back", usage=(30, 10))
        args, stdin = [AGENTCORE, "chat", "-c", str(config)], "hello\nand now?\n"
    fake_openai.reply_text("held", usage=(1, 1), delay_s=10)  # the server holds the second request
    proc = subprocess.Popen(
        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdin is not None
    if stdin:
        proc.stdin.write(stdin)
        proc.stdin.flush()
    _wait_for_requests(fake_openai, 2, proc)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 128 + signum, err
    assert _rows(db) == [("success", "turn", 30), ("cancelled", "turn", None)]
