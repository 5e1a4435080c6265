"""One MCP tool call round trip: through ``UnifiedToolManager`` versus the bare ``mcp`` ClientSession.

Both clients talk to the same streamable-HTTP server (this file run as a script, on a free loopback
port). Rounds are paired (bare, then ours) so the load of the moment hits both alike; the target is
on the median of the per-round differences.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.api import Row, median, p90

TARGET_MS = 1.0
_ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_port(port: int, proc: asyncio.subprocess.Process, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise RuntimeError("the bench MCP server exited")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.02)
            continue
        writer.close()
        return
    raise RuntimeError("the bench MCP server did not start")


async def run(quick: bool) -> list[Row]:
    """Bare SDK call vs manager call, and the overhead (target <= 1 ms)."""
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    from agentcore.config.schema import McpServerConfig
    from agentcore.logs import ensure_logging
    from agentcore.messages import ToolCall
    from agentcore.tools.manager import UnifiedToolManager
    from agentcore.tools.mcp import McpToolSource

    ensure_logging("warning")
    rounds = 100 if quick else 400
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.cases.mcp_roundtrip",
        str(port),
        cwd=_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await _wait_port(port, proc)
        url = f"http://127.0.0.1:{port}/mcp"
        manager = UnifiedToolManager([McpToolSource("bench", McpServerConfig.model_validate({"url": url}))])
        await manager.start()
        call = ToolCall("c1", "echo", '{"text": "ping"}')
        bare_ms: list[float] = []
        ours_ms: list[float] = []
        try:
            async with (
                httpx2.AsyncClient() as http,
                streamable_http_client(url, http_client=http) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                for _ in range(10):  # warm both paths
                    await session.call_tool("echo", {"text": "ping"})
                    await manager.execute(call)
                for _ in range(rounds):
                    gc.collect()
                    start = time.perf_counter()
                    await session.call_tool("echo", {"text": "ping"})
                    middle = time.perf_counter()
                    result = await manager.execute(call)
                    end = time.perf_counter()
                    assert result.text == "ping" and not result.is_error
                    bare_ms.append((middle - start) * 1000)
                    ours_ms.append((end - middle) * 1000)
        finally:
            await manager.close()
    finally:
        proc.kill()
        await proc.wait()
    overhead = [o - b for o, b in zip(ours_ms, bare_ms, strict=True)]
    over = median(overhead)
    group = "MCP tool call round trip (streamable HTTP, loopback)"
    return [
        Row(group, "bare mcp ClientSession.call_tool", median(bare_ms), p90(bare_ms), 1.0),
        Row(
            group,
            "UnifiedToolManager.execute (MCP source)",
            median(ours_ms),
            p90(ours_ms),
            median(ours_ms) / median(bare_ms),
        ),
        Row(
            group,
            "overhead over the bare client",
            over,
            p90(overhead),
            target=f"<= {TARGET_MS:g} ms",
            met=over <= TARGET_MS,
            note=f"{rounds} paired rounds",
        ),
    ]


def _serve(port: int) -> None:
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("bench", log_level="WARNING")

    @server.tool()
    def echo(text: str) -> str:  # pyright: ignore[reportUnusedFunction]
        """Echo."""
        return text

    server.run("streamable-http", host="127.0.0.1", port=port)


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
