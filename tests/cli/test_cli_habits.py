"""Command-line habits users bring from `llm` and other tools: piped stdin, --system, --no-stream."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.cli.test_run_cli import AGENTCORE, run_cli
from tests.fakes import FakeOpenAI
from tests.helpers import cli_config


def test_piped_stdin_is_joined_with_the_prompt(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_text("a summary")
    config = str(cli_config(tmp_path, fake_openai.url))
    notes = tmp_path / "notes.txt"
    notes.write_text("line one\nline two\n")
    # a real shell pipe, as a user types it
    proc = subprocess.run(
        f"cat {notes} | {AGENTCORE} run -c {config} summarise",
        shell=True, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "a summary"
    sent = fake_openai.requests[0].json["messages"][-1]["content"]
    assert sent == "summarise\n\nline one\nline two\n"


def test_no_piped_input_leaves_the_prompt_alone(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_text("ok")
    proc = subprocess.run(
        [AGENTCORE, "run", "-c", str(cli_config(tmp_path, fake_openai.url)), "just this"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert fake_openai.requests[0].json["messages"][-1]["content"] == "just this"


def test_system_replaces_the_configured_system_prompt(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_text("arr")
    config = str(cli_config(tmp_path, fake_openai.url))
    proc = run_cli("run", "-c", config, "--system", "You are a pirate.", "hello", stdin="")
    assert proc.returncode == 0, proc.stderr
    messages = fake_openai.requests[0].json["messages"]
    assert messages[0] == {"role": "system", "content": "You are a pirate."}


def test_no_stream_sends_one_plain_request(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_text("the whole answer")
    config = str(cli_config(tmp_path, fake_openai.url))
    streamed = run_cli("run", "-c", config, "hi", stdin="")
    fake_openai.reply_text("the whole answer")
    plain = run_cli("run", "-c", config, "--no-stream", "hi", stdin="")
    assert streamed.returncode == 0 and plain.returncode == 0, streamed.stderr + plain.stderr
    assert fake_openai.requests[0].json.get("stream") is True
    assert "stream" not in fake_openai.requests[1].json
    assert plain.stdout == "the whole answer\n"
