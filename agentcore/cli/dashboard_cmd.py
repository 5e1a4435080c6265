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
    import uvicorn

    from agentcore.dashboard import create_dashboard_app

    address = f"http://{HOST}:{port}/"
    typer.echo(f"agentcore dashboard on {address} (Ctrl-C to stop)")
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(0.8, webbrowser.open, args=(address,)).start()
    uvicorn.run(create_dashboard_app(url), host=HOST, port=port, log_level="warning")


__all__ = ["dashboard"]
