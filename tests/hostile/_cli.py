"""Running ``agentcore`` as a real process with bounded time and memory, and reading what it stored.

``run_cli`` reaps the child with ``os.wait4`` so each run reports its own peak RSS (``RUSAGE_CHILDREN``
would mix the runs a test starts in parallel); the address space is capped as well (``ulimit -v``), so a runaway
allocation fails the child instead of the machine.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from agentcore.context.manager import ContextManager
from agentcore.context.store import SessionStore
from agentcore.messages import InternalMessage
from agentcore.storage.db import dispose_engines
from tests.storage.conftest import Db, make_db

AGENTCORE = str(Path(sys.executable).parent / "agentcore")
REPO = Path(__file__).resolve().parents[2]
TIME_LIMIT_S = 120.0  # a hang is a failure; a case takes a few seconds (much more on a loaded machine)
ADDRESS_SPACE = 1536 * 1024 * 1024  # RLIMIT_AS of each child
MAX_RSS_KB = 400 * 1024  # peak resident memory a case may reach (a plain run needs about 100 MB)
#: not shaped like a key: only masking of the configured secret can hide it
KEY = "zq8Fh2kLmN4pQr7sTuVw"


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    elapsed: float
    max_rss_kb: int
    timed_out: bool

    @property
    def lines(self) -> list[str]:
        return self.stderr.splitlines()


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """The suite's environment without keys or log redirections, with its own AGENTCORE_HOME."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_API_KEY")
        and k not in ("AGENTCORE_LOG_JSON", "AGENTCORE_CONFIG", "AGENTCORE_DB_URL", "AGENTCORE_FILES_ROOT")
    }
    env.update({"NO_COLOR": "1", "PYTHONPATH": str(REPO), "AGENTCORE_HOME": str(home), **extra})
    return env


def _drain(stream: IO[bytes], into: list[bytes]) -> None:
    into.append(stream.read())


def start(
    args: list[str], cwd: Path, env: dict[str, str], stdin: bytes | None = None
) -> subprocess.Popen[bytes]:
    """Start ``agentcore ARGS``; pair with ``finish``."""
    # The shell sets the limit and execs the CLI (same pid): no preexec_fn, which is unsafe with the
    # threads a test runs its cases in.
    limit = f'ulimit -v {ADDRESS_SPACE // 1024} && exec "$0" "$@"'
    return subprocess.Popen(
        ["/bin/sh", "-c", limit, AGENTCORE, *args],
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
    )


def finish(
    proc: subprocess.Popen[bytes], stdin: bytes | None = None, timeout: float = TIME_LIMIT_S
) -> Outcome:
    """Feed stdin, collect the output and reap the child (killed after ``timeout``)."""
    started = time.monotonic()
    fired = threading.Event()

    def kill() -> None:
        fired.set()
        proc.kill()

    killer = threading.Timer(timeout, kill)
    killer.start()
    out: list[bytes] = []
    err: list[bytes] = []
    assert proc.stdout is not None and proc.stderr is not None
    readers = [
        threading.Thread(target=_drain, args=(proc.stdout, out)),
        threading.Thread(target=_drain, args=(proc.stderr, err)),
    ]
    for reader in readers:
        reader.start()
    if proc.stdin is not None:
        try:
            proc.stdin.write(stdin or b"")
            proc.stdin.close()
        except BrokenPipeError:
            pass
    _, status, usage = os.wait4(proc.pid, 0)
    killer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    proc.stdout.close()
    proc.stderr.close()
    return Outcome(
        proc.returncode,
        out[0].decode("utf-8", "backslashreplace"),
        err[0].decode("utf-8", "backslashreplace"),
        time.monotonic() - started,
        usage.ru_maxrss,
        fired.is_set(),
    )


def run_cli(
    args: list[str], cwd: Path, env: dict[str, str], stdin: bytes | None = None, timeout: float = TIME_LIMIT_S
) -> Outcome:
    return finish(start(args, cwd, env, stdin), stdin, timeout)


def backend_db(kind: str, folder: Path) -> Iterator[Db]:
    """A fresh SQLite file or PostgreSQL schema (skipped locally when PostgreSQL is down)."""
    yield from make_db(kind, folder)


def load_session(url: str, name: str) -> list[InternalMessage] | None:
    """The stored messages of session ``name`` as agentcore reads them back (None: no such session)."""

    async def load() -> list[InternalMessage] | None:
        store = SessionStore(url)
        try:
            if await store.find(name) is None:
                return None
            ctx = ContextManager(store=store, name=name)
            await ctx.load()
            return list(ctx.messages)
        finally:
            await dispose_engines()

    return asyncio.run(load())
