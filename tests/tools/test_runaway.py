"""Runaway tools: timeouts abandon calls, nothing they do can hang the turn or the process."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from agentcore._redact import register_secret
from agentcore.agent import Agent
from agentcore.config.loader import load_config_from_dict
from agentcore.messages import ToolCall
from agentcore.tools.decorator import LocalTool, tool
from agentcore.tools.local import LocalToolSource
from agentcore.tools.manager import UnifiedToolManager

GUARD = 20  # seconds: a hang guard, never a timing assertion
_never = threading.Event()  # never set: a sync tool waiting on it never returns on its own


@pytest.fixture(autouse=True, scope="module")
def _release_stuck_threads() -> Iterator[None]:
    yield
    _never.set()  # the abandoned threads may end now that every test is done


def call(name: str, call_id: str = "c1", arguments: str = "{}") -> ToolCall:
    return ToolCall(call_id, name, arguments)


async def manager_with(
    *tools: LocalTool[..., Any], timeout: float = 60.0, concurrency: int = 8
) -> UnifiedToolManager:
    manager = UnifiedToolManager(
        [LocalToolSource(tools, concurrency=concurrency)], default_timeout=timeout, concurrency=concurrency
    )
    await manager.start()
    return manager


@tool
def stuck() -> str:
    """Never returns."""
    _never.wait()
    return "unreachable"


async def test_stuck_sync_tools_time_out_on_daemon_threads_and_leave_the_default_executor_free() -> None:
    manager = await manager_with(stuck, timeout=0.2)
    try:
        # More stuck calls than the loop's default executor has threads (6 on 2 cores).
        calls = [call("stuck", f"c{i}") for i in range(10)]
        results = await asyncio.wait_for(manager.execute_all(calls), GUARD)
        assert all(r.is_error and "timed out after 0.2 s" in r.text for r in results)
        # The database layer's executor is untouched: work there runs at once.
        assert await asyncio.wait_for(asyncio.to_thread(lambda: "free"), GUARD) == "free"
        tool_threads = [t for t in threading.enumerate() if t.name.startswith("agentcore-tool")]
        assert len(tool_threads) >= 10 and all(t.daemon for t in tool_threads)
    finally:
        await manager.close()


async def test_timeout_counts_from_the_start_not_while_queued() -> None:
    running = 0
    most = 0
    lock = threading.Lock()

    @tool
    def half_second() -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.5)
        with lock:
            running -= 1
        return "ok"

    manager = await manager_with(half_second, timeout=2.0, concurrency=10)
    try:
        calls = [call("half_second", f"c{i}") for i in range(100)]
        results = await asyncio.wait_for(manager.execute_all(calls), 60)
    finally:
        await manager.close()
    assert [r.text for r in results] == ["ok"] * 100  # 5 s in all, yet no call timed out
    assert most <= 10


async def test_async_tool_swallowing_cancellation_is_abandoned_and_the_loop_still_shuts_down() -> None:
    swallowed = threading.Event()

    @tool
    async def stubborn() -> str:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                swallowed.set()

    outcome: dict[str, Any] = {}

    async def scenario() -> None:
        manager = await manager_with(stubborn, timeout=0.2)
        result = await manager.execute(call("stubborn"))
        outcome["result"] = result
        await manager.close()

    # Its own event loop in a thread: asyncio.run must return (it waits for every task at shutdown).
    thread = threading.Thread(target=asyncio.run, args=(scenario(),), daemon=True)
    thread.start()
    await asyncio.to_thread(thread.join, GUARD)
    assert not thread.is_alive(), "the event loop never finished"
    assert swallowed.is_set()
    assert outcome["result"].is_error and "timed out after 0.2 s" in outcome["result"].text


async def test_system_exit_and_keyboard_interrupt_become_error_results() -> None:
    @tool
    def exits() -> str:
        raise SystemExit(7)

    @tool
    async def exits_async() -> str:
        raise SystemExit(3)

    @tool
    def interrupts() -> str:
        raise KeyboardInterrupt

    @tool
    def fine() -> str:
        return "fine"

    manager = await manager_with(exits, exits_async, interrupts, fine)
    try:
        names = ["exits", "exits_async", "interrupts", "fine"]
        results = await asyncio.wait_for(
            manager.execute_all([call(n, f"c{i}") for i, n in enumerate(names)]), GUARD
        )
    finally:
        await manager.close()
    assert [r.is_error for r in results] == [True, True, True, False]
    assert "SystemExit(7)" in results[0].text and "SystemExit(3)" in results[1].text
    assert "KeyboardInterrupt" in results[2].text
    assert results[3].text == "fine"


async def test_invalid_json_arguments_are_never_executed() -> None:
    ran: list[str] = []

    @tool
    def record(text: str = "") -> str:
        ran.append(text)
        return "ran"

    manager = await manager_with(record)
    try:
        bad = ToolCall(
            "c1", "record", "{}", raw_arguments='{"text": "cut', arguments_error="unterminated string"
        )
        result = await manager.execute(bad)
    finally:
        await manager.close()
    assert result.is_error and "not valid JSON (unterminated string)" in result.text
    assert ran == []


async def test_a_secret_in_a_tool_error_is_masked_and_logged_as_one_line() -> None:
    secret = "zq8Fh2kLmN4pQr7sTuVw"  # not shaped like a key: only registration can catch it
    register_secret(secret)

    @tool
    def leaky() -> str:
        raise RuntimeError(f"auth failed with key {secret}\nsecond line of detail")

    manager = await manager_with(leaky)
    saved = structlog.get_config()
    # Debug level, whatever earlier tests configured: the traceback is logged only there.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        with structlog.testing.capture_logs() as logs:
            result = await manager.execute(call("leaky"))
    finally:
        structlog.configure(**saved)
        await manager.close()
    assert result.is_error and secret not in result.text and "auth failed with key ***" in result.text
    failed = [e for e in logs if e["event"] == "tool failed"]
    assert len(failed) == 1 and "exc_info" not in failed[0] and failed[0]["log_level"] == "info"
    assert "\n" not in failed[0]["error"] and secret not in failed[0]["error"]
    debug = [e for e in logs if e["log_level"] == "debug" and "traceback" in e]
    assert debug and secret not in debug[0]["traceback"] and "Traceback" in debug[0]["traceback"]


async def test_nested_tool_calls_do_not_wait_for_their_callers_slot() -> None:
    holder: dict[str, UnifiedToolManager] = {}

    @tool
    def leaf() -> str:
        return "leaf"

    @tool
    async def outer() -> str:
        inner = await holder["m"].execute(call("leaf", "inner"))
        return f"outer({inner.text})"

    manager = holder["m"] = await manager_with(leaf, outer, concurrency=1)
    try:
        result = await asyncio.wait_for(manager.execute(call("outer")), GUARD)
    finally:
        await manager.close()
    assert result.text == "outer(leaf)"


async def test_concurrent_starts_share_one_start_up() -> None:
    starts = 0

    class CountingSource(LocalToolSource):
        async def start(self) -> None:
            nonlocal starts
            starts += 1
            await asyncio.sleep(0)  # let the other callers arrive while this one is starting
            await super().start()

    manager = UnifiedToolManager([CountingSource([stuck])])
    await asyncio.wait_for(asyncio.gather(*(manager.start() for _ in range(20))), GUARD)
    assert starts == 1 and manager.get("stuck") is not None
    await manager.close()
    await manager.start()  # after close, a new start-up
    assert starts == 2
    await manager.close()


async def test_sqlite_session_resumes_promptly_after_many_runaway_calls(tmp_path: Path) -> None:
    # More stuck calls than the default executor has threads: the database layer must not notice.
    # HTTP is not what is tested here: a scripted model asks for the calls (agentcore.testing).
    from agentcore.testing import ScriptedModel, call

    model = ScriptedModel([[call("stuck") for _ in range(10)], "gave up", "resumed"])
    config = load_config_from_dict(
        {
            "llm": {"provider": "openai", "model": "gpt-4o-mini", "apiKey": "sk-test-0123456789abcdef"},
            "localTools": [],
            "toolTimeout": 0.3,
            "storage": {"url": f"sqlite:///{tmp_path / 'sessions.db'}"},
        },
        base_dir=tmp_path,
    )
    async with Agent(config, tools=[stuck], model=model) as agent:
        first = await asyncio.wait_for(agent.run("go", session="s"), GUARD)
        assert first.text == "gave up" and all("timed out" in c.result for c in first.tool_calls)
        started = time.monotonic()
        second = await asyncio.wait_for(agent.run("again", session="s"), GUARD)
        resumed_in = time.monotonic() - started
    assert second.text == "resumed"
    assert resumed_in < 5, resumed_in  # it used to wait for a free default-executor thread: forever
