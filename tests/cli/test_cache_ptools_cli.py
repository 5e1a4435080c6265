"""``run --no-cache``, ``agentcore cache stats|clear``, and ``toolCalling: auto`` learning across processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.cli.test_run_cli import run_cli
from tests.fakes import ErrorReply, FakeOpenAI, RecordedRequest, Reply
from tests.helpers import cli_config


def config(tmp_path: Path, url: str, **extra: Any) -> str:
    path = cli_config(tmp_path, url, temperature=0, maxRetries=0)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["storage"] = {"url": f"sqlite:///{tmp_path / 'agentcore.db'}"}
    data.update(extra)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def test_run_hits_the_cache_and_cache_commands_report_and_clear(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.set_default("Paris.")
    cfg = config(tmp_path, fake_openai.url, cache={"enabled": True})
    for _ in range(2):
        proc = run_cli("run", "-c", cfg, "Capital of France?")
        assert proc.returncode == 0 and proc.stdout.strip() == "Paris.", proc.stderr
    assert len(fake_openai.requests) == 1
    assert run_cli("run", "--no-cache", "-c", cfg, "Capital of France?").returncode == 0
    assert len(fake_openai.requests) == 2
    stats = run_cli("cache", "stats", "--json", "-c", cfg)
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert (data["backend"], data["entries"], data["hits"]) == ("sqlite", 1, 1)
    assert data["models"][0]["saved_prompt_tokens"] == 10 and data["saved_usd"] > 0
    assert "hits 1" in run_cli("cache", "stats", "-c", cfg).stdout
    assert (
        run_cli("cache", "clear", "--older-than", "7d", "-c", cfg).stdout.strip()
        == "removed 0 cached answers"
    )
    assert run_cli("cache", "clear", "-c", cfg).stdout.strip() == "removed 1 cached answer"
    bad = run_cli("cache", "clear", "--older-than", "soon", "-c", cfg)
    assert bad.returncode == 2 and "7d" in bad.stderr


def test_auto_learns_in_one_process_and_the_next_starts_in_prompt_mode(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    with_tools: list[int] = []

    def llama(rec: RecordedRequest) -> Reply | str:
        if rec.body_dict.get("tools"):
            with_tools.append(1)
            return ErrorReply(500, message="tools param requires --jinja flag")
        return "fine"

    fake_openai.set_default(llama)
    cfg = config(tmp_path, fake_openai.url)
    first = run_cli("run", "-c", cfg, "hi")
    assert first.returncode == 0 and first.stdout.strip() == "fine", first.stderr
    assert "tools are now described in the prompt" in first.stderr  # warned once
    second = run_cli("run", "-c", cfg, "hi again")
    assert second.returncode == 0 and second.stdout.strip() == "fine", second.stderr
    assert with_tools == [1] and "prompt" not in second.stderr
    assert len(fake_openai.requests) == 3
