"""``agentcore run`` against a failing stream: one line on the terminal, a retry, never a traceback."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_run_cli import run_cli
from tests.fakes import FakeOpenAI
from tests.helpers import cli_config


def test_stream_error_event_is_retried_then_answered(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_stream_error("", after_chunks=1, message="upstream overloaded")
    fake_openai.reply_text("after the retry")
    config = cli_config(tmp_path, fake_openai.url, retry={"baseDelay": 0.01})
    proc = run_cli("run", "-c", str(config), "hi")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "after the retry"
    assert "Traceback" not in proc.stderr
    assert len(fake_openai.requests) == 2


def test_stream_failures_that_persist_end_in_one_line(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_stream_error("", after_chunks=1, message="upstream overloaded")
    fake_openai.reply_cut("CUT", after_chunks=1)
    config = cli_config(tmp_path, fake_openai.url, maxRetries=1, retry={"baseDelay": 0.01})
    proc = run_cli("run", "-c", str(config), "hi")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and "CUT" not in proc.stdout
    # one warning line per retry, then the error in one line
    lines = [line for line in proc.stderr.splitlines() if line.strip() and "llm.retry" not in line]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error:") and "ended before" in lines[0] and "after 2 attempts" in lines[0]
