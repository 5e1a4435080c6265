"""``agentcore run`` as a process: runaway tools, leaky tool errors and broken tool modules."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from tests.fakes import FakeOpenAI
from tests.helpers import write_config

AGENTCORE = str(Path(sys.executable).parent / "agentcore")
KEY = "zq8Fh2kLmN4pQr7sTuVw"  # not shaped like a key: only the configured secret can mask it
TOOL_TIMEOUT = 1.0

TOOLS = """
import threading

from agentcore import tool

@tool
def stuck() -> str:
    '''Never returns.'''
    threading.Event().wait()
    return "unreachable"

@tool
def leaky() -> str:
    '''Fails quoting the key.'''
    raise RuntimeError("upstream refused key KEY\\nwith a second line")
"""


def setup(tmp_path: Path, url: str, tools: dict[str, str]) -> tuple[Path, dict[str, str]]:
    folder = tmp_path / "tools"
    folder.mkdir()
    for name, body in tools.items():
        (folder / name).write_text(textwrap.dedent(body).replace("KEY", KEY), encoding="utf-8")
    data: dict[str, Any] = {
        "llm": {"provider": "openai", "model": "gpt-4o-mini", "apiKey": KEY, "baseURL": url + "/v1"},
        "localTools": [str(folder)],
        "toolTimeout": TOOL_TIMEOUT,
    }
    env = {**os.environ, "NO_COLOR": "1", "AGENTCORE_HOME": str(tmp_path / "home")}  # SQLite there
    env.pop("AGENTCORE_LOG_JSON", None)
    return write_config(tmp_path, data), env


def run(config: Path, env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    proc = subprocess.run(
        [AGENTCORE, "run", "-c", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    return proc, time.monotonic() - started


def test_run_exits_promptly_after_a_runaway_tool_and_the_session_resumes(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    config, env = setup(tmp_path, fake_openai.url, {"runaway.py": TOOLS})
    fake_openai.reply_text("warm")
    fake_openai.reply_text("warm again")
    # What a plain run costs on this (possibly busy) machine, measured twice to absorb noise.
    baseline = max(
        run(config, env, "--session", "w1", "hello")[1], run(config, env, "--session", "w2", "hi")[1]
    )

    fake_openai.reply_tool_calls([("stuck", {})])
    fake_openai.reply_text("gave up on it")
    proc, elapsed = run(config, env, "--session", "s1", "go")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "gave up on it"
    assert "timed out after 1 s" in proc.stderr
    assert elapsed < baseline + TOOL_TIMEOUT + 2, (elapsed, baseline)

    fake_openai.reply_text("resumed")
    proc, elapsed = run(config, env, "--session", "s1", "again")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "resumed"
    assert elapsed < baseline + 2, (elapsed, baseline)
    history = fake_openai.requests[-1].json["messages"]
    assert [m["role"] for m in history[-4:]] == ["assistant", "tool", "assistant", "user"]
    assert "timed out" in history[-3]["content"]


def test_a_failing_tool_is_one_redacted_line(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    config, env = setup(tmp_path, fake_openai.url, {"runaway.py": TOOLS})
    fake_openai.reply_tool_calls([("leaky", {})])
    fake_openai.reply_text("it failed")
    proc, _ = run(config, env, "go")
    assert proc.returncode == 0, proc.stderr
    assert KEY not in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "leaky" in line]
    assert len(lines) == 2, proc.stderr  # "→ leaky …" and "← leaky failed ...: ... key *** with ..."
    assert "failed" in lines[1] and "RuntimeError: upstream refused key ***" in lines[1]
    # The model got the whole message (redacted), second line included.
    sent = fake_openai.requests[-1].json["messages"][-1]["content"]
    assert "with a second line" in sent and KEY not in sent


def test_tool_module_calling_sys_exit_is_a_config_error(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    config, env = setup(tmp_path, fake_openai.url, {"quits.py": "import sys\n\nsys.exit(7)\n"})
    proc, _ = run(config, env, "go")
    assert proc.returncode == 2, proc.stderr
    assert "quits.py:3" in proc.stderr and "sys.exit(7)" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert fake_openai.requests == []


def test_tool_module_with_a_syntax_error_is_a_config_error(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    config, env = setup(tmp_path, fake_openai.url, {"broken.py": "x = 1\ndef f(:\n    pass\n"})
    proc, _ = run(config, env, "go")
    assert proc.returncode == 2, proc.stderr
    assert "broken.py:2" in proc.stderr and "SyntaxError" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
