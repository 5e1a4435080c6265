"""The provider service interface and the one tool loop every provider shares.

A provider implements a single round trip (``_round_trip``) plus a failure classifier; retries,
the bounded tool loop, streaming events and the limit outcome live here, once.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, overload

import structlog

from agentcore.config.schema import LLMConfig
from agentcore.context.manager import ContextManager
from agentcore.errors import CapabilityError, ContextLengthExceeded, LimitError, ProviderError
from agentcore.llm._client import LazyClient
from agentcore.llm.events import (
    FinalAnswer,
    LimitReached,
    StreamEvent,
    ToolCallStarted,
    ToolResult,
    TurnComplete,
    UsageReport,
)
from agentcore.llm.retry import Failure, RetryPolicy
from agentcore.messages import ImagePart, InternalMessage, ToolCall, Usage, load_image
from agentcore.tools.base import ToolSpec
from agentcore.tools.manager import UnifiedToolManager
from agentcore.tracing.recorder import NULL_RECORDER, Recorder

log = structlog.get_logger("agentcore.llm")


def interrupted(call: ToolCall) -> InternalMessage:
    """The result recorded for a tool call whose turn was cancelled."""
    return InternalMessage.tool_result(call, "interrupted: the user cancelled this tool call", is_error=True)


@dataclass(frozen=True, slots=True)
class LLMRequest:
    """Everything one round trip sends; a retry sends exactly the same request."""

    messages: Sequence[InternalMessage]
    system: str | None
    tools: Sequence[ToolSpec]
    stream: bool
    purpose: Literal["turn", "direct", "summary"] = "turn"


class LLMService(ABC):
    """One configured model behind one reused SDK client."""

    supports_images: ClassVar[bool] = True

    def __init__(
        self,
        config: LLMConfig,
        *,
        context: ContextManager | None = None,
        tools: UnifiedToolManager | None = None,
    ) -> None:
        self.config = config
        self.provider: str = config.provider
        self.model = config.model
        self.context = context if context is not None else ContextManager()
        self.tools = tools if tools is not None else UnifiedToolManager([])
        self.retry_policy = RetryPolicy.from_config(config)
        # A provider that holds an SDK client sets this; prepare() and aclose() manage it.
        self._sdk: LazyClient[Any] | None = None
        self.recorder: Recorder = NULL_RECORDER  # the Agent sets the call log's recorder

    # ---- what a provider implements -------------------------------------------------------

    @abstractmethod
    def _round_trip(self, request: LLMRequest) -> AsyncIterator[StreamEvent | TurnComplete]:
        """Send one request; yield stream events (when streaming) and end with a TurnComplete."""

    @abstractmethod
    def _classify(self, exc: BaseException) -> Failure | None:
        """Classify an exception of this provider's SDK; None when it is not a provider failure."""

    def prepare(self) -> None:
        """Build the SDK client now (thread-safe), so its set-up is neither on the first request's clock
        nor in its latency row."""
        if self._sdk is not None:
            self._sdk.get()

    async def aclose(self) -> None:
        """Close the SDK client's connections (the next request opens new ones)."""
        if self._sdk is not None:
            await self._sdk.close()

    # ---- the service interface ------------------------------------------------------------

    @overload
    def generate(
        self, user_input: str, image: str | bytes | ImagePart | None = None, stream: Literal[False] = False
    ) -> Coroutine[Any, Any, str]: ...

    @overload
    def generate(
        self, user_input: str, image: str | bytes | ImagePart | None = None, *, stream: Literal[True]
    ) -> AsyncIterator[StreamEvent]: ...

    def generate(
        self, user_input: str, image: str | bytes | ImagePart | None = None, stream: bool = False
    ) -> Coroutine[Any, Any, str] | AsyncIterator[StreamEvent]:
        """Run the tool loop on this service's context: the final text, or the events when streaming."""
        message = self.user_message(user_input, image)
        if stream:
            return self.run_loop(self.context, message, stream=True)
        return self._generate_text(message)

    async def _generate_text(self, message: InternalMessage) -> str:
        text = ""
        async for event in self.run_loop(self.context, message, stream=False):
            if isinstance(event, FinalAnswer | LimitReached):
                text = event.text
        return text

    async def direct_generate(self, user_input: str, system_prompt: str | None = None) -> str:
        """One request with no history and no tools; touches no conversation."""
        request = LLMRequest(
            (InternalMessage.user(user_input),), system_prompt, (), stream=False, purpose="direct"
        )
        turn = await self.complete(request)
        return turn.message.text

    async def get_all_tools(self) -> list[ToolSpec]:
        """Every tool the model can call."""
        return list(self.tools.specs())

    def get_config(self) -> dict[str, Any]:
        """Provider, model and the (secret-free) settings of this service."""
        return {
            "provider": self.provider,
            "model": self.model,
            "baseURL": self.config.base_url,
            "maxIterations": self.config.max_iterations,
        }

    def user_message(self, text: str, image: str | bytes | ImagePart | None = None) -> InternalMessage:
        """A user message; images are checked against the provider before anything is sent."""
        if image is None:
            return InternalMessage.user(text)
        if not self._accepts_images():
            raise CapabilityError(
                f"{self.provider} model '{self.model}' does not accept images "
                "(set llm.supportsImages: true if it does)"
            )
        return InternalMessage.user(text, (load_image(image, max_bytes=self.config.max_image_bytes),))

    def _accepts_images(self) -> bool:
        if self.config.supports_images is not None:
            return self.config.supports_images
        from agentcore.llm._capabilities import model_accepts_images

        return self.supports_images and model_accepts_images(self.provider, self.model)

    # ---- retries --------------------------------------------------------------------------

    async def complete(self, request: LLMRequest) -> TurnComplete:
        """One request (with retries), consumed to its final TurnComplete."""
        async for event in self.request(request):
            if isinstance(event, TurnComplete):
                return event
        raise ProviderError("the response ended without a message", provider=self.provider, model=self.model)

    async def request(self, request: LLMRequest) -> AsyncIterator[StreamEvent | TurnComplete]:
        """One request with our retry policy; a failure after streaming began is not retried."""
        attempt = 0
        while True:
            attempt += 1
            started = False
            obs = self.recorder.attempt(self, request, attempt)  # one call-log row per attempt
            try:
                async for event in self._round_trip(request):
                    started = True
                    obs.see(event)
                    yield event
                obs.ok()
                return
            except Exception as exc:
                obs.error(exc)
                failure = self._classify(exc)
                if failure is None:
                    raise
                if started:
                    # Part of the answer was already delivered (printed): a retry would repeat it.
                    failure = failure.cut_mid_stream()
                delay = self.retry_policy.delay(attempt, failure)
                if delay is None:
                    raise self.retry_policy.error(failure, self.provider, self.model, attempt) from None
                log.warning(
                    "llm.retry",
                    provider=self.provider,
                    model=self.model,
                    attempt=attempt,
                    reason=failure.reason,
                    status=failure.status,
                    delay_s=round(delay, 3),
                )
                await self.retry_policy.sleep(delay)
            finally:
                obs.close()  # a cancelled or abandoned attempt still leaves its row

    # ---- the tool loop (written once) -----------------------------------------------------

    @staticmethod
    async def _shrunk(context: ContextManager, request: LLMRequest) -> LLMRequest | None:
        """``request`` with harder-compressed history, or None when nothing more can be dropped."""
        try:
            shrunk = await context.request_messages(request.tools, shrink=True)
        except LimitError:
            return None
        if len(shrunk) >= len(request.messages):
            return None
        return LLMRequest(shrunk, context.request_system(), request.tools, request.stream)

    async def run_loop(
        self, context: ContextManager, message: InternalMessage, *, stream: bool
    ) -> AsyncIterator[StreamEvent]:
        """The bounded tool loop, holding the session for the turn (``context.turn()``); the final
        event comes after the session is released, so the caller's next turn never waits for it."""
        final: StreamEvent | None = None
        async with context.turn():
            async for event in self._turn_loop(context, message, stream=stream):
                if isinstance(event, FinalAnswer | LimitReached):
                    final = event
                else:
                    yield event
        if final is not None:
            yield final

    async def _turn_loop(
        self, context: ContextManager, message: InternalMessage, *, stream: bool
    ) -> AsyncIterator[StreamEvent]:
        """The bounded tool loop: ask, run the requested tools, repeat until an answer or the limit."""
        await context.add(message)
        total = Usage()
        last_text = ""
        limit = self.config.max_iterations
        for iteration in range(1, limit + 1):
            specs = self.tools.specs()
            history = await context.request_messages(specs)
            request = LLMRequest(history, context.request_system(), specs, stream)
            turn: TurnComplete | None = None
            for retried in (False, True):
                try:
                    async for event in self.request(request):
                        if isinstance(event, TurnComplete):
                            turn = event
                        else:
                            yield event
                    break
                except ContextLengthExceeded:
                    # Our count said it fits, the provider says no: compress harder, retry once.
                    log.warning("llm.context_length_exceeded", provider=self.provider, model=self.model)
                    smaller = None if retried else await self._shrunk(context, request)
                    if smaller is None:
                        raise  # nothing left to drop: the provider's error says it best
                    request = smaller
            if turn is None:
                raise ProviderError(
                    "the response ended without a message", provider=self.provider, model=self.model
                )
            total = total + turn.usage
            if not stream:
                yield UsageReport(turn.usage)
            reply = turn.message
            await context.add(reply)
            last_text = reply.text or last_text
            if not reply.tool_calls:
                yield FinalAnswer(reply.text, total, iteration)
                return
            if not stream:
                for index, call in enumerate(reply.tool_calls):
                    yield ToolCallStarted(call.id, call.name, index)
            started = time.perf_counter()
            try:
                results = await self.tools.execute_all(reply.tool_calls)
            except asyncio.CancelledError:
                # Keep the history valid for the next turn: every call gets a result.
                await context.add_many([interrupted(call) for call in reply.tool_calls])
                raise
            elapsed = (time.perf_counter() - started) * 1000
            await context.add_many(results)
            for call, result in zip(reply.tool_calls, results, strict=True):
                yield ToolResult(call, result, elapsed)
        yield LimitReached(limit, total, last_text)
