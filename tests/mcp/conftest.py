"""MCP tests: stdio servers log under a per-test AGENTCORE_HOME; HTTP servers run as subprocesses."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mcp._servers import http_server


@pytest.fixture(autouse=True)
def agentcore_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("AGENTCORE_HOME", str(home))
    return home


@pytest.fixture
def http_demo() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The demo server over streamable HTTP: (url, process)."""
    with http_server("http") as running:
        yield running


@pytest.fixture
def sse_demo() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The demo server over SSE: (url, process)."""
    with http_server("sse") as running:
        yield running
