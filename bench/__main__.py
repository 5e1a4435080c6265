"""``python -m bench [--quick] [--only NAME ...]``: run every case in ``bench/cases``, print the tables
and write ``bench/RESULTS.md`` (machine, date, versions, medians, p90, ratios, targets met or missed).

The peers (``bench/requirements.txt``) are installed into ``bench/.venv-peers`` on first use, never
into agentcore's environment. Each case runs in its own interpreter; its log goes to ``bench/out/``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
import pkgutil
import platform
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from bench.api import Row

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
PEERS_VENV = BENCH / ".venv-peers"
REQUIREMENTS = BENCH / "requirements.txt"
RESULTS = BENCH / "RESULTS.md"
NOTES = BENCH / "NOTES.md"
#: the issue's cases first, then any later case in name order
FIRST = ("tool_loop", "history", "streaming", "coldstart")
CASE_TIMEOUT_S = 900


def case_names() -> list[str]:
    """Every case module in ``bench/cases``."""
    found = sorted(m.name for m in pkgutil.iter_modules([str(BENCH / "cases")]) if not m.name.startswith("_"))
    return [n for n in FIRST if n in found] + [n for n in found if n not in FIRST]


def ensure_peers_venv() -> str:
    """Create or update ``bench/.venv-peers`` from requirements.txt; return a status line."""
    stamp = PEERS_VENV / ".requirements.sha256"
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    python = PEERS_VENV / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return "peers venv up to date"
    print(f"installing the peers into {PEERS_VENV.relative_to(ROOT)} (once) ...", flush=True)
    started = time.perf_counter()
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"peers venv NOT available ({exc}); peer rows will say so"
    stamp.write_text(digest)
    return f"peers installed in {time.perf_counter() - started:.0f} s"


def run_case(name: str, quick: bool) -> tuple[list[Row], str | None]:
    """Run one case in a child interpreter; its rows, or the error that stopped it."""
    OUT.mkdir(exist_ok=True)
    out, log = OUT / f"{name}.json", OUT / f"{name}.log"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "bench._child", name, str(out), *(["--quick"] if quick else [])]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AGENTCORE_HOME": str(OUT / "home")}
    with log.open("w", encoding="utf-8") as fh:
        try:
            proc = subprocess.run(
                cmd,
                cwd=ROOT,
                env=env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                timeout=CASE_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return [], f"timed out after {CASE_TIMEOUT_S} s (log: {log.relative_to(ROOT)})"
    if proc.returncode != 0 or not out.exists():
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or ["no output"]
        return [], f"{tail[0][:300]} (log: {log.relative_to(ROOT)})"
    return [Row(**r) for r in json.loads(out.read_text(encoding="utf-8"))], None


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return ""
    if math.isnan(value):
        return "—"
    if abs(value) < 0.1:
        return f"{value:.4f}"
    return f"{value:.{digits}f}"


def _met(r: Row) -> str:
    return "" if r.met is None else ("met" if r.met else "MISSED")


def tables(rows: list[Row]) -> list[tuple[str, list[list[str]]]]:
    """Rows grouped into tables (in first-seen order) of formatted cells."""
    groups: dict[str, list[list[str]]] = {}
    for r in rows:
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else ""
        cells = [r.name, _fmt(r.median_ms), _fmt(r.p90_ms), ratio, r.target or "", _met(r), r.note]
        groups.setdefault(r.group, []).append(cells)
    return list(groups.items())


HEADER = ["variant", "median", "p90", "ratio (paired)", "target", "", "note"]


def print_tables(rows: list[Row]) -> None:
    for group, body in tables(rows):
        widths = [max(len(c[i]) for c in [HEADER, *body]) for i in range(len(HEADER))]
        print(f"\n{group}")
        for cells in [HEADER, *body]:
            print("  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())


def _cmd(*args: str) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def versions() -> dict[str, str]:
    """Versions of agentcore, its SDKs and (from their venv) the peers."""
    out: dict[str, str] = {"python": platform.python_version()}
    for dist in ("agentcore", "openai", "httpx2", "anthropic", "mcp"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "missing"
    python = PEERS_VENV / "bin" / "python"
    if python.exists():
        code = (
            "import json, importlib.metadata as m\n"
            "d = {}\n"
            "for n in ('pydantic-ai-slim', 'openai-agents', 'smolagents', 'openai'):\n"
            "    try: d[n] = m.version(n)\n"
            "    except m.PackageNotFoundError: d[n] = 'missing'\n"
            "print(json.dumps(d))"
        )
        peers = json.loads(_cmd(str(python), "-c", code) or "{}")
        out.update({f"{k} (peers venv)" if k == "openai" else k: v for k, v in peers.items()})
    return out


def machine() -> list[str]:
    """nproc, the head of lscpu, OS and Python."""
    lines = [f"nproc: {_cmd('nproc') or os.cpu_count()}"]
    lines += _cmd("lscpu").splitlines()[:10]
    lines.append(f"os: {platform.platform()}")
    lines.append(f"python: {sys.version.split()[0]} ({sys.executable})")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines.append(f"load average (1, 5, 15 min) when the report was written: {load}")
    return lines


def write_results(
    rows: list[Row], errors: dict[str, str], args: argparse.Namespace, took_s: float, now: str
) -> None:
    mode = "quick" if args.quick else "full"
    lines = [
        "# agentcore benchmark results",
        "",
        "Generated by `make bench` (`python -m bench`); do not edit by hand: the analysis comes from "
        "`bench/NOTES.md`.",
        "",
        f"- date: {now}; mode: {mode}; run time: {took_s:.0f} s",
        "- server: `bench/_server.py` (FakeOpenAI from `tests/fakes`, its own process, 127.0.0.1, zero latency)",
        "- method: variants interleaved and shuffled per round, `gc.collect()` before each run; "
        "ratios are medians of per-round ratios to the raw-SDK run of the same round "
        "(peers: to the raw-SDK loop in the peers venv, measured in the same rounds)",
        "",
        "## Machine",
        "",
        "```",
        *machine(),
        "```",
        "",
        "## Versions",
        "",
        ", ".join(f"{k} {v}" for k, v in versions().items()),
        "",
        "## Targets",
        "",
        "| figure | value | target | |",
        "|---|---|---|---|",
    ]
    for r in rows:
        if r.target:
            if "x raw" in r.target and r.ratio is not None:
                value = f"{r.ratio:.3f}x"
            else:
                value = f"{_fmt(r.median_ms)} ms" + (f" ({r.note})" if r.note else "")
            lines.append(f"| {r.group.split(':')[0]}: {r.name} | {value} | {r.target} | {_met(r)} |")
    for name, error in errors.items():
        lines.append(f"| case `{name}` | did not run: {error} | | MISSED |")
    lines += ["", "## Tables (milliseconds)", ""]
    for group, body in tables(rows):
        lines += [f"### {group}", "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        lines += ["| " + " | ".join(c.replace("|", "/") for c in cells) + " |" for cells in body]
        lines.append("")
    if NOTES.exists():
        lines += [NOTES.read_text(encoding="utf-8").rstrip(), ""]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and sizes (under 2 minutes)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="run only this case")
    parser.add_argument("--no-peers", action="store_true", help="do not create/update the peers venv")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite RESULTS.md from the last full run's rows (bench/out/last_run.json), after editing NOTES.md",
    )
    parser.add_argument(
        "--write", action="store_true", help="write RESULTS.md even with --only (a full run always writes)"
    )
    args = parser.parse_args(argv)
    last = OUT / "last_run.json"
    if args.report_only:
        saved = json.loads(last.read_text(encoding="utf-8"))
        args.quick = saved["quick"]
        write_results([Row(**r) for r in saved["rows"]], saved["errors"], args, saved["took"], saved["date"])
        print(f"wrote {RESULTS.relative_to(ROOT)} from {last.relative_to(ROOT)}")
        return 0
    names = case_names()
    wanted = [n for item in args.only for n in item.split(",") if n]
    unknown = [n for n in wanted if n not in names]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; cases: {', '.join(names)}")
    if wanted:
        names = [n for n in names if n in wanted]
    started = time.perf_counter()
    for stale in OUT.glob("agentcore-*.db*"):
        if stale.is_dir():  # a SQLite file's session-lock folder (``<file>.locks``)
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
    if not args.no_peers:
        print(ensure_peers_venv(), flush=True)
    rows: list[Row] = []
    errors: dict[str, str] = {}
    for name in names:
        t0 = time.perf_counter()
        print(f"running {name} ...", end=" ", flush=True)
        case_rows, error = run_case(name, args.quick)
        print(f"{time.perf_counter() - t0:.0f} s" + (f"  FAILED: {error}" if error else ""), flush=True)
        rows += case_rows
        if error:
            errors[name] = error
    took = time.perf_counter() - started
    print_tables(rows)
    missed = [f"{r.group.split(':')[0]}: {r.name}" for r in rows if r.met is False]
    print(f"\ntargets missed: {', '.join(missed) if missed else 'none'}; took {took:.0f} s")
    if not wanted or args.write:
        date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        saved = {"quick": args.quick, "rows": [dataclasses.asdict(r) for r in rows], "errors": errors}
        last.write_text(json.dumps({**saved, "took": took, "date": date}), encoding="utf-8")
        write_results(rows, errors, args, took, date)
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
