"""UnifiedToolManager: namespace, routing, concurrency and every way a call can go wrong."""

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel

from agentcore.messages import ImagePart, InternalMessage, TextPart, ToolCall
from agentcore.tools.base import ToolOutput, ToolSpec
from agentcore.tools.decorator import LocalTool, tool
from agentcore.tools.local import LocalToolSource
from agentcore.tools.manager import UnifiedToolManager, sanitize_tool_name


class FakeSource:
    """An in-test tool source that records what it is asked to run."""

    def __init__(self, name: str, tools: list[str], default_timeout: float | None = None) -> None:
        self.name = name
        self.tool_names = tools
        self.default_timeout = default_timeout
        self.calls: list[tuple[str, dict[str, Any], float]] = []
        self.started = False
        self.closed = False
        self.block: asyncio.Event | None = None

    async def start(self) -> None:
        self.started = True

    async def list_tools(self) -> list[ToolSpec]:
        return [
            ToolSpec(n, f"fake {n}", {"type": "object", "properties": {}}, source=self.name)
            for n in self.tool_names
        ]

    async def call(self, spec: ToolSpec, arguments: dict[str, Any], timeout: float) -> ToolOutput:
        self.calls.append((spec.call_name, arguments, timeout))
        if self.block is not None:
            await self.block.wait()
        return ToolOutput(f"{self.name}:{spec.call_name}")

    async def close(self) -> None:
        self.closed = True


def call(name: str, arguments: Any = "{}", call_id: str = "c1") -> ToolCall:
    return ToolCall(call_id, name, arguments if isinstance(arguments, str) else json.dumps(arguments))


@tool
def add(a: int, b: int = 0) -> int:
    """Add two numbers."""
    return a + b


@tool
def fail(message: str) -> str:
    """Always raises."""
    raise ValueError(message)


async def manager_with(*tools: LocalTool[..., Any], **kwargs: Any) -> UnifiedToolManager:
    manager = UnifiedToolManager([LocalToolSource(tools=list(tools))], **kwargs)
    await manager.start()
    return manager


async def test_execute_success_and_coercion() -> None:
    manager = await manager_with(add)
    result = await manager.execute(call("add", {"a": "2", "b": 3}))
    assert result == InternalMessage.tool_result(call("add"), "5")
    assert result.role == "tool" and result.tool_call_id == "c1" and not result.is_error


async def test_empty_and_null_arguments_mean_no_arguments() -> None:
    @tool
    def ping() -> str:
        return "pong"

    manager = await manager_with(ping)
    assert (await manager.execute(call("ping", ""))).text == "pong"
    assert (await manager.execute(call("ping", "null"))).text == "pong"


async def test_unknown_tool_lists_names_closest_first() -> None:
    @tool
    def zebra() -> None: ...

    manager = await manager_with(zebra, add, fail)
    result = await manager.execute(call("ad"))
    assert result.is_error
    assert "Unknown tool 'ad'" in result.text and "Did you mean 'add'?" in result.text
    assert result.text.index("add") < result.text.index("fail") < result.text.index("zebra")


async def test_invalid_json_quotes_error() -> None:
    manager = await manager_with(add)
    result = await manager.execute(call("add", '{"a": 1,'))
    assert result.is_error
    assert (
        "not valid JSON" in result.text
        and "line 1 column" in result.text
        and "valid JSON object" in result.text
    )


async def test_arguments_not_an_object() -> None:
    manager = await manager_with(add)
    result = await manager.execute(call("add", "[1, 2]"))
    assert result.is_error and "must be a JSON object" in result.text and "an array" in result.text


async def test_validation_failure_is_readable() -> None:
    manager = await manager_with(add)
    result = await manager.execute(call("add", {"a": "abc"}))
    assert result.is_error
    assert "argument 'a': expected an integer, got 'abc'" in result.text
    assert "call 'add' again" in result.text


async def test_exception_becomes_one_line() -> None:
    manager = await manager_with(fail)
    result = await manager.execute(call("fail", {"message": "bad input"}))
    assert result.is_error
    assert result.text == "fail raised ValueError: bad input"
    assert "Traceback" not in result.text


async def test_timeout_reports_seconds() -> None:
    never = asyncio.Event()

    @tool(timeout=0.05)
    async def stuck() -> None:
        await never.wait()

    manager = await manager_with(stuck)
    result = await manager.execute(call("stuck"))
    assert result.is_error and "timed out after 0.05 s" in result.text


async def test_timeout_falls_back_to_source_then_manager() -> None:
    source = FakeSource("fake", ["slow"], default_timeout=0.05)
    source.block = asyncio.Event()
    manager = UnifiedToolManager([source], default_timeout=99)
    await manager.start()
    assert manager.timeout_for("slow") == 0.05
    result = await manager.execute(call("slow"))
    assert "timed out after 0.05 s" in result.text
    plain = await manager_with(add, default_timeout=7)
    assert plain.timeout_for("add") == 7


async def test_tool_raising_timeout_error_is_not_a_timeout() -> None:
    @tool
    async def own_timeout() -> None:
        raise TimeoutError("upstream slow")

    manager = await manager_with(own_timeout)
    result = await manager.execute(call("own_timeout"))
    assert result.text == "own_timeout raised TimeoutError: upstream slow"


async def test_cancellation_propagates() -> None:
    entered = asyncio.Event()

    @tool
    async def waits() -> None:
        entered.set()
        await asyncio.Event().wait()

    manager = await manager_with(waits)
    task = asyncio.create_task(manager.execute(call("waits")))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_execute_all_runs_concurrently_in_order() -> None:
    first_in, second_in = asyncio.Event(), asyncio.Event()

    @tool(timeout=5)
    async def first() -> str:
        first_in.set()
        await second_in.wait()  # only returns if `second` runs at the same time
        return "one"

    @tool(timeout=5)
    async def second() -> str:
        second_in.set()
        await first_in.wait()
        return "two"

    manager = await manager_with(first, second, add)
    results = await manager.execute_all(
        [call("second", call_id="a"), call("add", {"a": 1}, call_id="b"), call("first", call_id="c")]
    )
    assert [(r.tool_call_id, r.text) for r in results] == [("a", "two"), ("b", "1"), ("c", "one")]


async def test_execute_all_bad_calls_do_not_raise() -> None:
    manager = await manager_with(add, fail)
    results = await manager.execute_all(
        [
            call("nope"),
            call("add", "{"),
            call("add", "3"),
            call("add", {"a": "x"}),
            call("fail", {"message": "m"}),
        ]
    )
    assert all(r.is_error for r in results) and len(results) == 5


async def test_execute_all_cancels_all() -> None:
    started = [asyncio.Event(), asyncio.Event()]
    cancelled: list[int] = []

    def make(i: int) -> LocalTool[..., Any]:
        async def wait_forever() -> None:
            started[i].set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.append(i)
                raise

        return tool(name=f"w{i}")(wait_forever)

    manager = await manager_with(make(0), make(1))
    task = asyncio.create_task(manager.execute_all([call("w0"), call("w1")]))
    await started[0].wait()
    await started[1].wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(cancelled) == [0, 1]


async def test_one_cancelled_call_cancels_the_rest() -> None:
    other_started = asyncio.Event()
    other_cancelled = asyncio.Event()

    @tool
    async def cancels_itself() -> None:
        await other_started.wait()
        raise asyncio.CancelledError

    @tool
    async def other() -> None:
        other_started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            other_cancelled.set()
            raise

    manager = await manager_with(cancels_itself, other)
    with pytest.raises(asyncio.CancelledError):
        await manager.execute_all([call("cancels_itself"), call("other")])
    assert other_cancelled.is_set()


async def test_output_truncated_with_note() -> None:
    @tool
    def big() -> str:
        return "x" * 500

    manager = await manager_with(big, output_limit=100)
    result = await manager.execute(call("big"))
    assert result.text.startswith("x" * 100) and "x" * 101 not in result.text
    assert "400 of 500 characters cut" in result.text


@dataclass
class Reading:
    value: float
    unit: str


class Report(BaseModel):
    title: str
    count: int


async def test_non_string_outputs() -> None:
    image = ImagePart(data=b"\x89PNG...", media_type="image/png")

    @tool
    def as_dict() -> dict[str, int]:
        return {"a": 1}

    @tool
    def as_dataclass() -> Reading:
        return Reading(1.5, "kg")

    @tool
    def as_model() -> Report:
        return Report(title="t", count=2)

    @tool
    def as_image() -> ImagePart:
        return image

    @tool
    def as_parts() -> tuple[str, ImagePart]:
        return ("look:", image)

    @tool
    def as_output() -> ToolOutput:
        return ToolOutput("custom failure", is_error=True)

    manager = await manager_with(as_dict, as_dataclass, as_model, as_image, as_parts, as_output)
    assert json.loads((await manager.execute(call("as_dict"))).text) == {"a": 1}
    assert json.loads((await manager.execute(call("as_dataclass"))).text) == {"value": 1.5, "unit": "kg"}
    assert json.loads((await manager.execute(call("as_model"))).text) == {"title": "t", "count": 2}
    assert (await manager.execute(call("as_image"))).content == (image,)
    assert (await manager.execute(call("as_parts"))).content == (TextPart("look:"), image)
    custom = await manager.execute(call("as_output"))
    assert custom.is_error and custom.text == "custom failure"


def test_sanitize_tool_name() -> None:
    assert sanitize_tool_name("read.file/v2") == "read_file_v2"
    assert sanitize_tool_name("a" * 100) == "a" * 64
    assert sanitize_tool_name("") == "_"


async def test_clash_routing_and_sanitising() -> None:
    fake = FakeSource("my server", ["add", "weird.name", "x" * 70, "x" * 71])
    manager = UnifiedToolManager([LocalToolSource(tools=[add]), fake])
    async with manager:
        names = [s.name for s in manager.specs()]
        assert names[0] == "add"
        assert "my_server__add" in names and "weird_name" in names
        assert all(len(n) <= 64 for n in names) and len(set(names)) == len(names)
        spec = manager.get("my_server__add")
        assert spec is not None and spec.original_name == "add" and spec.source == "my server"

        result = await manager.execute(call("my_server__add", {"q": 1}))
        assert result.text == "my server:add" and result.name == "my_server__add"
        assert fake.calls[-1][:2] == ("add", {"q": 1})
        await manager.execute(call("weird_name"))
        assert fake.calls[-1][0] == "weird.name"
        local = await manager.execute(call("add", {"a": 1, "b": 1}))
        assert local.text == "2"

        rows = manager.status()
        row = next(r for r in rows if r["name"] == "my_server__add")
        assert row == {
            "name": "my_server__add",
            "source": "my server",
            "original_name": "add",
            "description": "fake add",
            "origin": "",
        }
    assert fake.started and fake.closed


async def test_specs_cached_until_refresh() -> None:
    fake = FakeSource("fake", ["one"])
    manager = UnifiedToolManager([fake])
    await manager.start()
    first = manager.specs()
    assert manager.specs() is first
    fake.tool_names = ["one", "two"]
    assert manager.specs() is first  # no change reported yet
    await manager.refresh("fake")
    assert [s.name for s in manager.specs()] == ["one", "two"]
    assert manager.get("two") is not None and manager.get("three") is None
    with pytest.raises(KeyError):
        await manager.refresh("unknown")


async def test_start_failure_closes_started_sources() -> None:
    class Broken(FakeSource):
        async def start(self) -> None:
            raise RuntimeError("cannot start")

    good = FakeSource("good", ["a"])
    manager = UnifiedToolManager([good, Broken("bad", [])])
    with pytest.raises(RuntimeError, match="cannot start"):
        await manager.start()
    assert good.closed
