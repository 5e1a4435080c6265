"""``agentcore init`` in an empty folder: what it finds decides the config it writes."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from tests.cli import test_onboard
from tests.cli.test_run_cli import run_cli

models_server = test_onboard.models_server  # a fake Ollama's /v1/models
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: "" for k in os.environ if k.endswith("_API_KEY")}
    return {
        **env, "HOME": str(tmp_path), "AGENTCORE_HOME": str(tmp_path / "home"), "AGENTCORE_CONFIG": "",
        "OLLAMA_BASE_URL": CLOSED, "LMSTUDIO_BASE_URL": CLOSED, "LLAMACPP_BASE_URL": CLOSED, **extra,
    }  # fmt: skip


def test_init_finds_a_local_ollama_and_the_config_runs(models_server: str, tmp_path: Path) -> None:
    env = _env(tmp_path, OLLAMA_BASE_URL=models_server.removesuffix("/v1"))
    proc = run_cli("init", cwd=tmp_path, env=env, stdin="")
    assert proc.returncode == 0, proc.stderr
    config = yaml.safe_load((tmp_path / "cipher.yml").read_text())
    assert config["llm"] == {
        "provider": "ollama", "model": "llama3.2:3b", "baseURL": models_server, "maxIterations": 10
    }  # fmt: skip
    assert (tmp_path / "prompts" / "default.md").read_text().strip()
    assert "@tool" in (tmp_path / "tools" / "example.py").read_text()
    check = run_cli("config", "check", cwd=tmp_path, env=env, stdin="")
    assert check.returncode == 0, check.stdout + check.stderr
    tools = run_cli("tools", cwd=tmp_path, env=env, stdin="")
    assert "word_count" in tools.stdout, tools.stdout + tools.stderr


def test_a_key_in_the_environment_wins_and_the_key_is_not_written(tmp_path: Path) -> None:
    env = _env(tmp_path, ANTHROPIC_API_KEY="sk-ant-secret-value")
    proc = run_cli("init", cwd=tmp_path, env=env, stdin="")
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "cipher.yml").read_text()
    assert yaml.safe_load(text)["llm"]["provider"] == "anthropic"
    assert "sk-ant-secret-value" not in text


def test_init_asks_before_overwriting(tmp_path: Path) -> None:
    env = _env(tmp_path)
    (tmp_path / "cipher.yml").write_text("# mine\n")
    kept = run_cli("init", "--provider", "openai", cwd=tmp_path, env=env, stdin="n\n")
    assert kept.returncode == 0, kept.stderr
    assert "overwrite?" in kept.stdout
    assert (tmp_path / "cipher.yml").read_text() == "# mine\n"
    replaced = run_cli("init", "--provider", "openai", cwd=tmp_path, env=env, stdin="y\n")
    assert replaced.returncode == 0, replaced.stderr
    assert yaml.safe_load((tmp_path / "cipher.yml").read_text())["llm"]["provider"] == "openai"


def test_provider_and_model_flags_need_no_questions(tmp_path: Path) -> None:
    env = _env(tmp_path)
    (tmp_path / "cipher.yml").write_text("# mine\n")
    proc = run_cli(
        "init", "--provider", "deepseek", "--model", "deepseek-reasoner", "--force", cwd=tmp_path, env=env
    )
    assert proc.returncode == 0, proc.stderr
    llm = yaml.safe_load((tmp_path / "cipher.yml").read_text())["llm"]
    assert (llm["provider"], llm["model"]) == ("deepseek", "deepseek-reasoner")
    bad = run_cli("init", "--provider", "nope", cwd=tmp_path, env=env)
    assert bad.returncode == 2 and "unknown provider 'nope'" in bad.stderr
