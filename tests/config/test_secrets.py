"""Which values are masked: configured header values, values from secret-looking env variables, never
placeholders or plain words."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from agentcore._redact import MASK, is_maskable, is_secret_env, redact_text, register_secret
from agentcore.config.loader import load_config, load_config_from_dict
from tests.fakes import FakeOpenAI

AGENTCORE = str(Path(sys.executable).parent / "agentcore")
REPO = Path(__file__).resolve().parents[2]
APIM = "apim-4f1c9e2b7d3a48c6a0e5"
CUSTOM = "custom-auth-91b7c3d2e8f4"
MCP_HEADER = "mcp-subscription-5e8a2f71"


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    child_env = {
        k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "AGENTCORE_LOG_JSON"
    }
    child_env.update({"NO_COLOR": "1", "PYTHONPATH": str(REPO), **(env or {})})
    return subprocess.run(
        [AGENTCORE, *args], capture_output=True, text=True, timeout=60, cwd=cwd, env=child_env, check=False
    )


def write_config(tmp_path: Path, url: str, storage: str = "memory://") -> Path:
    cfg = tmp_path / "cipher.yml"
    cfg.write_text(
        "llm:\n"
        "  provider: openai\n"
        "  model: gpt-4o\n"
        "  apiKey: sk-test-gateway-0123456789\n"
        f"  baseURL: {url}\n"
        "  headers:\n"
        f"    Ocp-Apim-Subscription-Key: {APIM}\n"
        f"    X-Custom-Auth: {CUSTOM}\n"
        "    Accept: application/json\n"
        "mcpServers:\n"
        "  remote:\n"
        "    url: http://127.0.0.1:9/mcp\n"
        "    enabled: false\n"
        "    headers:\n"
        f"      X-Subscription: {MCP_HEADER}\n"
        f"storage:\n  url: {storage}\n",
        encoding="utf-8",
    )
    return cfg


def test_config_check_masks_every_configured_header_value(tmp_path: Path) -> None:
    proc = cli("config", "check", "-c", str(write_config(tmp_path, "http://127.0.0.1:9/v1")), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for secret in (APIM, CUSTOM, MCP_HEADER, "sk-test-gateway-0123456789"):
        assert secret not in proc.stdout
    assert f"Ocp-Apim-Subscription-Key: '{MASK}'" in proc.stdout
    assert f"X-Subscription: '{MASK}'" in proc.stdout
    assert "Accept: application/json" in proc.stdout  # a plain header stays readable


def test_error_lines_json_log_and_call_log_mask_custom_headers(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    db = tmp_path / "calls.db"
    cfg = write_config(tmp_path, f"{fake_openai.url}/v1", storage=f"sqlite:///{db}")
    # A gateway that echoes what it was sent: the values reach the error, the logs and the call log.
    for _ in range(4):
        fake_openai.reply_error(401, message=f"subscription {APIM} with auth {CUSTOM} refused")
    log = tmp_path / "log.jsonl"
    proc = cli("--log-json", str(log), "run", "-c", str(cfg), "hi", cwd=tmp_path)
    assert proc.returncode != 0
    assert fake_openai.requests[0].headers["ocp-apim-subscription-key"] == APIM  # it was really sent
    (line,) = proc.stderr.splitlines()
    assert "refused" in line
    assert APIM not in line and CUSTOM not in line
    logged = log.read_text(encoding="utf-8")
    assert logged  # something was logged
    assert APIM not in logged and CUSTOM not in logged
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = [" ".join(map(str, row)) for t in tables for row in conn.execute(f'SELECT * FROM "{t}"')]
    stored = "\n".join(rows)
    assert "refused" in stored  # the call log holds the error...
    assert APIM not in stored and CUSTOM not in stored  # ...masked


def test_values_from_secret_looking_env_variables_are_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSTILE_GITHUB_TOKEN", "ghp-a1b2c3d4e5f6g7h8")
    monkeypatch.setenv("HOSTILE_DB_PASSWORD", "pw-7d3a48c6a0e5")
    monkeypatch.setenv("HOSTILE_MODEL_NAME", "gpt-4o-2024-08-06")
    config = load_config_from_dict(
        {
            "llm": {
                "provider": "openai",
                "model": "${HOSTILE_MODEL_NAME}",
                "apiKey": "sk-test-0123456789abc",
            },
            "mcpServers": {
                "gh": {"command": "server", "args": ["--token", "${HOSTILE_GITHUB_TOKEN}"]},
                "db": {"command": "db-mcp", "args": ["--dsn=postgresql://u:${HOSTILE_DB_PASSWORD}@h/db"]},
            },
        }
    )
    assert redact_text("token ghp-a1b2c3d4e5f6g7h8 used") == f"token {MASK} used"
    assert "pw-7d3a48c6a0e5" not in json.dumps(config.masked())
    assert "ghp-a1b2c3d4e5f6g7h8" not in json.dumps(config.masked())
    # A value from a variable that is not a credential stays as it is.
    assert redact_text("model gpt-4o-2024-08-06") == "model gpt-4o-2024-08-06"


def test_placeholder_keys_and_plain_words_are_never_masked(tmp_path: Path) -> None:
    cfg = tmp_path / "cipher.yml"
    cfg.write_text(
        "llm:\n  provider: ollama\n  model: llama3.2\n  apiKey: ollama\n"
        "  headers:\n    X-Api-Key: not-required\n    X-Other: unused\n",
        encoding="utf-8",
    )
    load_config(cfg)
    for word in ("lm-studio", "sk-no-key-required", "secret", "password", "abc123", "localhost"):
        register_secret(word)
    text = "ollama said: not-required, unused, lm-studio; the password is secret; abc123 at localhost"
    assert redact_text(text) == text


@pytest.mark.parametrize(
    ("value", "maskable"),
    [
        ("ollama", False),
        ("not-required", False),
        ("short7!", False),
        ("xxxxxxxxxxxx", False),
        ("changeme", False),
        ("a1b2c3d4e5", True),
        ("sk-live-0123456789", True),
        ("letmeinplease-butlonger", True),  # a long passphrase is a secret, even if made of words
    ],
)
def test_what_counts_as_a_maskable_secret(value: str, maskable: bool) -> None:
    assert is_maskable(value) is maskable


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("OPENAI_API_KEY", True),
        ("GITHUB_TOKEN", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("PGPASSWORD", True),
        ("SERVICE_CREDENTIALS", True),
        ("PWD", False),
        ("HOME", False),
        ("KEYBOARD_LAYOUT", False),
        ("MODEL_NAME", False),
    ],
)
def test_which_env_variable_names_hold_secrets(name: str, secret: bool) -> None:
    assert is_secret_env(name) is secret


def test_json_log_masks_header_fields_and_registered_values(tmp_path: Path) -> None:
    import logging

    import structlog

    from agentcore.logs import configure_logging

    register_secret("jsonlog-secret-7a9c1e3b5d")
    log_file = tmp_path / "log.jsonl"
    try:
        configure_logging("info", log_file)
        structlog.get_logger("agentcore.test").info(
            "request",
            headers={"X-Custom-Auth": "plainish-9f8e7d6c", "Accept": "application/json"},
            detail="sent jsonlog-secret-7a9c1e3b5d upstream",
        )
    finally:
        for handler in logging.getLogger("agentcore").handlers:
            handler.flush()
    line = json.loads(log_file.read_text(encoding="utf-8").splitlines()[-1])
    assert line["headers"] == {"X-Custom-Auth": MASK, "Accept": "application/json"}
    assert line["detail"] == f"sent {MASK} upstream"
