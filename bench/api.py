"""The contract between the bench harness and its cases.

A case is a module ``bench/cases/<name>.py`` with ``async def run(quick: bool) -> list[Row]``.
The harness (``python -m bench``) runs every case and writes the tables into ``bench/RESULTS.md``.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass
class Row:
    """One measured figure: ``group`` is the table it belongs to, ``name`` the variant measured."""

    group: str
    name: str
    median_ms: float
    p90_ms: float | None = None
    ratio: float | None = None  # to the group's baseline (e.g. the raw SDK), paired per round
    target: str | None = None  # e.g. "<= 0.6x raw SDK"
    met: bool | None = None
    note: str = ""


async def timings(fn: Callable[[], Awaitable[object]], rounds: int, warmup: int = 2) -> list[float]:
    """Milliseconds of ``rounds`` runs of ``fn`` (after ``warmup``), with gc before each run."""
    for _ in range(warmup):
        await fn()
    out: list[float] = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def median(values: list[float]) -> float:
    """The median."""
    return statistics.median(values)


def p90(values: list[float]) -> float:
    """The 90th percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


async def interleaved(
    variants: dict[str, Callable[[], Awaitable[object]]],
    rounds: int,
    warmup: int = 2,
    setup: dict[str, Callable[[], Awaitable[object]]] | None = None,
) -> dict[str, list[float]]:
    """Milliseconds per variant: each round runs every variant once, in a fresh random order, gc first.

    ``setup[name]`` (optional) runs untimed right before each run of that variant. Index ``i`` of every
    list is the same round, so ``paired_ratio`` compares runs made side by side.
    """
    names = list(variants)
    setup = setup or {}
    for _ in range(warmup):
        for name in names:
            if name in setup:
                await setup[name]()
            await variants[name]()
    out: dict[str, list[float]] = {name: [] for name in names}
    rng = random.Random(0)
    for _ in range(rounds):
        rng.shuffle(names)
        for name in names:
            fn = variants[name]
            if name in setup:
                await setup[name]()
            gc.collect()
            start = time.perf_counter()
            await fn()
            out[name].append((time.perf_counter() - start) * 1000)
    return out


def paired_ratio(values: list[float], baseline: list[float]) -> float:
    """The median over rounds of ``value / baseline`` (runs of the same round paired)."""
    return statistics.median(v / b for v, b in zip(values, baseline, strict=True))


def row(
    group: str,
    name: str,
    values: list[float],
    baseline: list[float] | None = None,
    *,
    target: str | None = None,
    met: bool | None = None,
    note: str = "",
) -> Row:
    """A Row with median, p90 and (given a baseline of the same rounds) the paired ratio."""
    ratio = paired_ratio(values, baseline) if baseline is not None else None
    return Row(group, name, median(values), p90(values), ratio, target, met, note)
