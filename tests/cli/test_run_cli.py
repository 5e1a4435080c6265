"""``agentcore run`` and ``chat`` as a user runs them: a real process against the fake server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fakes import FakeOpenAI, ToolCallsReply
from tests.helpers import cli_config, write_config

AGENTCORE = str(Path(sys.executable).parent / "agentcore")


def run_cli(
    *args: str, stdin: str | None = None, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [AGENTCORE, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=full_env,
        check=False,
    )


def test_run_prints_the_answer(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_text("Paris is the capital.")
    proc = run_cli("run", "--config", str(cli_config(tmp_path, fake_openai.url)), "Capital of France?")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Paris is the capital."
    assert fake_openai.requests[0].json["messages"][-1] == {"role": "user", "content": "Capital of France?"}


def test_run_json_reports_tool_calls_iterations_and_usage(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_tool_calls([("calculate", {"expression": "6*7"})], usage=(30, 10))
    fake_openai.reply_text("42", usage=(50, 2))
    proc = run_cli("run", "--json", "-c", str(cli_config(tmp_path, fake_openai.url)), "what is 6*7")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["answer"] == "42"
    assert out["iterations"] == 2
    assert out["stop_reason"] == "final"
    assert out["usage"]["prompt_tokens"] == 80 and out["usage"]["completion_tokens"] == 12
    assert out["tool_calls"][0]["name"] == "calculate"
    assert out["tool_calls"][0]["result"] == "42"


def test_run_reads_the_prompt_from_stdin(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    proc = run_cli("run", "-c", str(cli_config(tmp_path, fake_openai.url)), "-", stdin="from a pipe\n")
    assert proc.returncode == 0, proc.stderr
    assert fake_openai.requests[0].json["messages"][-1]["content"] == "from a pipe\n"


def test_run_shows_tool_activity_on_stderr(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_tool_calls([("calculate", {"expression": "1+1"})])
    fake_openai.reply_text("2")
    proc = run_cli("run", "-c", str(cli_config(tmp_path, fake_openai.url)), "1+1?")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "2"
    assert "calculate" in proc.stderr and "done" in proc.stderr


def test_run_stops_at_the_limit_with_exit_code_3(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.set_default(ToolCallsReply([("calculate", {"expression": "1"})]))
    proc = run_cli("run", "-c", str(cli_config(tmp_path, fake_openai.url, maxIterations=2)), "loop")
    assert proc.returncode == 3
    assert "maxIterations" in proc.stderr
    assert len(fake_openai.requests) == 2


def test_provider_error_is_one_line_without_traceback(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_error(401, message="Incorrect API key provided")
    proc = run_cli("run", "-c", str(cli_config(tmp_path, fake_openai.url)), "hi")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "HTTP 401" in lines[0] and "Incorrect API key" in lines[0]
    assert "sk-test-0123456789abcdef" not in proc.stderr


def test_config_error_exits_2_with_key_path(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"llm": {"provider": "openai", "modle": "x"}})
    proc = run_cli("run", "-c", str(path), "hi")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "modle" in proc.stderr and "did you mean 'model'" in proc.stderr


def test_chat_runs_turns_and_slash_commands(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_text("first answer")
    fake_openai.reply_text("second answer")
    script = "/help\nhello\n/reset\nagain\n/exit\n"
    proc = run_cli("chat", "-c", str(cli_config(tmp_path, fake_openai.url)), stdin=script)
    assert proc.returncode == 0, proc.stderr
    assert "/reset" in proc.stdout and "first answer" in proc.stdout and "second answer" in proc.stdout
    # /reset really empties the conversation: the second request carries only the new message.
    assert [m["role"] for m in fake_openai.requests[1].json["messages"] if m["role"] != "system"] == ["user"]


def test_chat_without_any_config_explains_what_to_do(tmp_path: Path) -> None:
    # AGENTCORE_BUILTIN_MODEL=off: as on an install without the built-in model (agentcore[local])
    env = {
        "HOME": str(tmp_path),
        "OPENAI_API_KEY": "",
        "AGENTCORE_CONFIG": "",
        "AGENTCORE_BUILTIN_MODEL": "off",
    }
    proc = run_cli("chat", cwd=tmp_path, env=env, stdin="")
    assert "Traceback" not in proc.stderr
    assert "OPENAI_API_KEY" in proc.stderr and "Ollama" in proc.stderr


def test_help_and_version_do_not_import_the_sdks() -> None:
    code = (
        "import sys\n"
        "from agentcore.cli.app import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('openai', 'anthropic', 'mcp', 'sqlmodel', 'sqlalchemy', 'tiktoken') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("agentcore ")
