"""The embeddable face: ``Agent`` wires config, provider service, tools and sessions together."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from agentcore._sync import run_sync
from agentcore.config.schema import AgentConfig
from agentcore.context.manager import ContextManager
from agentcore.llm.events import ErrorEvent, FinalAnswer, LimitReached, StreamEvent, ToolResult
from agentcore.llm.service import LLMService
from agentcore.messages import ImagePart, Usage
from agentcore.tools.base import ToolSource
from agentcore.tools.manager import UnifiedToolManager

ImageInput = str | bytes | ImagePart | None


@dataclass(frozen=True, slots=True)
class ToolCallRecord:
    """A tool call made during a run, with what it returned."""

    id: str
    name: str
    arguments: str
    result: str
    is_error: bool


@dataclass(slots=True)
class RunResult:
    """The outcome of ``Agent.run``: the same shape for every provider.

    ``stop_reason`` is ``"final"`` when the model answered and ``"max_iterations"`` when the run
    stopped at ``llm.maxIterations`` with tool calls still pending (``text`` is then the last text seen).
    """

    text: str
    stop_reason: Literal["final", "max_iterations"]
    iterations: int
    usage: Usage
    tool_calls: list[ToolCallRecord] = field(default_factory=list[ToolCallRecord])
    session: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` output."""
        return {
            "answer": self.text,
            "stop_reason": self.stop_reason,
            "iterations": self.iterations,
            "usage": self.usage.as_dict(),
            "tool_calls": [
                {
                    "id": c.id,
                    "name": c.name,
                    "arguments": _maybe_json(c.arguments),
                    "result": c.result,
                    "is_error": c.is_error,
                }
                for c in self.tool_calls
            ],
            "session": self.session,
        }


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return text


class Agent:
    """An LLM with tools and memory.

    >>> agent = Agent.from_config("cipher.yml")
    >>> result = agent.run_sync("What time is it?")
    """

    def __init__(
        self,
        config: AgentConfig,
        *,
        tools: Sequence[Any] = (),
        sources: Sequence[ToolSource] = (),
    ) -> None:
        from agentcore.llm.factory import create_llm_service
        from agentcore.logs import ensure_logging
        from agentcore.tools.local import LocalToolSource

        ensure_logging(config.logging.level)
        self.config = config
        local = LocalToolSource.from_config(config, tools=list(tools))
        self.tools = UnifiedToolManager(
            [local, *sources], default_timeout=config.tool_timeout, output_limit=config.tool_output_limit
        )
        self._system_prompt = config.system_prompt_text()
        self.service: LLMService = create_llm_service(
            config.llm, context=self._new_context(), tools=self.tools
        )
        self._sessions: dict[str, ContextManager] = {}
        self._started = False

    @classmethod
    def from_config(
        cls,
        path: str | Path | None = None,
        *,
        overrides: dict[str, Any] | None = None,
        tools: Sequence[Any] = (),
    ) -> Agent:
        """An agent from ``cipher.yml`` (found the usual way when ``path`` is None)."""
        from agentcore.config.loader import load_config

        return cls(load_config(path, overrides=overrides), tools=tools)

    def _new_context(self) -> ContextManager:
        return ContextManager(self._system_prompt)

    @property
    def context(self) -> ContextManager:
        """The default session's context."""
        return self.service.context

    def session(self, name: str | None) -> ContextManager:
        """The context of session ``name`` (the default session when None)."""
        if name is None:
            return self.service.context
        ctx = self._sessions.get(name)
        if ctx is None:
            ctx = self._sessions[name] = self._new_context()
        return ctx

    async def start(self) -> None:
        """Load tools and connect tool servers (done on first use when not called)."""
        if not self._started:
            await self.tools.start()
            self._started = True

    async def close(self) -> None:
        """Close tool servers and the SDK client."""
        try:
            await self.tools.close()
        finally:
            await self.service.aclose()
            self._started = False

    async def __aenter__(self) -> Agent:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def stream(
        self, text: str, *, image: ImageInput = None, session: str | None = None
    ) -> AsyncIterator[StreamEvent]:
        """Run one user turn, yielding events as they happen (text deltas, tool calls, results, the answer)."""
        await self.start()
        message = self.service.user_message(text, image)
        try:
            async for event in self.service.run_loop(self.session(session), message, stream=True):
                yield event
        except Exception as exc:
            yield ErrorEvent(exc)
            raise

    async def run(self, text: str, *, image: ImageInput = None, session: str | None = None) -> RunResult:
        """Run one user turn to its end and return the answer with what happened on the way."""
        await self.start()
        message = self.service.user_message(text, image)
        records: list[ToolCallRecord] = []
        async for event in self.service.run_loop(self.session(session), message, stream=False):
            if isinstance(event, ToolResult):
                records.append(
                    ToolCallRecord(
                        event.call.id,
                        event.call.name,
                        event.call.arguments,
                        event.message.text,
                        event.message.is_error,
                    )
                )
            elif isinstance(event, FinalAnswer):
                return RunResult(event.text, "final", event.iterations, event.usage, records, session)
            elif isinstance(event, LimitReached):
                return RunResult(
                    event.text, "max_iterations", event.iterations, event.usage, records, session
                )
        raise AssertionError("the tool loop ended without an outcome")

    def run_sync(self, text: str, *, image: ImageInput = None, session: str | None = None) -> RunResult:
        """``run`` for synchronous code; closes the agent's connections afterwards."""

        async def _once() -> RunResult:
            try:
                return await self.run(text, image=image, session=session)
            finally:
                await self.close()

        return run_sync(_once())
