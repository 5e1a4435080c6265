"""Runs one case in a fresh interpreter: ``python -m bench._child NAME OUT.json [--quick]``.

Each case gets its own process so no case inherits another's heap, imports or threads.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
import sys


def main() -> None:
    name, out = sys.argv[1], sys.argv[2]
    quick = "--quick" in sys.argv[3:]
    module = importlib.import_module(f"bench.cases.{name}")
    rows = asyncio.run(module.run(quick))
    with open(out, "w", encoding="utf-8") as fh:
        json.dump([dataclasses.asdict(r) for r in rows], fh)


if __name__ == "__main__":
    main()
