"""The sqlite3 read of a learned capability (the per-run lookup) answers what the SQLAlchemy read does."""

from __future__ import annotations

from pathlib import Path

from agentcore.storage import _capabilities_sql
from agentcore.storage.capabilities import native_tools, remember_native_tools
from agentcore.storage.db import dispose_engines


async def test_both_reads_agree_on_one_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'caps.db'}"
    await remember_native_tools(url, "ollama", None, "qwen3", False, "no tools")
    await remember_native_tools(url, "lmstudio", "http://127.0.0.1:1234/v1", "m", True)
    keys = [("ollama", None, "qwen3"), ("lmstudio", "http://127.0.0.1:1234/v1", "m"),
            ("lmstudio", None, "m"), ("ollama", None, "other")]  # fmt: skip
    lite = [await native_tools(url, *key) for key in keys]
    full = [await _capabilities_sql.native_tools(url, *key) for key in keys]
    assert lite == full == [False, True, None, None]
    await dispose_engines()
