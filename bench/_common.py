"""Helpers shared by the cases: an agentcore Agent on the bench server and the peers subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench._loops import API_KEY, MODEL
from bench._loops import add as add_sync

ROOT = Path(__file__).resolve().parents[1]
PEERS_PYTHON = ROOT / "bench" / ".venv-peers" / "bin" / "python"
OUT = ROOT / "bench" / "out"


def bench_db_url() -> str:
    """A fresh SQLite file for this process: agentcore's default storage, as a user gets it."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"agentcore-{os.getpid()}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def make_agent(base_url: str, *, with_tool: bool = True) -> Any:
    """An agentcore ``Agent`` on the bench server with the same ``add`` tool as every other variant."""
    from agentcore import Agent, tool
    from agentcore.config.loader import load_config_from_dict

    @tool
    async def add(a: int, b: int) -> str:
        """Add two integers."""
        return add_sync(a, b)

    config = load_config_from_dict(
        {
            "llm": {
                "provider": "openai",
                "model": MODEL,
                "apiKey": API_KEY,
                "baseURL": base_url,
                "maxIterations": 20,
            },
            "localTools": [],
            # Send the whole history, as the hand loops do (a 10k-message history exceeds the window).
            "context": {"maxTokens": 100_000_000, "compression": {"strategy": "none"}},
            "storage": {"url": bench_db_url()},
            "logging": {"level": "warning"},
        },
        base_dir=ROOT,
    )
    return Agent(config, tools=[add] if with_tool else [])


def run_peers(base_url: str, case: str, *, rounds: int, warmup: int, n: int = 0) -> dict[str, Any]:
    """Timings of the raw SDK and the peers measured in the peers venv (``{}`` fields when it is absent)."""
    if not PEERS_PYTHON.exists():
        return {
            "versions": {},
            "timings": {},
            "errors": {"peers": "bench/.venv-peers missing (run make bench)"},
        }
    cmd = [str(PEERS_PYTHON), str(ROOT / "bench" / "_peers.py"), "--url", base_url, "--case", case]
    cmd += ["--n", str(n), "--rounds", str(rounds), "--warmup", str(warmup)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        return {"versions": {}, "timings": {}, "errors": {"peers": tail[0][:300]}}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def python_exe() -> str:
    """The interpreter running the bench (agentcore's venv)."""
    return sys.executable
