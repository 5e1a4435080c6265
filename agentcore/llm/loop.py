"""The bounded tool loop, written once, over any ``ModelClient`` (one target or a router of them).

History stays in our own message model; each client formats it for whichever target answers, so a
run that began on one provider can finish on another after a failover.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Generator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from agentcore.context.manager import ContextManager
from agentcore.errors import ContextLengthExceeded, LimitError, OutputValidationError, ProviderError
from agentcore.llm.client import ModelClient
from agentcore.llm.events import (
    FinalAnswer,
    LimitReached,
    PartialOutput,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallStarted,
    ToolResult,
    TurnComplete,
    UsageReport,
)
from agentcore.llm.observer import NULL_OBSERVER, LoopObserver
from agentcore.llm.output import OutputHandler
from agentcore.llm.request import LLMRequest
from agentcore.logs import get_logger
from agentcore.messages import InternalMessage, ToolCall, Usage
from agentcore.tools.context import ApprovalRequired, RunEvent, RunState
from agentcore.tools.manager import UnifiedToolManager

log = get_logger("agentcore.llm")
# ``capture_run_messages``: every message a run adds to its history, in order, for tests.
_captured: ContextVar[list[InternalMessage] | None] = ContextVar("agentcore_captured", default=None)


@contextmanager
def capture_run_messages() -> Generator[list[InternalMessage]]:
    """The messages of the runs inside the ``with`` block (user, assistant, tool results)."""
    messages: list[InternalMessage] = []
    token = _captured.set(messages)
    try:
        yield messages
    finally:
        _captured.reset(token)


async def _add(context: ContextManager, *messages: InternalMessage) -> None:
    captured = _captured.get()
    if captured is not None:
        captured.extend(messages)
    if len(messages) == 1:
        await context.add(messages[0])
    else:
        await context.add_many(list(messages))


def interrupted(call: ToolCall) -> InternalMessage:
    """The result recorded for a tool call whose turn was cancelled."""
    return InternalMessage.tool_result(call, "interrupted: the user cancelled this tool call", is_error=True)


async def _shrunk(context: ContextManager, request: LLMRequest) -> LLMRequest | None:
    """``request`` with harder-compressed history, or None when nothing more can be dropped."""
    try:
        shrunk = await context.request_messages(request.tools, shrink=True)
    except LimitError:
        return None
    if len(shrunk) >= len(request.messages):
        return None
    return LLMRequest(
        shrunk,
        context.request_system(),
        request.tools,
        request.stream,
        output=request.output,
        max_tokens=request.max_tokens,
    )


async def _execute(
    tools: UnifiedToolManager, calls: Sequence[ToolCall], observer: LoopObserver, run: RunState | None
) -> list[InternalMessage]:
    """Run ``calls`` concurrently (results in call order), each through the observer when it records."""
    if not observer.enabled:
        return await tools.execute_all(calls, run)
    execute = functools.partial(tools.execute, run=run)
    if len(calls) == 1:  # the usual turn: no task to create and gather
        return [await observer.run_tool(calls[0], execute)]
    tasks = [asyncio.ensure_future(observer.run_tool(c, execute)) for c in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _execute_events(
    tools: UnifiedToolManager, calls: Sequence[ToolCall], observer: LoopObserver, run: RunState | None
) -> AsyncIterator[RunEvent | list[InternalMessage]]:
    """``_execute``, yielding the tools' progress and the approval requests of a stream without a
    callback on the way; a request still unanswered when the caller asks for the next event is denied."""
    queue = run.events if run is not None else None
    if queue is None:
        yield await _execute(tools, calls, observer, run)
        return
    work = asyncio.ensure_future(_execute(tools, calls, observer, run))
    getter: asyncio.Future[RunEvent] | None = None
    try:
        while True:
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait({work, getter}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                event = getter.result()
                yield event
                if isinstance(event, ApprovalRequired):
                    event.deny("the request was not answered")
                continue
            getter.cancel()
            break
        while not queue.empty():  # progress reported just before the calls ended comes first
            yield queue.get_nowait()
        yield work.result()
    finally:
        if getter is not None:
            getter.cancel()
        if not work.done():
            work.cancel()
            await asyncio.gather(work, return_exceptions=True)


async def run_loop(
    client: ModelClient,
    context: ContextManager,
    tools: UnifiedToolManager,
    message: InternalMessage,
    *,
    stream: bool,
    max_iterations: int,
    observer: LoopObserver = NULL_OBSERVER,
    run: RunState | None = None,
    output: OutputHandler[Any] | None = None,
) -> AsyncIterator[StreamEvent]:
    """Ask, run the requested tools, repeat until an answer or ``max_iterations``.

    The turn holds its session (``context.turn()``: in-process and cross-process locks), so
    concurrent turns on one session never interleave; the final event comes after the session is
    released, so the caller's next turn never waits for this one. ``run`` carries the deps and the
    approver to the tools; ``output`` asks for (and validates) a structured answer."""
    final: StreamEvent | None = None
    async with context.turn():
        turns = _Turns(client, context, tools, stream, observer, run, output)
        async for event in turns.events(message, max_iterations):
            if isinstance(event, FinalAnswer | LimitReached):
                final = event
            else:
                yield event
    if final is not None:
        yield final


class _Turns:
    """One run's turns: requests, tool calls, structured-output checks."""

    def __init__(
        self,
        client: ModelClient,
        context: ContextManager,
        tools: UnifiedToolManager,
        stream: bool,
        observer: LoopObserver,
        run: RunState | None,
        output: OutputHandler[Any] | None,
    ) -> None:
        self.client = client
        self.context = context
        self.tools = tools
        self.stream = stream
        self.observer = observer
        self.run = run
        self.output = output
        self.failures = 0  # invalid structured answers so far

    async def _request(self, request: LLMRequest) -> AsyncIterator[StreamEvent | TurnComplete]:
        """The model's events for ``request``; a final-result tool call streams as ``PartialOutput``."""
        output = self.output
        text = ""
        final_index: int | None = None
        args = ""
        async for event in self.client.request(request, self.observer):
            if output is not None and self.stream:
                if isinstance(event, TextDelta) and output.mode == "native":
                    text += event.text
                    data = output.partial(text)
                    yield event
                    if data is not None:
                        yield PartialOutput(data)
                    continue
                if isinstance(event, ToolCallStarted) and event.name == output.tool.name:
                    final_index = event.index
                    continue
                if (
                    isinstance(event, ToolCallDelta)
                    and final_index is not None
                    and event.index == final_index
                ):
                    args += event.arguments_delta
                    data = output.partial(args)
                    if data is not None:
                        yield PartialOutput(data)
                    continue
            yield event

    def _check(self, problem: str) -> None:
        self.failures += 1
        if self.output is not None and self.failures > self.output.retries:
            raise OutputValidationError(
                f"the model's structured output is still invalid after {self.output.retries} "
                f"re-ask(s): {problem} (raise llm.outputRetries to allow more)"
            )

    async def _final(self, reply: InternalMessage, total: Usage, iteration: int) -> FinalAnswer | None:
        """The run's answer in ``reply``, or None after sending the model back to fix it."""
        output = self.output
        if output is None:
            await _add(self.context, reply)
            return FinalAnswer(reply.text, total, iteration)
        if output.mode == "tool":
            calls = [c for c in reply.tool_calls if c.name == output.tool.name]
            if not calls:
                problem = f"no '{output.tool.name}' call"
                self._check(problem)
                await _add(self.context, reply, InternalMessage.user(output.retry_text(problem)))
                return None
            try:
                value = output.validate_json(calls[0].arguments)
            except ValueError as exc:
                self._check(str(exc))
                results = [
                    InternalMessage.tool_result(
                        c,
                        output.retry_text(str(exc))
                        if c is calls[0]
                        else "Not run: the final result was invalid.",
                        is_error=True,
                    )
                    for c in reply.tool_calls
                ]
                await _add(self.context, reply, *results)
                return None
            done = [
                InternalMessage.tool_result(c, "Final result processed." if c is calls[0] else "Not run.")
                for c in reply.tool_calls
            ]
            await _add(self.context, reply, *done)
            return FinalAnswer(calls[0].arguments, total, iteration, value)
        try:
            value = output.validate_json(reply.text)
        except ValueError as exc:
            self._check(str(exc))
            await _add(self.context, reply, InternalMessage.user(output.retry_text(str(exc))))
            return None
        await _add(self.context, reply)
        return FinalAnswer(reply.text, total, iteration, value)

    async def events(self, message: InternalMessage, max_iterations: int) -> AsyncIterator[StreamEvent]:
        client, context, tools, stream = self.client, self.context, self.tools, self.stream
        output = self.output
        await _add(context, message)
        total = Usage()
        last_text = ""
        for iteration in range(1, max_iterations + 1):
            specs = tools.specs()
            history = await context.request_messages(specs)
            offered = [*specs, output.tool] if output is not None and output.mode == "tool" else specs
            native = output.spec if output is not None and output.mode == "native" else None
            request = LLMRequest(history, context.request_system(), offered, stream, output=native)
            turn: TurnComplete | None = None
            # Only a streamed structured answer needs ``_request``'s rewriting: else one generator
            # layer less for every event.
            rewrite = output is not None and stream
            for retried in (False, True):
                try:
                    events = self._request(request) if rewrite else client.request(request, self.observer)
                    async for event in events:
                        if isinstance(event, TurnComplete):
                            turn = event
                        else:
                            yield event
                    break
                except ContextLengthExceeded:
                    # Our count said it fits, the provider says no: compress harder, retry once.
                    log.warning("llm.context_length_exceeded", provider=client.provider, model=client.model)
                    smaller = None if retried else await _shrunk(context, request)
                    if smaller is None:
                        raise  # nothing left to drop: the provider's error says it best
                    request = smaller
            if turn is None:
                raise ProviderError(
                    "the response ended without a message", provider=client.provider, model=client.model
                )
            total = total + turn.usage
            if self.run is not None:
                self.run.usage = total
            if not stream:
                yield UsageReport(turn.usage)
            reply = turn.message
            last_text = reply.text or last_text
            final_call = output is not None and any(c.name == output.tool.name for c in reply.tool_calls)
            if not reply.tool_calls or final_call:
                answer = await self._final(reply, total, iteration)
                if answer is not None:
                    yield answer
                    return
                continue
            await _add(context, reply)
            if not stream:
                for index, call in enumerate(reply.tool_calls):
                    yield ToolCallStarted(call.id, call.name, index)
            started = time.perf_counter()
            results: list[InternalMessage] = []
            try:
                if self.run is None or self.run.events is None:  # nothing to relay while they run
                    results = await _execute(tools, reply.tool_calls, self.observer, self.run)
                else:
                    async for item in _execute_events(tools, reply.tool_calls, self.observer, self.run):
                        if isinstance(item, list):
                            results = item
                        else:
                            yield item
            except asyncio.CancelledError:
                # Keep the history valid for the next turn: every call gets a result.
                await _add(context, *[interrupted(call) for call in reply.tool_calls])
                raise
            elapsed = (time.perf_counter() - started) * 1000
            await _add(context, *results)
            for call, result in zip(reply.tool_calls, results, strict=True):
                yield ToolResult(call, result, elapsed)
        yield LimitReached(max_iterations, total, last_text)
