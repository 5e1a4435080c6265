"""Cold start: ``agentcore --help``, ``--version`` and the time to the first request of ``agentcore run``,
against ``python -c pass`` and ``python -c "import openai"``; each a fresh process, interleaved per round.
"""

from __future__ import annotations

import gc
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from bench._loops import API_KEY, MODEL
from bench.api import Row, row

GROUP = "Cold start: fresh process, ms"
HELP_TARGET_MS = 150.0
BIN = Path(sys.executable).parent


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: {proc.stderr.decode(errors='replace').strip()[-200:]}")
    return elapsed


def _measure(quick: bool) -> list[Row]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.fakes import FakeOpenAI, RecordedRequest

    rounds = 2 if quick else 12
    arrived = threading.Event()
    arrival = [0.0]

    def on_request(rec: RecordedRequest) -> str:
        arrival[0] = time.perf_counter()
        arrived.set()
        return "ok"

    home = tempfile.mkdtemp(prefix="agentcore-bench-")
    env = {**os.environ, "AGENTCORE_HOME": home, "NO_COLOR": "1"}
    # A user's Python caches bytecode; a sandbox that disables it would time compilation instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    agentcore = str(BIN / "agentcore")
    with FakeOpenAI(default=on_request) as fake:
        config = Path(home) / "cipher.yml"
        data = {
            "llm": {"provider": "openai", "model": MODEL, "apiKey": API_KEY, "baseURL": fake.url + "/v1"},
            "localTools": [],
            "storage": {"url": "memory://"},
        }
        config.write_text(yaml.safe_dump(data), encoding="utf-8")

        def first_request() -> float:
            arrived.clear()
            start = time.perf_counter()
            proc = subprocess.Popen(
                [agentcore, "run", "-c", str(config), "hello"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            ok = arrived.wait(30)
            proc.wait(30)
            fake.requests.clear()
            if not ok or proc.returncode != 0:
                raise RuntimeError(f"agentcore run exited {proc.returncode} before a request")
            return (arrival[0] - start) * 1000

        variants: dict[str, Callable[[], float]] = {
            "python -c pass": lambda: _timed([sys.executable, "-c", "pass"], env),
            "python -c 'import openai'": lambda: _timed([sys.executable, "-c", "import openai"], env),
            "agentcore --help": lambda: _timed([agentcore, "--help"], env),
            "agentcore --version": lambda: _timed([agentcore, "--version"], env),
            "agentcore run: to first request": first_request,
        }
        names = list(variants)
        out: dict[str, list[float]] = {name: [] for name in names}
        failed: dict[str, str] = {}
        rng = random.Random(3)
        for i in range(rounds + 1):
            rng.shuffle(names)
            for name in names:
                if name in failed:
                    continue
                gc.collect()
                try:
                    ms = variants[name]()
                except RuntimeError as exc:
                    failed[name] = str(exc)
                    continue
                if i:  # round 0 warms the OS file cache
                    out[name].append(ms)

    base = out["python -c pass"]
    rows = [row(GROUP, name, values, base) for name, values in out.items() if name not in failed]
    for r in rows:
        r.note = "ratio to python -c pass"
        if r.name == "agentcore --help":
            r.target = f"<= {HELP_TARGET_MS:g} ms"
            r.met = r.median_ms <= HELP_TARGET_MS
    rows += [Row(GROUP, name, float("nan"), note=f"failed: {error}") for name, error in failed.items()]
    return rows


async def run(quick: bool) -> list[Row]:
    """Blocking by nature (subprocesses), so measured synchronously."""
    return _measure(quick)
