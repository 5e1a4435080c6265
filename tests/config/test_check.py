"""``agentcore config check``: every problem listed, the key required, ``--online`` asks the provider."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fakes import FakeOpenAI

AGENTCORE = str(Path(sys.executable).parent / "agentcore")
REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    child_env = {
        k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "AGENTCORE_LOG_JSON"
    }
    child_env.update({"NO_COLOR": "1", "PYTHONPATH": str(REPO), **(env or {})})
    return subprocess.run(
        [AGENTCORE, *args], capture_output=True, text=True, timeout=60, cwd=cwd, env=child_env, check=False
    )


def test_check_lists_every_problem_and_run_names_the_first_with_a_count(tmp_path: Path) -> None:
    (tmp_path / "prompt.bin").write_bytes(b"\x00\x01binary")
    cfg = tmp_path / "cipher.yml"
    cfg.write_text(
        "llm:\n"
        "  provider: openai\n"
        "  model: ''\n"
        "  timeout: .inf\n"
        "  baseURL: localhost:1234\n"
        "storage:\n"
        "  url: mysql://db\n"
        "toolTimeout: -1\n",
        encoding="utf-8",
    )
    proc = cli("config", "check", "-c", str(cfg), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert lines[-1] == "5 problems found"
    assert sorted(line.split(": ")[0] for line in lines[:-1]) == [
        f"{cfg}:3 llm.model",
        f"{cfg}:4 llm.timeout",
        f"{cfg}:5 llm.baseURL",
        f"{cfg}:7 storage.url",
        f"{cfg}:8 toolTimeout",
    ]
    proc = cli("run", "-c", str(cfg), "hi", cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"error: {cfg}:")
    assert line.endswith("(and 4 more problems)")


def test_check_reports_problems_found_after_loading_together(tmp_path: Path) -> None:
    # Each of these passes the schema; only reading the files, the storage and the provider finds them.
    (tmp_path / "blocker").write_text("a file", encoding="utf-8")
    (tmp_path / "prompt.png").write_bytes(b"\x89PNG\x00\x00")
    cfg = tmp_path / "cipher.yml"
    cfg.write_text(
        "llm:\n"
        "  provider: openai\n"
        "  model: gpt-4o\n"
        "systemPrompt:\n"
        "  file: prompt.png\n"
        "logging:\n"
        "  jsonFile: blocker/log.jsonl\n"
        "storage:\n"
        "  url: sqlite:///blocker/x.db\n"
        "localTools: [./missing-tools]\n",
        encoding="utf-8",
    )
    proc = cli("config", "check", "-c", str(cfg), cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert lines[-1] == "5 problems found"
    assert [line.split(": ")[0] for line in lines[:-1]] == [
        f"{cfg}:5 systemPrompt.file",
        f"{cfg}:7 logging.jsonFile",
        f"{cfg}:9 storage.url",
        f"{cfg}:1 llm.apiKey",
        f"{cfg}:10 localTools[0]",
    ]
    assert "no API key for provider 'openai'" in lines[3]


def test_a_key_from_the_environment_satisfies_the_check(tmp_path: Path) -> None:
    cfg = tmp_path / "cipher.yml"
    cfg.write_text("llm:\n  provider: openai\n  model: gpt-4o\n", encoding="utf-8")
    assert cli("config", "check", "-c", str(cfg), cwd=tmp_path).returncode == 2
    proc = cli(
        "config", "check", "-c", str(cfg), cwd=tmp_path, env={"OPENAI_API_KEY": "sk-test-from-env-0123"}
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"config OK: {cfg}")


def test_online_sends_one_small_request_and_reports_the_answer(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    cfg = tmp_path / "cipher.yml"
    cfg.write_text(
        f"llm:\n  provider: openai\n  model: gpt-4o\n  apiKey: sk-test-online-0123456\n"
        f"  baseURL: {fake_openai.url}/v1\nstorage:\n  url: memory://\n",
        encoding="utf-8",
    )
    fake_openai.reply_text("ok")
    proc = cli("config", "check", "--online", "-c", str(cfg), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1] == "openai (gpt-4o) answered a test request"
    assert len(fake_openai.requests) == 1
    body = fake_openai.requests[0].json
    assert body["max_tokens"] == 8 or body.get("max_completion_tokens") == 8
    # Without --online nothing is sent.
    assert cli("config", "check", "-c", str(cfg), cwd=tmp_path).returncode == 0
    assert len(fake_openai.requests) == 1


def test_online_reports_a_refused_key_once_without_retrying(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    cfg = tmp_path / "cipher.yml"
    cfg.write_text(
        f"llm:\n  provider: openai\n  model: gpt-4o\n  apiKey: sk-test-refused-0123456\n"
        f"  baseURL: {fake_openai.url}/v1\nstorage:\n  url: memory://\n",
        encoding="utf-8",
    )
    fake_openai.reply_error(401, message="Incorrect API key provided: sk-test-refused-0123456")
    proc = cli("config", "check", "--online", "-c", str(cfg), cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"{cfg}:1 llm: openai did not answer a test request: ")
    assert "HTTP 401" in line
    assert "sk-test-refused-0123456" not in line
    assert len(fake_openai.requests) == 1


def test_unset_variables_and_schema_problems_are_listed_together(tmp_path: Path) -> None:
    cfg = tmp_path / "cipher.yml"
    cfg.write_text(
        "llm:\n  provider: openai\n  model: gpt-4o\n  apiKey: ${CHECK_UNSET_KEY}\n"
        "  baseURL: ${CHECK_UNSET_URL}\n  timeout: .nan\n",
        encoding="utf-8",
    )
    proc = cli("config", "check", "-c", str(cfg), cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert [line.split(": ")[0] for line in lines] == [
        f"{cfg}:4 llm.apiKey",
        f"{cfg}:5 llm.baseURL",  # reported once, for the variable, not again as a bad URL
        f"{cfg}:6 llm.timeout",
        "3 problems found",
    ]


def test_every_profile_target_is_checked_and_its_headers_masked(tmp_path: Path) -> None:
    cfg = tmp_path / "cipher.yml"
    cfg.write_text(
        "llm:\n  provider: openai\n  model: gpt-4o\n  apiKey: sk-test-main-0123456789\n"
        "models:\n"
        "  claude:\n    provider: anthropic\n    model: claude-sonnet-4-5\n"
        "  gateway:\n    provider: openai\n    model: gpt-4o\n    apiKey: sk-test-gw-0123456789\n"
        "    headers:\n      X-Gateway-Auth: gw-7c1d9e3f5a2b\n"
        "profiles:\n  fast:\n    targets: [claude, gateway]\n"
        "storage:\n  url: memory://\n",
        encoding="utf-8",
    )
    proc = cli("config", "check", "-c", str(cfg), cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"{cfg}:16 profiles.fast: no API key for provider 'anthropic'")
    proc = cli(
        "config", "check", "-c", str(cfg), cwd=tmp_path, env={"ANTHROPIC_API_KEY": "sk-ant-test-0123456789"}
    )
    assert proc.returncode == 0, proc.stderr
    assert "gw-7c1d9e3f5a2b" not in proc.stdout
    assert "X-Gateway-Auth: '***'" in proc.stdout


def test_a_profile_target_with_a_bad_url_is_refused_at_load(tmp_path: Path) -> None:
    cfg = tmp_path / "cipher.yml"
    cfg.write_text(
        "llm:\n  provider: openai\n  model: gpt-4o\n  apiKey: sk-test-main-0123456789\n"
        "models:\n  local:\n    provider: ollama\n    model: llama3.2\n    baseURL: 'localhost:11434'\n",
        encoding="utf-8",
    )
    proc = cli("run", "-c", str(cfg), "hi", cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"error: {cfg}:9 models.local.baseURL: invalid URL 'localhost:11434'")
