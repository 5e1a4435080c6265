"""``agentcore serve``: the OpenAI- and Anthropic-compatible HTTP gateway."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agentcore.cli._common import ConfigOpt, user_errors
from agentcore.cli.app import app


@app.command()
def serve(
    config: ConfigOpt = None,
    host: Annotated[str | None, typer.Option("--host", help="address to listen on (serve.host)")] = None,
    port: Annotated[int | None, typer.Option("--port", help="port to listen on (serve.port)")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", help="worker processes (serve.workers)")
    ] = None,
    mcp: Annotated[bool, typer.Option("--mcp", help="serve the agents as an MCP server instead")] = False,
    transport: Annotated[str, typer.Option("--transport", help="with --mcp: stdio or http")] = "stdio",
    expose_tools: Annotated[
        bool, typer.Option("--expose-tools", help="with --mcp: offer the agent's tools too")
    ] = False,
) -> None:
    """Serve the agent and its models over HTTP (/v1/chat/completions, /v1/messages, /v1/models)."""
    from agentcore.config.loader import load_config
    from agentcore.serve.server import serve as run_server

    with user_errors():
        cfg = load_config(config)
        if cfg.source is None and config is not None:
            cfg.source = Path(config)
        s = cfg.serve
        if mcp:
            from agentcore.cli._mcp_serve import serve_mcp

            serve_mcp(cfg, transport, host or s.host, port if port is not None else s.port, expose_tools)
            return
        workers = workers or s.workers
        if workers > 1 and not cfg.storage.redis:
            typer.echo(
                "warning: several workers without storage.redis: rate limits and budgets are counted per worker",
                err=True,
            )
        typer.echo(
            f"agentcore serve: http://{host or s.host}:{port if port is not None else s.port} ({workers} worker(s))",
            err=True,
        )
        run_server(cfg, host=host or s.host, port=port if port is not None else s.port, workers=workers)
