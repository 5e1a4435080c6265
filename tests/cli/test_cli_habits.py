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


class _Terminal:
    """The reading end of a pseudo-terminal; ``until`` consumes output up to and including a marker."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def until(self, marker: bytes, limit: float = 60) -> None:
        import os
        import select
        import time

        end = time.monotonic() + limit
        while marker not in self.buffer:
            ready, _, _ = select.select([self.fd], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                raise AssertionError(f"no {marker!r} in {self.buffer[-500:]!r}")
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk:
                raise AssertionError(f"the terminal closed before {marker!r}")
            self.buffer += chunk
        self.buffer = self.buffer.split(marker, 1)[1]


def test_chat_on_a_terminal_edits_lines_keeps_history_and_leaves_on_ctrl_d(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    import os
    import pty

    fake_openai.reply_text("first answer")
    fake_openai.reply_text("second answer")
    home = tmp_path / "home"
    env = {
        **os.environ,
        "AGENTCORE_HOME": str(home),
        "TERM": "xterm",
        "NO_COLOR": "1",
        "PROMPT_TOOLKIT_NO_CPR": "1",
    }
    main, secondary = pty.openpty()
    proc = subprocess.Popen(
        [AGENTCORE, "chat", "-c", str(cli_config(tmp_path, fake_openai.url))],
        stdin=secondary, stdout=secondary, stderr=secondary, env=env, close_fds=True,
    )  # fmt: skip
    os.close(secondary)
    term = _Terminal(main)
    try:
        term.until(b"you>")
        os.write(main, b"helo\x7flo there\r")  # Backspace edits the line before it is sent
        term.until(b"first answer")
        term.until(b"you>")
        os.write(main, b"\x1b[A")  # Up: the previous line comes back from the history
        os.write(main, b" again\r")
        term.until(b"second answer")
        term.until(b"you>")
        os.write(main, b"\x04")  # Ctrl-D leaves
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main)
    sent = [r.json["messages"][-1]["content"] for r in fake_openai.requests]
    assert sent == ["hello there", "hello there again"]
    assert "hello there again" in (home / "chat_history").read_text()


def test_an_unknown_model_is_warned_about_once_per_model(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    home = {"AGENTCORE_HOME": str(tmp_path / "home")}
    config = str(cli_config(tmp_path, fake_openai.url, model="my-local-finetune"))
    runs: list[str] = []
    for model in ("my-local-finetune", "my-local-finetune", "another-local-model"):
        fake_openai.reply_text("ok")
        proc = run_cli("run", "-c", config, "-m", model, "hi", stdin="", env=home)
        assert proc.returncode == 0, proc.stderr
        runs.append(proc.stderr)
    assert "context.unknown_model" in runs[0] and "my-local-finetune" in runs[0]
    assert "context.unknown_model" not in runs[1]  # the same model again: already said
    assert "context.unknown_model" in runs[2]  # another model: said once for it too


def test_a_silent_open_pipe_does_not_hang_the_run(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_text("ok")
    proc = subprocess.Popen(
        [AGENTCORE, "run", "-c", str(cli_config(tmp_path, fake_openai.url)), "just this"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stderr is not None
        code = proc.wait(timeout=60)  # stdin stays open and silent all along (the output fits a pipe)
        out, err = proc.stdout.read(), proc.stderr.read()
        assert code == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stdin is not None
        proc.stdin.close()
    assert out.strip() == "ok"
    assert "standard input sent nothing" in err
    assert fake_openai.requests[0].json["messages"][-1]["content"] == "just this"
