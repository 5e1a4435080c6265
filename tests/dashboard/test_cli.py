"""``agentcore dashboard``: local, on 127.0.0.1, no key, the database from --db."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agentcore.cli.app import app


def test_dashboard_serves_on_localhost_without_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: dict[str, Any] = {}

    def run(asgi: Any, **kwargs: Any) -> None:  # stands in for the blocking server loop
        seen.update(kwargs, app=asgi)

    monkeypatch.setattr(uvicorn, "run", run)
    db = tmp_path / "calls.db"
    result = CliRunner().invoke(app, ["dashboard", "--db", f"sqlite:///{db}", "--port", "8799"])
    assert result.exit_code == 0, result.output
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8799
    assert "http://127.0.0.1:8799/" in result.output
    assert db.exists()  # the indexes and the rollup were prepared in it

    import httpx2 as httpx

    async def get() -> int:
        transport = httpx.ASGITransport(app=seen["app"])
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return (await client.get("/?period=24h")).status_code

    import asyncio

    assert asyncio.run(get()) == 200  # no login needed
