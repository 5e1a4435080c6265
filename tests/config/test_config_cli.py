"""``agentcore config check`` / ``config schema`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml
from typer.testing import CliRunner

from agentcore.cli.config_cmd import config_app

SECRET = "sk-test-0123456789abcdefghij"


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:  # pyright: ignore[reportUnusedFunction]
        """Keeps 'config' a sub-command, as in the real CLI."""

    app.add_typer(config_app, name="config")
    return app


def test_check_prints_ok_and_the_config_with_the_key_masked(tmp_path: Path) -> None:
    path = tmp_path / "cipher.yml"
    path.write_text(f"llm:\n  provider: openai\n  model: gpt-4o\n  apiKey: {SECRET}\n", encoding="utf-8")
    result = CliRunner().invoke(make_app(), ["config", "check", "--config", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"config OK: {path.resolve()}"
    assert SECRET not in result.output
    shown = yaml.safe_load("\n".join(lines[1:]))
    assert shown["llm"]["model"] == "gpt-4o"
    assert shown["llm"]["apiKey"] == "***"


def test_check_with_a_bad_file_exits_2_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "cipher.yml"
    path.write_text("llm:\n  provider: openai\n  modle: gpt-4o\n", encoding="utf-8")
    result = CliRunner().invoke(make_app(), ["config", "check", "-c", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    err_lines = result.stderr.strip().splitlines()
    assert len(err_lines) == 1
    assert f"{path}:3 llm.modle: unknown key 'modle'" in err_lines[0]
    assert "Traceback" not in result.output


def test_check_with_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(make_app(), ["config", "check", "-c", str(tmp_path / "absent.yml")])
    assert result.exit_code == 2
    assert "absent.yml" in result.stderr
    assert "Traceback" not in result.output


def test_schema_prints_indented_json() -> None:
    result = CliRunner().invoke(make_app(), ["config", "schema"])
    assert result.exit_code == 0
    assert result.stdout.startswith("{\n  ")
    schema = json.loads(result.stdout)
    assert "llm" in schema["properties"]
