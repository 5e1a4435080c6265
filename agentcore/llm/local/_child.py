"""The managed llama.cpp server: run as ``python _child.py MODEL CTX THREADS`` by ``agentcore.llm.local``.

Prints ``LISTENING <url>`` (or ``ERROR <message>``) on stdout once, then serves until its standard
input closes: the parent holds the other end, so the server ends with the parent however the parent
ends (exit, crash, SIGKILL) and no orphan is left. Imports nothing of agentcore (a quick start).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> int:
    model, ctx, threads = argv[1], int(argv[2]), int(argv[3])
    try:
        import xllamacpp as xlc  # pyright: ignore[reportMissingImports]

        params: object = xlc.CommonParams()  # pyright: ignore[reportUnknownMemberType]
        p = params  # type: ignore[assignment]
        p.model.path = model  # type: ignore[attr-defined]
        p.n_ctx = ctx  # type: ignore[attr-defined]
        p.warmup = False  # type: ignore[attr-defined]  # warming up costs ~1 s of start-up for nothing
        p.cpuparams.n_threads = threads  # type: ignore[attr-defined]
        p.cpuparams_batch.n_threads = threads  # type: ignore[attr-defined]
        p.hostnames = ["127.0.0.1"]  # type: ignore[attr-defined]
        p.port = 0  # type: ignore[attr-defined]  # any free port; the server tells which
        server: object = xlc.Server(params)  # pyright: ignore[reportUnknownMemberType]
        url = str(server.listening_address)  # type: ignore[attr-defined]
    except Exception as exc:  # reported to the parent in one line, which turns it into a ProviderError
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
