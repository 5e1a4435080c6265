"""RunContext and deps, approvals, and the manners of a guest in someone else's process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import agentcore
from agentcore import Agent, ApprovalRequest, ApprovalRequired, RunContext, ToolResult, tool
from agentcore.config.schema import AgentConfig
from agentcore.messages import ToolCall
from agentcore.testing import ScriptedModel, TestModel, call
from agentcore.tools.base import ToolOutput, ToolSpec
from agentcore.tools.manager import UnifiedToolManager

REPO = Path(__file__).resolve().parents[2]


@tool
def whoami(ctx: RunContext[dict[str, str]], greeting: str) -> str:
    """Greets the user named in the deps."""
    return f"{greeting} {ctx.deps['user']} in {ctx.session} (call {ctx.tool_call.name}, {ctx.usage.prompt_tokens} tokens so far)"


@tool(require_approval=True)
def delete_file(path: str) -> str:
    """Deletes a file."""
    return f"deleted {path}"


async def test_a_tool_receives_run_context_with_deps_and_the_model_never_sees_it() -> None:
    assert list(whoami.parameters["properties"]) == ["greeting"]
    agent = Agent(model=TestModel(), tools=[whoami])
    try:
        result = await agent.run("hi", deps={"user": "ada"}, session="s1")
    finally:
        await agent.close()
    text = result.tool_calls[0].result
    assert text.startswith("a ada in s1 (call whoami,") and "0 tokens" not in text


async def test_approval_callbacks_sync_and_async_and_denials_reach_the_model() -> None:
    asked: list[ApprovalRequest] = []

    def no(req: ApprovalRequest) -> bool:
        asked.append(req)
        return False

    async def yes(req: ApprovalRequest) -> bool:
        return True

    agent = Agent(model=TestModel(), tools=[delete_file])
    try:
        denied = await agent.run("rm", approve=no)
        allowed = await agent.run("rm", approve=yes)
        nobody = await agent.run("rm")
    finally:
        await agent.close()
    assert asked[0].call.name == "delete_file" and asked[0].arguments == {"path": "a"}
    assert denied.tool_calls[0].is_error and "denied" in denied.tool_calls[0].result
    assert "deleted" not in denied.text and "denied" in denied.text  # the model read the denial
    assert allowed.tool_calls[0].result == "deleted a"
    assert nobody.tool_calls[0].is_error and "no approver" in nobody.tool_calls[0].result


async def test_the_stream_asks_with_an_event_the_caller_answers() -> None:
    agent = Agent(model=ScriptedModel([[call("delete_file", path="x"), call("delete_file", path="y")], "ok"]))
    agent = Agent(model=agent.service.client, tools=[delete_file])
    results: dict[str, str] = {}
    try:
        async for event in agent.stream("rm both"):
            if isinstance(event, ApprovalRequired):
                if event.request.arguments["path"] == "x":
                    event.approve()
                else:
                    event.deny("keep y")
            elif isinstance(event, ToolResult):
                results[event.call.arguments] = event.message.text or ""
    finally:
        await agent.close()
    assert results['{"path": "x"}'] == "deleted x"
    assert "keep y" in results['{"path": "y"}'] and "not run" in results['{"path": "y"}']


class _Server:
    """A tool source standing in for an MCP server with write and read tools."""

    name = "files"

    async def start(self) -> None: ...

    async def list_tools(self) -> list[ToolSpec]:
        return [ToolSpec(n, n, {"type": "object"}) for n in ("write_file", "read_file", "delete_dir")]

    async def call(self, spec: ToolSpec, arguments: dict[str, Any], timeout: float) -> ToolOutput:
        return ToolOutput(f"ran {spec.name}")

    async def close(self) -> None: ...


async def test_approve_globs_per_server() -> None:
    from agentcore.tools.context import RunState

    manager = UnifiedToolManager([_Server()], approve={"files": ["write_*", "delete_*"]})
    await manager.start()
    run = RunState(approve=lambda req: False)
    out = {
        n: await manager.execute(ToolCall("c", n, "{}"), run)
        for n in ("write_file", "read_file", "delete_dir")
    }
    assert out["read_file"].text == "ran read_file"
    assert out["write_file"].is_error and out["delete_dir"].is_error
    everything = UnifiedToolManager([_Server()], approve={"files": "all"})
    await everything.start()
    assert (await everything.execute(ToolCall("c", "read_file", "{}"), run)).is_error
    config = AgentConfig.model_validate(
        {
            "llm": {"provider": "openai", "model": "m"},
            "mcpServers": {"fs": {"command": "x", "approve": ["write_*"]}},
        }
    )
    assert config.mcp_servers["fs"].approve == ["write_*"]


def test_tools_accepts_plain_functions_and_rejects_anything_else() -> None:
    def plain(x: int) -> int:
        """Doubles."""
        return 2 * x

    agent = Agent(model=TestModel(), tools=[plain])
    assert asyncio.run(agent.run("x")).tool_calls[0].result == "0"
    for bad in ("not a tool", 42, Agent, lambda: 1):
        with pytest.raises(TypeError, match=r"tools\[0\]"):
            Agent(model=TestModel(), tools=[bad])


def test_an_agent_built_in_code_loads_no_tools_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "sneaky.py").write_text(
        "from agentcore import tool\n@tool\ndef sneaky() -> str:\n    return 'x'\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    agent = Agent(
        AgentConfig.model_validate({"llm": {"provider": "openai", "model": "m"}}), model=TestModel()
    )
    result = asyncio.run(agent.run("x"))
    assert result.tool_calls == [] and agent.tools.specs() == []


def test_one_agent_across_three_asyncio_runs_and_threads() -> None:
    agent = Agent(model=TestModel(), tools=[whoami])
    texts = [asyncio.run(agent.run("x", deps={"user": str(i)})).tool_calls[0].result for i in range(3)]
    assert [t.split()[1] for t in texts] == ["0", "1", "2"]
    out: list[str] = []
    threads = [
        threading.Thread(target=lambda i=i: out.append(asyncio.run(agent.run("y", session=f"t{i}")).text))
        for i in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 3


def test_stream_events_are_exported_and_internals_are_not() -> None:
    for name in ("TextDelta", "ToolCallStarted", "ToolResult", "FinalAnswer", "PartialOutput", "ApprovalRequired",
                 "LimitReached", "ErrorEvent", "UsageReport", "RunContext"):  # fmt: skip
        assert name in agentcore.__all__ and getattr(agentcore, name) is not None
    assert not any(n.startswith("_") and n != "__version__" for n in agentcore.__all__)
    assert "run_loop" not in agentcore.__all__ and "LazyClient" not in agentcore.__all__


_HOST_APP = """
import asyncio, logging, sys
records = []
class Keep(logging.Handler):
    def emit(self, record): records.append(record)
logging.basicConfig(level=logging.INFO, handlers=[Keep()])
before = {n: (logging.getLogger(n).propagate, logging.getLogger(n).level) for n in ("httpx", "openai", "agentcore", "mcp")}
from agentcore import Agent, tool
from agentcore.testing import TestModel
@tool
def boom() -> str:
    raise RuntimeError("kaput")
agent = Agent(model=TestModel(), tools=[boom])
asyncio.run(agent.run("x"))
after = {n: (logging.getLogger(n).propagate, logging.getLogger(n).level) for n in before}
import structlog
assert before == after, (before, after)
assert not structlog.is_configured()
failed = [r for r in records if r.getMessage() == "tool failed"]
assert failed and failed[0].name == "agentcore.tools.manager" and failed[0].levelno == logging.INFO, records
print("OK", len(records))
"""


def test_a_host_app_keeps_its_logging_config_and_gets_our_records() -> None:
    env = {k: v for k, v in os.environ.items() if k != "AGENTCORE_LOG_JSON"}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [sys.executable, "-c", _HOST_APP], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK") and done.stderr == ""


def test_no_module_logs_through_an_unconfigured_structlog() -> None:
    # structlog's default prints to stdout: one such record ahead of `run --json` broke its output
    # (caught by tests/llm/http/test_http_cli.py). Every module logs through agentcore.logs.get_logger.
    package = Path(agentcore.__file__).parent
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "logs.py" and "structlog.get_logger(" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
