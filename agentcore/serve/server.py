"""Running the gateway: uvicorn with N workers, graceful drain on SIGTERM.

uvicorn stops accepting on SIGTERM/SIGINT, lets in-flight requests finish for up to
``serve.drainTimeout`` seconds, then runs the app's shutdown: agents close their MCP servers and
sessions, and the call log is flushed.
"""

from __future__ import annotations

import os
import tempfile
from importlib.util import find_spec
from pathlib import Path

from agentcore.config.schema import AgentConfig
from agentcore.errors import MissingExtraError

CONFIG_ENV = "AGENTCORE_SERVE_CONFIG"


def check_installed() -> None:
    """A one-line error naming the extra when the serve dependencies are missing."""
    for package in ("starlette", "uvicorn", "prometheus_client"):
        if find_spec(package) is None:
            raise MissingExtraError("agentcore serve", "serve", package)


def serve(config: AgentConfig, *, host: str, port: int, workers: int) -> None:
    """Serve ``config`` until SIGTERM/SIGINT (blocks)."""
    check_installed()
    import uvicorn

    if config.source is not None:
        os.environ[CONFIG_ENV] = str(Path(config.source).resolve())
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every worker writes its samples here; /metrics on any worker sums them.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="agentcore-metrics-")
    options: dict[str, object] = {
        "host": host,
        "port": port,
        "workers": workers,
        "factory": True,
        "timeout_graceful_shutdown": config.serve.drain_timeout,
        "log_level": "warning",
        "access_log": False,
        "server_header": False,
        "loop": "uvloop" if find_spec("uvloop") is not None else "asyncio",
        "http": "httptools" if find_spec("httptools") is not None else "h11",
    }
    import inspect

    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters:
        # A worker that is still importing when the supervisor first pings it (5 s by default; a
        # busy machine takes longer) would be killed and restarted over and over.
        options["timeout_worker_healthcheck"] = 60
    if workers == 1 and config.source is None:
        # A config built in code (no file for workers to load): serve it from this process.
        from agentcore.serve.app import create_app

        options.pop("factory")
        options.pop("workers")
        uvicorn.run(create_app(config), **options)  # pyright: ignore[reportArgumentType]
        return
    uvicorn.run("agentcore.serve.app:app_from_env", **options)  # pyright: ignore[reportArgumentType]
