"""Gateway: ``agentcore serve`` in pass-through mode against LiteLLM's proxy, same fake upstream.

Both run 2 worker processes in front of the zero-latency fake OpenAI server (``bench._server``);
200 keep-alive clients (``bench._load``, its own process) send the same chat request back to back,
non-streaming and streaming. Both gateways stay up and take turns with the fake itself, round
after round; ratios are paired per round (medians over the rounds). Figures: requests/s, latency p50/p99 minus the same load sent to the
fake directly (the "added" latency), and the resident memory of each worker after the load.
LiteLLM runs from the peers venv (``litellm[proxy]``, no database, a master key).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._server import BenchServer
from bench.api import Row

ROOT = Path(__file__).resolve().parents[2]
PEERS = ROOT / "bench" / ".venv-peers"
GROUP = "Gateway: pass-through, 2 workers, 200 clients (added ms over calling the fake directly)"
KEY = "sk-bench-gateway-admin-0001"
CLIENTS = 200


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes], seconds: float = 120) -> None:
    import httpx2

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}")
        try:
            if httpx2.get(url, timeout=2).status_code < 500:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {seconds:.0f} s")


def _rss_mb(pid: int) -> list[float]:
    """Resident memory of ``pid``'s child processes (the workers), MB."""
    out: list[float] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid != pid:
                continue
            cmdline = (entry / "cmdline").read_bytes()
            if b"resource_tracker" in cmdline:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append(int(line.split()[1]) / 1024)
        except (OSError, ValueError, IndexError):
            continue
    return sorted(out)


def _load(
    url: str, path: str, body: dict[str, Any], seconds: float, headers: dict[str, str]
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(body, fh)
    cmd = [
        sys.executable,
        "-m",
        "bench._load",
        url,
        path,
        fh.name,
        "--clients",
        str(CLIENTS),
        "--seconds",
        str(seconds),
    ]
    for k, v in headers.items():
        cmd += ["--header", f"{k}: {v}"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True, timeout=seconds + 120)
    os.unlink(fh.name)
    return json.loads(done.stdout)


def _agentcore(upstream: str, tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    import yaml

    port = _port()
    config = tmp / "cipher.yml"
    data: dict[str, Any] = {
        "llm": {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "apiKey": "sk-bench-upstream",
            "baseURL": upstream + "/v1",
            "maxRetries": 0,
        },
        "localTools": [],
        "storage": {"url": os.environ.get("BENCH_GATEWAY_DB") or f"sqlite:///{tmp / 'gateway.db'}"},
        "serve": {"adminKey": KEY},
    }
    config.write_text(yaml.safe_dump(data))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [
        sys.executable,
        "-m",
        "agentcore",
        "serve",
        "-c",
        str(config),
        "--port",
        str(port),
        "--workers",
        "2",
    ]
    proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    _wait(url + "/healthz", proc)
    return proc, url


def _litellm(upstream: str, tmp: Path) -> tuple[subprocess.Popen[bytes], str] | str:
    exe = PEERS / "bin" / "litellm"
    if not exe.exists():
        return "LiteLLM not installed (bench/.venv-peers: litellm[proxy])"
    import yaml

    port = _port()
    config = tmp / "litellm.yaml"
    data = {
        "model_list": [
            {
                "model_name": "gpt-4o-mini",
                "litellm_params": {
                    "model": "openai/gpt-4o-mini",
                    "api_base": upstream + "/v1",
                    "api_key": "sk-bench-upstream",
                },
            }
        ],
        "general_settings": {"master_key": KEY},
        "litellm_settings": {"drop_params": True, "set_verbose": False},
    }
    config.write_text(yaml.safe_dump(data))
    # LITELLM_LOCAL_MODEL_COST_MAP: without it the proxy fetches its price map from GitHub at start.
    env = {
        **os.environ,
        "LITELLM_LOG": "ERROR",
        "LITELLM_MODE": "PRODUCTION",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    env.pop("PYTHONPATH", None)
    cmd = [
        str(exe),
        "--config",
        str(config),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--num_workers",
        "2",
        # its workers import for tens of seconds on a busy machine; uvicorn's 5 s check would kill them
        "--timeout_worker_healthcheck",
        "300",
    ]
    log = (tmp / "litellm.log").open("wb")
    proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url + "/health/liveliness", proc, seconds=360)
    except RuntimeError as exc:
        proc.terminate()
        tail = (tmp / "litellm.log").read_text(errors="replace").strip().splitlines()[-1:]
        return f"LiteLLM did not start: {exc} {' '.join(tail)[:200]}"
    return proc, url


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _paired(rounds: list[dict[str, dict[str, Any]]], name: str, peer: str) -> dict[str, float] | None:
    """Medians over rounds of ``name``'s figures, and of its ratios to ``peer`` in the same round."""
    ours = [r[name] for r in rounds if name in r]
    if not ours:
        return None
    out: dict[str, float] = {
        "rps": statistics.median(r["rps"] for r in ours),
        "added50": statistics.median(r[name]["p50_ms"] - r["direct"]["p50_ms"] for r in rounds if name in r),
        "added99": statistics.median(r[name]["p99_ms"] - r["direct"]["p99_ms"] for r in rounds if name in r),
        "errors": sum(r["errors"] for r in ours),
    }
    both = [r for r in rounds if name in r and peer in r]
    if both and name != peer:
        out["rps_ratio"] = statistics.median(r[name]["rps"] / max(r[peer]["rps"], 1e-9) for r in both)
        out["p50_ratio"] = statistics.median(
            (r[name]["p50_ms"] - r["direct"]["p50_ms"]) / max(r[peer]["p50_ms"] - r["direct"]["p50_ms"], 1e-9)
            for r in both
        )
    return out


async def run(quick: bool) -> list[Row]:
    """Both gateways stay up for the whole run and take turns (direct, ours, LiteLLM, in a rotating
    order) for ``rounds`` rounds, so that each ratio compares loads run moments apart on a machine
    whose load from other work changes by the minute."""
    seconds = 5.0 if quick else 15.0
    n_rounds = 2 if quick else 3
    headers = {"authorization": f"Bearer {KEY}"}
    rows: list[Row] = []
    ours_name, peer_name = "agentcore serve", "LiteLLM proxy"
    with BenchServer() as fake, tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        bodies = {
            "non-streaming": {
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "Say something"}],
            },
            "streaming": {
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "Say something"}],
                "stream": True,
                "stream_options": {"include_usage": True},
            },
        }
        notes: dict[str, str] = {}
        procs: dict[str, subprocess.Popen[bytes]] = {}
        targets: dict[str, tuple[str, str]] = {"direct": (fake.url, "gpt-4o-mini")}
        try:
            for name, start in ((ours_name, _agentcore), (peer_name, _litellm)):
                started = start(fake.url, tmp)
                if isinstance(started, str):
                    notes[name] = started
                    continue
                procs[name], url = started
                targets[name] = (url, "openai/gpt-4o-mini" if name == ours_name else "gpt-4o-mini")
            results: dict[str, list[dict[str, dict[str, Any]]]] = {kind: [] for kind in bodies}
            order = list(targets)
            for round_no in range(n_rounds):
                turn = order[round_no % len(order) :] + order[: round_no % len(order)]
                for kind, body in bodies.items():
                    figures: dict[str, dict[str, Any]] = {}
                    for name in turn:
                        url, model = targets[name]
                        figures[name] = _load(
                            url, "/v1/chat/completions", {**body, "model": model}, seconds, headers
                        )
                    results[kind].append(figures)
            memory = {name: _rss_mb(proc.pid) for name, proc in procs.items()}
        finally:
            for proc in procs.values():
                _stop(proc)
        for kind in bodies:
            rounds = results[kind]
            base = _paired(rounds, "direct", "direct")
            assert base is not None
            direct_p50 = statistics.median(r["direct"]["p50_ms"] for r in rounds)
            direct_p99 = statistics.median(r["direct"]["p99_ms"] for r in rounds)
            rows.append(
                Row(GROUP, f"fake directly, {kind}", direct_p50, direct_p99,
                    note=f"{base['rps']:.0f} req/s (p90 column: p99; medians of {len(rounds)} rounds)")
            )  # fmt: skip
            for name in (ours_name, peer_name):
                res = _paired(rounds, name, peer_name)
                if res is None:
                    rows.append(Row(GROUP, f"{name}, {kind}", float("nan"), note=notes.get(name, "failed")))
                    continue
                mem = ", ".join(f"{m:.0f}" for m in memory.get(name, []))
                note = (
                    f"{res['rps']:.0f} req/s, {res['errors']:.0f} errors, worker RSS MB: {mem} "
                    "(p90 column: added p99)"
                )
                target = met = ratio = None
                if name == ours_name and "rps_ratio" in res:
                    ratio = res["rps_ratio"]
                    target = ">= 2x LiteLLM req/s and <= 0.5x its added p50"
                    met = ratio >= 2 and res["p50_ratio"] <= 0.5
                    note += f"; added p50 {res['p50_ratio']:.2f}x LiteLLM's (paired per round)"
                rows.append(
                    Row(GROUP, f"{name}, {kind}", res["added50"], res["added99"], ratio, target, met, note)
                )
    return rows
