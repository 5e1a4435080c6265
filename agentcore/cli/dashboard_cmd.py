"""``agentcore dashboard``: the usage and trace dashboard on 127.0.0.1, for one local user."""

from __future__ import annotations

from typing import Annotated

import typer

from agentcore.cli._common import ConfigOpt
from agentcore.cli.app import app

HOST = "127.0.0.1"  # local and keyless: never bound to another interface


@app.command()
def dashboard(
    db: Annotated[
        str | None, typer.Option("--db", help="database URL (default: storage.url, then ~/.agentcore)")
    ] = None,
    port: Annotated[int, typer.Option("--port", help="port on 127.0.0.1")] = 8765,
    open_browser: Annotated[bool, typer.Option("--open", help="open it in the default browser")] = False,
    config: ConfigOpt = None,
) -> None:
    """Serve the usage and trace dashboard on http://127.0.0.1:PORT (no key: local use only)."""
    from agentcore.cli._calllog import calllog_url
    from agentcore.cli._common import user_errors

    with user_errors():
        url = calllog_url(config, db)
    import asyncio

    import uvicorn

    from agentcore.dashboard import create_dashboard_app

    typer.echo("preparing the hourly aggregates (a one-time scan on a large call log)...")
    asyncio.run(_prepare(url))
    address = f"http://{HOST}:{port}/"
    typer.echo(f"agentcore dashboard on {address} (Ctrl-C to stop)")
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(0.8, webbrowser.open, args=(address,)).start()
    uvicorn.run(create_dashboard_app(url), host=HOST, port=port, log_level="warning")


async def _prepare(url: str) -> None:
    """Create the indexes and roll up settled hours now, not on the first page view."""
    import agentcore.context.store  # noqa: F401  # pyright: ignore[reportUnusedImport]
    from agentcore.dashboard import _rollup, _schema
    from agentcore.storage.db import dispose_engines, open_database
    from agentcore.tracing import calllog

    calllog.register()
    _schema.register()
    try:
        await _rollup.refresh(await open_database(url))
    finally:
        await dispose_engines()


__all__ = ["dashboard"]
