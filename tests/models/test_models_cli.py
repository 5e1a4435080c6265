"""``agentcore models [NAME] [--json]`` as a user runs it: the catalog, their entries, what was learned."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from agentcore.storage.capabilities import remember_native_tools
from agentcore.storage.db import release, resolve_url
from tests.cli.test_run_cli import run_cli
from tests.conftest import SCANNED_DATABASES
from tests.helpers import write_config


def _config(tmp_path: Path) -> tuple[Path, str]:
    db = tmp_path / "agentcore.db"
    SCANNED_DATABASES.append(db)
    url = f"sqlite:///{db}"
    data = {
        "llm": {"provider": "ollama", "model": "qwen2.5:7b", "baseURL": "http://127.0.0.1:11434/v1"},
        "localTools": [],
        "storage": {"url": url},
        "models": {
            "mygguf": {
                "provider": "lmstudio",
                "model": "acme-7b-q4",
                "contextWindow": 16384,
                "tokenizer": "cl100k_base",
                "inputPrice": 0.1,
                "outputPrice": 0.2,
            }
        },
    }
    return write_config(tmp_path, data), url


def test_models_lists_families_and_user_entries(tmp_path: Path) -> None:
    config, _ = _config(tmp_path)
    proc = run_cli("models", "-c", str(config))
    assert proc.returncode == 0, proc.stderr
    assert "gpt-4o" in proc.stdout and "128,000" in proc.stdout
    assert "mygguf" in proc.stdout and "16,384" in proc.stdout

    proc = run_cli("models", "-c", str(config), "--json")
    data = json.loads(proc.stdout)
    families = {f["family"]: f for f in data["families"]}
    assert families["claude"]["window"] == 200_000 and families["claude"]["tokenizer"] == "cl100k_base"
    assert families["gpt-audio"]["audio"] is True
    (mine,) = data["user"]
    assert (mine["entry"], mine["model"], mine["window"]) == ("mygguf", "acme-7b-q4", 16384)
    assert mine["price"]["input"] == 0.1


def test_models_name_shows_everything_known_including_what_was_learned(tmp_path: Path) -> None:
    config, url = _config(tmp_path)

    async def learn() -> None:
        await remember_native_tools(
            resolve_url(url),
            "ollama",
            "http://127.0.0.1:11434/v1",
            "qwen2.5:7b",
            False,
            "tools param requires --jinja flag",
        )
        await release(resolve_url(url))

    asyncio.run(learn())
    proc = run_cli("models", "-c", str(config), "qwen2.5:7b", "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert (info["window"], info["tokenizer"], info["tokenizer_exact"]) == (131_072, "o200k_base", False)
    assert info["native_tools"] is True and info["sources"]["native_tools"] == "family qwen"
    (fact,) = info["learned"]
    assert fact["native_tools"] is False and "--jinja" in fact["detail"]
    assert info["price"]["input"] == 0.0 and info["price"]["source"] == "ollama runs locally"

    text = run_cli("models", "-c", str(config), "qwen2.5:7b").stdout
    assert "131,072" in text and "prompt-based tool calling" in text

    entry = json.loads(run_cli("models", "-c", str(config), "mygguf", "--json").stdout)
    assert (entry["model"], entry["user_entry"], entry["window"]) == ("acme-7b-q4", "mygguf", 16384)
    assert entry["sources"]["window"].endswith("models.mygguf")
    assert entry["price"]["output"] == 0.2

    unknown = json.loads(
        run_cli("models", "-c", str(config), "zz-unknown", "--provider", "openai", "--json").stdout
    )
    assert (unknown["window"], unknown["price"], unknown["audio"], unknown["family"]) == (
        None,
        None,
        None,
        None,
    )
