"""``-p`` / ``-m`` on run, and ``agentcore profiles`` with live state from the call log."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agentcore.cli.app import app
from tests.fakes import FakeAnthropic, FakeOpenAI
from tests.helpers import write_config
from tests.llm._family import ANTHROPIC_KEY


def config_for(tmp_path: Path, a: FakeOpenAI, c: FakeAnthropic) -> Path:
    return write_config(
        tmp_path,
        {
            "llm": {"provider": "openai", "model": "gpt-a", "apiKey": "sk-test-0123456789abcdef",
                    "baseURL": a.url + "/v1"},
            "models": {"claude": {"provider": "anthropic", "model": "claude-c", "apiKey": ANTHROPIC_KEY,
                                  "baseURL": c.url}},
            "profiles": {"fast": {"targets": ["claude"], "cooldown": 60}},
            "localTools": [],
            "storage": {"url": f"sqlite:///{tmp_path / 'calls.db'}"},
        },
    )  # fmt: skip


def test_run_with_profile_and_one_off_model_then_profiles_shows_live_state(
    fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    path = str(config_for(tmp_path, fake_openai, fake_anthropic))
    runner = CliRunner()
    assert runner.invoke(app, ["run", "-c", path, "-p", "fast", "hi"]).exit_code == 0
    assert len(fake_anthropic.requests) == 1 and not fake_openai.requests
    assert runner.invoke(app, ["run", "-c", path, "-m", "openai/gpt-z", "hi"]).exit_code == 0
    assert fake_openai.requests[-1].json["model"] == "gpt-z"
    fake_anthropic.reply_error(400, message="bad request here")
    failed = runner.invoke(app, ["run", "-c", path, "-p", "fast", "hi"])
    assert failed.exit_code != 0 and "bad request here" in failed.output
    unknown = runner.invoke(app, ["run", "-c", path, "-p", "fsat", "hi"])
    assert unknown.exit_code == 2 and "did you mean 'fast'" in unknown.output
    shown = runner.invoke(app, ["profiles", "-c", path, "--json"])
    assert shown.exit_code == 0, shown.output
    listing = {p["name"]: p for p in json.loads(shown.output)}
    assert listing["default"]["default"] and listing["fast"]["strategy"] == "random"
    (claude,) = listing["fast"]["targets"]
    assert (claude["name"], claude["provider"], claude["recentCalls"]) == ("claude", "anthropic", 2)
    assert claude["state"] == "cooling" and "bad request here" in claude["lastError"]
    assert claude["p50LatencyMs"] is not None
    text = runner.invoke(app, ["profiles", "-c", path]).output
    assert "fast · random" in text and "cooling until" in text
