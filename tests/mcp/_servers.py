"""Starting the demo MCP server as a subprocess: stdio config, or SSE / streamable HTTP on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SERVER = str(Path(__file__).with_name("demo_server.py"))


def stdio_entry(name: str = "demo", *extra: str, **fields: Any) -> dict[str, Any]:
    """A ``mcpServers`` entry (Claude Desktop shape: no ``type``) starting the demo server over stdio."""
    return {"command": sys.executable, "args": [SERVER, "stdio", "--name", name, *extra], **fields}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Poll until the port accepts connections (or the process died / the bound ran out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"demo server exited with {proc.returncode}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"demo server did not listen on {port} within {timeout} s")


@contextmanager
def http_server(
    transport: str, name: str = "demo", port: int | None = None, *extra: str
) -> Generator[tuple[str, subprocess.Popen[bytes]]]:
    """Run the demo server over ``sse`` or ``http`` (streamable); yields its URL and the process."""
    port = port or free_port()
    proc = subprocess.Popen(
        [sys.executable, SERVER, transport, str(port), "--name", name, *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_for_port(port, proc)
        path = "/sse" if transport == "sse" else "/mcp"
        yield f"http://127.0.0.1:{port}{path}", proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone for our purposes once reaped or defunct.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False
