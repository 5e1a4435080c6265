"""The embeddable face: ``Agent`` wires config, provider service, tools and sessions together."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Generator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar, overload

from agentcore._sync import run_sync
from agentcore.config.schema import AgentConfig
from agentcore.context.manager import ContextManager
from agentcore.llm.client import ModelClient
from agentcore.llm.events import ErrorEvent, FinalAnswer, LimitReached, StreamEvent, ToolResult
from agentcore.llm.output import OutputHandler, OutputMode, choose_mode
from agentcore.llm.service import LLMService
from agentcore.messages import AudioPart, ImagePart, Usage
from agentcore.tools.base import ToolSource
from agentcore.tools.context import Approver, RunState
from agentcore.tools.decorator import LocalTool, tool
from agentcore.tools.manager import UnifiedToolManager

ImageInput = str | bytes | ImagePart | None
OutputT = TypeVar("OutputT")
AudioInput = str | bytes | AudioPart | None  # a WAV/MP3 file path or its bytes


@dataclass(frozen=True, slots=True)
class ToolCallRecord:
    """A tool call made during a run, with what it returned."""

    id: str
    name: str
    arguments: str
    result: str
    is_error: bool


@dataclass(slots=True)
class RunResult(Generic[OutputT]):
    """The outcome of ``Agent.run``: the same shape for every provider.

    ``stop_reason`` is ``"final"`` when the model answered and ``"max_iterations"`` when the run
    stopped at ``llm.maxIterations`` with tool calls still pending (``text`` is then the last text seen).
    ``output`` is the validated value when the run was given ``output_type`` (else the text).
    """

    text: str
    stop_reason: Literal["final", "max_iterations"]
    iterations: int
    usage: Usage
    tool_calls: list[ToolCallRecord] = field(default_factory=list[ToolCallRecord])
    session: str | None = None
    output: OutputT = None  # pyright: ignore[reportAssignmentType]

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
            **({"output": _jsonable(self.output)} if self.output is not None else {}),
        }


def _cache_scope(enabled: bool, session: str | None) -> AbstractContextManager[None]:
    """The response cache's view of this run: on or off, and for which user and session."""
    from agentcore.llm.cache import cache_context
    from agentcore.tracing.context import current

    return cache_context(enabled=enabled, user=current().user_id, session=session)


def _jsonable(value: Any) -> Any:
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value)


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
        config: AgentConfig | None = None,
        *,
        tools: Sequence[Any] = (),
        sources: Sequence[ToolSource] = (),
        profile: str | None = None,
        model: str | ModelClient | None = None,
        deps: Any = None,
        approve: Approver | None = None,
    ) -> None:
        """``config`` defaults to a throwaway one (``memory://`` storage) for agents built in code;
        ``model`` is ``provider/model``, a ``models:`` name or any ``ModelClient`` (``agentcore.testing``);
        ``tools``: ``@tool`` functions or plain functions (wrapped); ``deps``: the default ``RunContext.deps``;
        ``approve``: the default approver of tools that need approval."""
        from agentcore.llm.factory import build_client
        from agentcore.tools.local import LocalToolSource

        # A guest in the host's process: logging is configured by the CLI (``cli_agent``), never here.
        if config is None:
            config = AgentConfig.model_validate(
                {"llm": {"provider": "openai", "model": "gpt-4o-mini"}, "storage": {"url": "memory://"}}
            )
        self.config = config
        self.deps = deps
        self.approve = approve
        from agentcore.tools.mcp import sources_from_config

        local = LocalToolSource.from_config(config, tools=_as_tools(tools))
        self.tools = UnifiedToolManager(
            [local, *sources_from_config(config), *sources],
            default_timeout=config.tool_timeout,
            output_limit=config.tool_output_limit,
            concurrency=config.tool_concurrency,
            approve={n: s.approve for n, s in config.mcp_servers.items() if s.approve is not None},
        )
        from agentcore.context.prompt import load_system_prompt
        from agentcore.context.sessions import build_sessions, new_session_name

        self._system_prompt = load_system_prompt(config)
        from agentcore.llm.cache import open_cache

        self.response_cache = open_cache(config)  # None unless cache.enabled
        cache = self.response_cache
        # The default client: ``profile`` / ``model``, else defaultProfile, else the llm: block.
        given = None if model is None or isinstance(model, str) else model
        self.service = LLMService(
            given if given is not None else build_client(config, profile, _as_name(model), cache=cache),
            tools=self.tools,
            factory=lambda p, m: build_client(config, p, m, cache=cache),
        )
        # Stored sessions; compression summaries are one history-free request (direct_generate).
        self.sessions = build_sessions(config, self._system_prompt, self._summarize)
        self.service.context = self.sessions.get(new_session_name("api"))
        self._initial = self.service.client
        self._override: list[tuple[ModelClient | None, Any]] = []
        self._started = False
        from agentcore.tracing.setup import attach_call_log

        self.call_log = attach_call_log(self)  # every LLM call and tool call of this agent is logged
        from agentcore._mcp_hooks import attach_mcp_hooks

        self.mcp_hooks = attach_mcp_hooks(self)  # MCP sampling answered by this agent's model

    @contextlib.contextmanager
    def override(self, *, model: ModelClient | None = None, deps: Any = None) -> Generator[None]:
        """Inside the block, runs use ``model`` (e.g. ``TestModel()``) and/or ``deps`` instead of
        what the code under test passes: the way to test code that builds its own agent runs."""
        self._override.append((model, deps))
        try:
            yield
        finally:
            self._override.pop()

    @classmethod
    def from_config(
        cls,
        path: str | Path | None = None,
        *,
        overrides: dict[str, Any] | None = None,
        tools: Sequence[Any] = (),
        profile: str | None = None,
        model: str | None = None,
    ) -> Agent:
        """An agent from ``cipher.yml`` (found the usual way when ``path`` is None); ``profile``
        (a ``profiles:`` name) or ``model`` (``provider/model``) chooses its default model client."""
        from agentcore.config.loader import load_config

        return cls(load_config(path, overrides=overrides), tools=tools, profile=profile, model=model)

    def use(self, *, profile: str | None = None, model: str | None = None) -> ModelClient:
        """Make ``profile`` and/or ``model`` the default for later runs (``/profile``, ``/model``)."""
        client = self.service.client_for(profile, model) if profile or model else self._initial
        self.service.client = client
        return client

    def client_for(self, profile: str | None = None, model: str | None = None) -> ModelClient:
        """The client a run uses: ``profile``/``model`` when given, else a ``profile`` set with
        ``call_context(profile=...)``, else this agent's default."""
        for override, _ in reversed(self._override):
            if override is not None:
                return override
        if profile is None and model is None:
            from agentcore.tracing.context import current

            profile = current().tags.get("profile")
            if profile is None:
                return self.service.client
        return self.service.client_for(profile, model)

    async def _summarize(self, text: str, system: str | None) -> str:
        return await self.service.direct_generate(text, system)

    @property
    def context(self) -> ContextManager:
        """The default session's context."""
        return self.service.context

    def session(self, name: str | None, *, kind: str = "api") -> ContextManager:
        """The persistent context of session ``name`` (this agent's default session when None)."""
        if name is None:
            return self.service.context
        return self.sessions.get(name, kind=kind)

    async def start(self) -> None:
        """Load tools and connect tool servers (done on first use when not called)."""
        if not self._started:
            # Building the SDK client loads TLS certificates (~50 ms): do it while tool servers connect.
            await asyncio.gather(self.tools.start(), asyncio.to_thread(self.service.prepare))
            self._started = True

    async def close(self) -> None:
        """Close tool servers and the SDK client."""
        try:
            await self.tools.close()
        finally:
            await self.service.aclose()
            self._started = False
            await self.sessions.close()
            if self.response_cache is not None:
                await self.response_cache.aclose()  # finishes the cache writes in flight
            await self.call_log.close()  # flushes every queued call-log row

    async def __aenter__(self) -> Agent:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def _prepare(
        self,
        profile: str | None,
        model: str | None,
        session: str | None,
        deps: Any,
        approve: Approver | None,
        output_type: Any,
        output_mode: OutputMode,
        stream: bool,
    ) -> tuple[ModelClient, RunState, OutputHandler[Any] | None]:
        client = self.client_for(profile, model)
        for _, override in reversed(self._override):
            if override is not None:
                deps = override
                break
        chosen = approve if approve is not None else self.approve
        run = RunState(
            deps=deps if deps is not None else self.deps,
            session=self.session(session).name,
            approve=chosen,
            events=asyncio.Queue() if stream else None,  # progress; approvals too without `chosen`
        )
        output = None
        if output_type is not None:
            mode = choose_mode(output_mode, client.primary.provider)
            output = OutputHandler(output_type, mode, self.config.llm.output_retries)
        return client, run, output

    async def stream(
        self,
        text: str,
        *,
        image: ImageInput = None,
        audio: AudioInput = None,
        session: str | None = None,
        profile: str | None = None,
        model: str | None = None,
        cache: bool = True,
        deps: Any = None,
        approve: Approver | None = None,
        output_type: Any = None,
        output_mode: OutputMode = "auto",
    ) -> AsyncIterator[StreamEvent]:
        """Run one user turn, yielding events as they happen (text deltas, tool calls, results, the
        answer; ``PartialOutput`` while a structured answer streams; ``ApprovalRequired`` for a tool
        call that needs approval when no ``approve`` callback is set: answer it before the next event;
        ``ToolProgress`` while a tool reports progress).
        ``cache=False`` bypasses the response cache for this run."""
        await self.start()
        client, run, output = self._prepare(
            profile, model, session, deps, approve, output_type, output_mode, stream=True
        )
        message = self.service.user_message(text, image, client, audio)
        async with self.call_log.run_span(session):
            try:
                context = self.session(session)
                with _cache_scope(cache, context.name):
                    async for event in self.service.run_loop(
                        context, message, stream=True, client=client, run=run, output=output
                    ):
                        yield event
            except Exception as exc:
                yield ErrorEvent(exc)
                raise

    @overload
    async def run(
        self,
        text: str,
        *,
        image: ImageInput = None,
        audio: AudioInput = None,
        session: str | None = None,
        profile: str | None = None,
        model: str | None = None,
        cache: bool = True,
        deps: Any = None,
        approve: Approver | None = None,
        output_type: None = None,
        output_mode: OutputMode = "auto",
    ) -> RunResult[str]: ...

    @overload
    async def run(
        self,
        text: str,
        *,
        image: ImageInput = None,
        audio: AudioInput = None,
        session: str | None = None,
        profile: str | None = None,
        model: str | None = None,
        cache: bool = True,
        deps: Any = None,
        approve: Approver | None = None,
        output_type: type[OutputT],
        output_mode: OutputMode = "auto",
    ) -> RunResult[OutputT]: ...

    @overload
    async def run(
        self,
        text: str,
        *,
        image: ImageInput = None,
        audio: AudioInput = None,
        session: str | None = None,
        profile: str | None = None,
        model: str | None = None,
        cache: bool = True,
        deps: Any = None,
        approve: Approver | None = None,
        output_type: Any,
        output_mode: OutputMode = "auto",
    ) -> RunResult[Any]: ...

    async def run(
        self,
        text: str,
        *,
        image: ImageInput = None,
        audio: AudioInput = None,
        session: str | None = None,
        profile: str | None = None,
        model: str | None = None,
        cache: bool = True,
        deps: Any = None,
        approve: Approver | None = None,
        output_type: Any = None,
        output_mode: OutputMode = "auto",
    ) -> RunResult[Any]:
        """Run one user turn to its end and return the answer with what happened on the way.
        ``profile`` / ``model`` (``provider/model``) choose the model client for this run; ``deps``
        reaches tools as ``RunContext.deps``; ``approve`` answers tools that need approval (none
        given: they are denied); ``output_type`` (a pydantic model, ``list[int]``, ...) makes the
        answer a validated ``result.output`` (``output_mode``: ``auto``, ``native`` or ``tool``);
        ``cache=False`` bypasses the response cache."""
        async with self.call_log.run_span(session):
            await self.start()
            client, run, output = self._prepare(
                profile, model, session, deps, approve, output_type, output_mode, stream=False
            )
            with _cache_scope(cache, self.session(session).name):
                return await self._run(text, image, session, client, run, output, audio)

    async def _run(
        self,
        text: str,
        image: ImageInput,
        session: str | None,
        client: ModelClient,
        run: RunState,
        output: OutputHandler[Any] | None,
        audio: AudioInput = None,
    ) -> RunResult[Any]:
        message = self.service.user_message(text, image, client, audio)
        records: list[ToolCallRecord] = []
        context = self.session(session)
        session = context.name
        events = self.service.run_loop(context, message, stream=False, client=client, run=run, output=output)
        async for event in events:
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
                value = event.output if output is not None else event.text
                return RunResult(event.text, "final", event.iterations, event.usage, records, session, value)
            elif isinstance(event, LimitReached):
                return RunResult(
                    event.text, "max_iterations", event.iterations, event.usage, records, session, None
                )
        raise AssertionError("the tool loop ended without an outcome")

    async def usage(self, *, session: str | None = None) -> dict[str, Any]:
        """Requests, tokens, cost and errors from the call log: of session ``session`` (every call
        in it), or of exactly this agent's calls. ``cost_usd`` is None unless every call is priced
        (``cost_usd_priced`` and ``unpriced_requests`` then say what is known)."""
        from agentcore.tracing.query import totals

        await self.call_log.flush()
        if session is not None:
            return await totals(self.call_log.writer.url, session_id=session)
        return await totals(self.call_log.writer.url, agent_id=self.call_log.agent_id)

    def run_sync(
        self,
        text: str,
        *,
        image: ImageInput = None,
        audio: AudioInput = None,
        session: str | None = None,
        profile: str | None = None,
        model: str | None = None,
        cache: bool = True,
        deps: Any = None,
        approve: Approver | None = None,
        output_type: Any = None,
    ) -> RunResult[Any]:
        """``run`` for synchronous code; closes the agent's connections afterwards."""

        async def _once() -> RunResult[Any]:
            try:
                return await self.run(
                    text,
                    image=image,
                    audio=audio,
                    session=session,
                    profile=profile,
                    model=model,
                    cache=cache,
                    deps=deps,
                    approve=approve,
                    output_type=output_type,
                )
            finally:
                await self.close()

        return run_sync(_once())


def _as_tools(tools: Sequence[Any]) -> list[LocalTool[..., Any]]:
    """``@tool`` functions as they are, plain functions wrapped; anything else is a ``TypeError``."""
    result: list[LocalTool[..., Any]] = []
    for index, item in enumerate(tools):
        if isinstance(item, LocalTool):
            result.append(item)  # pyright: ignore[reportUnknownArgumentType]
        elif (
            callable(item)
            and not isinstance(item, type)
            and getattr(item, "__name__", "<lambda>") != "<lambda>"
        ):
            result.append(tool(item))
        else:
            raise TypeError(
                f"tools[{index}] is {type(item).__name__} {item!r:.60}: pass a function (def or async def) "
                "or a @tool-decorated one; MCP servers go in sources= or mcpServers"
            )
    return result


def _as_name(model: str | ModelClient | None) -> str | None:
    return model if isinstance(model, str) else None
