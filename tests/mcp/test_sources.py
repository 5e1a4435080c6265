"""MCP servers through UnifiedToolManager, against the real demo server on stdio, SSE and streamable HTTP.

Clients are opened inside each test body (an async fixture yielding an open MCP client breaks at
teardown under pytest-asyncio).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentcore.config.schema import McpServerConfig
from agentcore.messages import ImagePart, InternalMessage, TextPart, ToolCall
from agentcore.tools.manager import UnifiedToolManager
from agentcore.tools.mcp import McpServerError, McpToolSource
from tests.mcp._servers import http_server, pid_alive, stdio_entry

GUARD = 30  # seconds: a hang guard, never a timing assertion


def source(name: str, entry: dict[str, Any]) -> McpToolSource:
    return McpToolSource(name, McpServerConfig.model_validate(entry))


def call(name: str, arguments: dict[str, Any] | None = None, call_id: str = "c1") -> ToolCall:
    return ToolCall(call_id, name, json.dumps(arguments or {}))


async def run(manager: UnifiedToolManager, name: str, **arguments: Any) -> InternalMessage:
    return await asyncio.wait_for(manager.execute(call(name, arguments)), GUARD)


async def wait_dead(pid: int) -> None:
    async with asyncio.timeout(GUARD):
        while pid_alive(pid):  # noqa: ASYNC110 - a process exit has no event to wait on
            await asyncio.sleep(0.01)


async def test_stdio_tools_results_timeouts_list_changed_and_clean_shutdown(agentcore_home: Path) -> None:
    os.environ["AGENTCORE_TEST_SECRET"] = "parent-only"
    try:
        demo = source("demo", stdio_entry("demo", env={"GIVEN": "yes"}, timeout=0.5))
        manager = UnifiedToolManager([demo], output_limit=500)
        await asyncio.wait_for(manager.start(), GUARD)
        try:
            names = {s.name for s in manager.specs()}
            assert {"echo", "add", "picture", "weather", "fail", "hang"} <= names
            spec = manager.get("add")
            assert spec is not None and spec.source == "demo"
            assert spec.parameters["required"] == ["a", "b"]

            assert (await run(manager, "echo", text="hi")).content == "demo:hi"
            assert (await run(manager, "add", a=2, b=3)).text == "5"

            picture = await run(manager, "picture")
            assert isinstance(picture.content, tuple)
            assert picture.content[0] == TextPart("a red pixel")
            image = picture.content[1]
            assert isinstance(image, ImagePart) and image.media_type == "image/png"
            assert image.data is not None and image.data.startswith(b"\x89PNG")

            weather = await run(manager, "weather", city="Oslo")
            assert json.loads(weather.text) == {"city": "Oslo", "temp_c": 21}

            failed = await run(manager, "fail", message="disk full")
            assert failed.is_error and "disk full" in failed.text

            big = await run(manager, "big", n=2000)
            assert big.text.startswith("x" * 500)
            assert "[output truncated: 1500 of 2000 characters cut]" in big.text

            # The child sees what it was given plus PATH/HOME, never the parent's whole environment.
            assert (await run(manager, "env", key="GIVEN")).text == "yes"
            assert (await run(manager, "env", key="AGENTCORE_TEST_SECRET")).text == "<unset>"
            assert (await run(manager, "env", key="PATH")).text != "<unset>"

            resources = await demo.list_resources()
            assert [(r.uri, r.name) for r in resources] == [("demo://greeting", "greeting")]
            assert await demo.read_resource("demo://greeting") == "hello from demo"
            prompts = await demo.list_prompts()
            assert [(p.name, p.arguments) for p in prompts] == [
                ("review", [("code", True), ("language", False)])
            ]
            messages = await demo.get_prompt("review", {"code": "x = 1"})
            assert messages == [("user", "Review this python code:\nx = 1")]

            # A hanging tool times out with an error result; the same session stays usable.
            hung = await run(manager, "hang")
            assert hung.is_error and "timed out after 0.5 s" in hung.text
            assert (await run(manager, "echo", text="still here")).text == "demo:still here"

            # Ctrl-C: cancelling an in-flight call propagates cancellation; the session stays usable.
            task = asyncio.ensure_future(manager.execute(call("hang", {"seconds": 60})))
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert (await run(manager, "echo", text="after cancel")).text == "demo:after cancel"

            # tools/list_changed refreshes the cached list (which is otherwise never re-fetched).
            assert manager.get("extra") is None
            assert manager.specs() is manager.specs()
            version = manager.version
            assert (await run(manager, "grow")).text == "grown"
            await asyncio.wait_for(demo.wait_refreshes(1), GUARD)
            assert manager.get("extra") is not None
            assert manager.version > version
            assert (await run(manager, "extra")).text == "extra!"
            assert demo.state == "up" and demo.reconnects == 0

            pid = int((await run(manager, "pid")).text)
            assert pid_alive(pid)
        finally:
            await asyncio.wait_for(manager.close(), GUARD)
    finally:
        del os.environ["AGENTCORE_TEST_SECRET"]
    assert not pid_alive(pid), "the stdio server outlived shutdown"
    assert demo.state == "stopped"
    # stderr went to the log file, not the terminal.
    assert (agentcore_home / "logs" / "mcp-demo.log").is_file()


async def test_killed_stdio_server_is_reconnected_transparently() -> None:
    demo = source("demo", stdio_entry("demo"))
    manager = UnifiedToolManager([demo])
    await asyncio.wait_for(manager.start(), GUARD)
    try:
        first = int((await run(manager, "pid")).text)
        os.kill(first, 9)
        await wait_dead(first)

        again = await run(manager, "pid")
        assert not again.is_error, again.text
        second = int(again.text)
        assert second != first
        assert demo.state == "up" and demo.reconnects == 1

        # A call that crashes the server: reconnected and retried once, then an error result (no hang).
        crashed = await run(manager, "crash")
        assert crashed.is_error and "lost the connection" in crashed.text
    finally:
        await manager.close()
    assert not pid_alive(second)


async def test_name_clash_shows_prefixed_name_but_calls_the_servers_own_name() -> None:
    alpha = source("alpha", stdio_entry("alpha", include=["echo", "add"]))
    beta = source("beta", stdio_entry("beta", exclude=["add", "h*"]))
    manager = UnifiedToolManager([alpha, beta])
    await asyncio.wait_for(manager.start(), GUARD)
    try:
        names = {s.name for s in manager.specs()}
        assert {"echo", "beta__echo", "add"} <= names
        assert "beta__add" not in names and "hang" not in names  # excluded on beta
        assert "pid" in names and "alpha__pid" not in names  # alpha includes only echo and add
        assert (await run(manager, "echo", text="x")).text == "alpha:x"
        # The model calls beta__echo; beta receives "echo" (it has no tool by any other name).
        assert (await run(manager, "beta__echo", text="y")).text == "beta:y"
        assert {r["name"]: r["original_name"] for r in manager.status()}["beta__echo"] == "echo"
    finally:
        await manager.close()


async def test_lenient_server_failing_to_start_is_down_and_the_rest_work() -> None:
    good = source("good", stdio_entry("good"))
    broken = source("broken", stdio_entry("broken", "--fail"))
    missing = source("missing", {"command": "definitely-not-a-command-xyz"})
    silent = source("silent", {"command": sys.executable, "args": ["-c", "import time; time.sleep(60)"]})
    silent.startup_timeout = 0.5
    manager = UnifiedToolManager([good, broken, missing, silent])
    await asyncio.wait_for(manager.start(), GUARD)
    try:
        assert (await run(manager, "echo", text="ok")).text == "good:ok"
        states = {r["name"]: r for r in manager.source_status()}
        assert states["broken"]["state"] == "down"
        assert "refusing to start" in states["broken"]["error"]
        assert states["missing"]["state"] == "down"
        assert "command not found" in states["missing"]["error"]
        assert states["good"]["state"] == "up" and states["good"]["tools"] > 0
        assert states["silent"]["state"] == "down"
        assert "did not finish start-up within 0.5 s" in states["silent"]["error"]
    finally:
        await manager.close()


async def test_strict_server_failing_to_start_stops_start_up_with_its_name() -> None:
    other = source("other", {"command": "definitely-not-a-command-xyz"})  # lenient: only a warning
    broken = source("broken", stdio_entry("broken", "--fail", connectionMode="strict"))
    manager = UnifiedToolManager([other, broken])
    with pytest.raises(McpServerError) as info:
        await asyncio.wait_for(manager.start(), GUARD)
    assert "MCP server 'broken'" in str(info.value)
    assert "refusing to start" in str(info.value)
    assert "mcp-broken.log" in str(info.value)  # where to look for the rest of its stderr


async def test_streamable_http_list_call_reconnect_then_down(
    http_demo: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, proc = http_demo
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    demo = source("web", {"type": "http", "url": url, "headers": {"X-Api-Key": "k"}, "timeout": 0.5})
    assert demo.transport == "streamable-http"
    manager = UnifiedToolManager([demo])
    await asyncio.wait_for(manager.start(), GUARD)
    try:
        assert (await run(manager, "echo", text="hi")).text == "demo:hi"
        assert (await run(manager, "hang")).is_error
        assert (await run(manager, "add", a=1, b=1)).text == "2"
        assert (await run(manager, "grow")).text == "grown"
        await asyncio.wait_for(demo.wait_refreshes(1), GUARD)
        assert manager.get("extra") is not None
        first = int((await run(manager, "pid")).text)

        # Restarted server: it no longer knows our session; the next call reconnects transparently.
        proc.kill()
        proc.wait(timeout=10)
        with http_server("http", port=port):
            again = await run(manager, "pid")
            assert not again.is_error, again.text
            assert int(again.text) != first
            assert demo.reconnects == 1 and demo.state == "up"

        # Gone for good: the reconnect fails, the call gets an error result and the server is down.
        gone = await run(manager, "echo", text="anyone?")
        assert gone.is_error and "MCP server 'web'" in gone.text
        assert demo.state == "down"
        assert {r["name"]: r["state"] for r in manager.source_status()}["web"] == "down"
        # A down server answers at once instead of hanging each call.
        assert (await run(manager, "echo", text="again")).is_error
    finally:
        await manager.close()


async def test_sse_list_and_call(sse_demo: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, _ = sse_demo
    demo = source("events", {"url": url})
    assert demo.transport == "sse"
    manager = UnifiedToolManager([demo])
    await asyncio.wait_for(manager.start(), GUARD)
    try:
        assert "weather" in {s.name for s in manager.specs()}
        assert (await run(manager, "echo", text="sse")).text == "demo:sse"
        assert await demo.read_resource("demo://greeting") == "hello from demo"
    finally:
        await manager.close()
