"""The embeddable face: ``Agent`` wires config, provider service, tools and sessions together."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from agentcore._sync import run_sync
from agentcore.config.schema import AgentConfig
from agentcore.context.manager import ContextManager
from agentcore.llm.client import ModelClient
from agentcore.llm.events import ErrorEvent, FinalAnswer, LimitReached, StreamEvent, ToolResult
from agentcore.llm.service import LLMService
from agentcore.messages import AudioPart, ImagePart, Usage
from agentcore.tools.base import ToolSource
from agentcore.tools.manager import UnifiedToolManager

ImageInput = str | bytes | ImagePart | None
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


def _cache_scope(enabled: bool, session: str | None) -> AbstractContextManager[None]:
    """The response cache's view of this run: on or off, and for which user and session."""
    from agentcore.llm.cache import cache_context
    from agentcore.tracing.context import current

    return cache_context(enabled=enabled, user=current().user_id, session=session)


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
        profile: str | None = None,
        model: str | None = None,
    ) -> None:
        from agentcore.llm.factory import build_client
        from agentcore.logs import ensure_logging
        from agentcore.tools.local import LocalToolSource

        json_log = config.logging.json_file
        ensure_logging(config.logging.level, config.resolve_path(json_log) if json_log else None)
        self.config = config
        from agentcore.tools.mcp import sources_from_config

        local = LocalToolSource.from_config(config, tools=list(tools))
        self.tools = UnifiedToolManager(
            [local, *sources_from_config(config), *sources],
            default_timeout=config.tool_timeout,
            output_limit=config.tool_output_limit,
            concurrency=config.tool_concurrency,
        )
        from agentcore.context.prompt import load_system_prompt
        from agentcore.context.sessions import build_sessions, new_session_name

        self._system_prompt = load_system_prompt(config)
        from agentcore.llm.cache import open_cache

        self.response_cache = open_cache(config)  # None unless cache.enabled
        cache = self.response_cache
        # The default client: ``profile`` / ``model``, else defaultProfile, else the llm: block.
        self.service = LLMService(
            build_client(config, profile, model, cache=cache),
            tools=self.tools,
            factory=lambda p, m: build_client(config, p, m, cache=cache),
        )
        # Stored sessions; compression summaries are one history-free request (direct_generate).
        self.sessions = build_sessions(config, self._system_prompt, self._summarize)
        self.service.context = self.sessions.get(new_session_name("api"))
        self._initial = self.service.client
        self._started = False
        from agentcore.tracing.setup import attach_call_log

        self.call_log = attach_call_log(self)  # every LLM call and tool call of this agent is logged

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
    ) -> AsyncIterator[StreamEvent]:
        """Run one user turn, yielding events as they happen (text deltas, tool calls, results, the answer).
        ``cache=False`` bypasses the response cache for this run."""
        await self.start()
        client = self.client_for(profile, model)
        message = self.service.user_message(text, image, client, audio)
        async with self.call_log.run_span(session):
            try:
                context = self.session(session)
                with _cache_scope(cache, context.name):
                    async for event in self.service.run_loop(context, message, stream=True, client=client):
                        yield event
            except Exception as exc:
                yield ErrorEvent(exc)
                raise

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
    ) -> RunResult:
        """Run one user turn to its end and return the answer with what happened on the way.
        ``profile`` / ``model`` (``provider/model``) choose the model client for this run;
        ``cache=False`` bypasses the response cache."""
        async with self.call_log.run_span(session):
            context = self.session(session)
            with _cache_scope(cache, context.name):
                return await self._run(text, image, session, self.client_for(profile, model), audio)

    async def _run(
        self, text: str, image: ImageInput, session: str | None, client: ModelClient, audio: AudioInput = None
    ) -> RunResult:
        await self.start()
        message = self.service.user_message(text, image, client, audio)
        records: list[ToolCallRecord] = []
        context = self.session(session)
        session = context.name
        async for event in self.service.run_loop(context, message, stream=False, client=client):
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
    ) -> RunResult:
        """``run`` for synchronous code; closes the agent's connections afterwards."""

        async def _once() -> RunResult:
            try:
                return await self.run(
                    text, image=image, audio=audio, session=session, profile=profile, model=model, cache=cache
                )
            finally:
                await self.close()

        return run_sync(_once())
