"""The managed llama.cpp server: run as ``python _child.py MODEL CTX THREADS`` by ``agentcore.llm.local``.

Prints ``LISTENING <url>`` (or ``ERROR <message>``) on stdout once, then serves until its standard
input closes: the parent holds the other end, so the server ends with the parent however the parent
ends (exit, crash, SIGKILL) and no orphan is left. Imports nothing of agentcore (a quick start).
"""

from __future__ import annotations

import os
import sys
from typing import Any


def main(argv: list[str]) -> int:
    model, ctx, threads = argv[1], int(argv[2]), int(argv[3])
    try:
        from importlib import import_module

        xlc: Any = import_module("xllamacpp")  # a compiled module without type information
        p: Any = xlc.CommonParams()
        p.model.path = model
        p.n_ctx = ctx
        p.warmup = False  # warming up costs ~1 s of start-up for nothing
        p.cpuparams.n_threads = threads
        p.cpuparams_batch.n_threads = threads
        p.hostnames = ["127.0.0.1"]
        p.port = 0  # any free port; the server tells which
        server: Any = xlc.Server(p)
        url = str(server.listening_address)
    except Exception as exc:  # reported to the parent in one line, which turns it into a ConfigError
        sys.stdout.write(f"ERROR {type(exc).__name__}: {exc}\n")
        sys.stdout.flush()
        return 1
    sys.stdout.write(f"LISTENING {url}\n")
    sys.stdout.flush()
    try:
        while sys.stdin.buffer.read(65536):
            pass
    except (OSError, KeyboardInterrupt):
        pass
    # os._exit: llama.cpp's server threads need no orderly shutdown, and waiting for them could hang.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
