"""The bounded tool loop, written once, over any ``ModelClient`` (one target or a router of them).

History stays in our own message model; each client formats it for whichever target answers, so a
run that began on one provider can finish on another after a failover.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence

import structlog

from agentcore.context.manager import ContextManager
from agentcore.errors import ContextLengthExceeded, LimitError, ProviderError
from agentcore.llm.client import ModelClient
from agentcore.llm.events import (
    FinalAnswer,
    LimitReached,
    StreamEvent,
    ToolCallStarted,
    ToolResult,
    TurnComplete,
    UsageReport,
)
from agentcore.llm.observer import NULL_OBSERVER, LoopObserver
from agentcore.llm.request import LLMRequest
from agentcore.messages import InternalMessage, ToolCall, Usage
from agentcore.tools.manager import UnifiedToolManager

log = structlog.get_logger("agentcore.llm")


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
    return LLMRequest(shrunk, context.request_system(), request.tools, request.stream)


async def _execute(
    tools: UnifiedToolManager, calls: Sequence[ToolCall], observer: LoopObserver
) -> list[InternalMessage]:
    """Run ``calls`` concurrently (results in call order), each through the observer when it records."""
    if not observer.enabled:
        return await tools.execute_all(calls)
    tasks = [asyncio.ensure_future(observer.run_tool(c, tools.execute)) for c in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def run_loop(
    client: ModelClient,
    context: ContextManager,
    tools: UnifiedToolManager,
    message: InternalMessage,
    *,
    stream: bool,
    max_iterations: int,
    observer: LoopObserver = NULL_OBSERVER,
) -> AsyncIterator[StreamEvent]:
    """Ask, run the requested tools, repeat until an answer or ``max_iterations``."""
    await context.add(message)
    total = Usage()
    last_text = ""
    for iteration in range(1, max_iterations + 1):
        specs = tools.specs()
        history = await context.request_messages(specs)
        request = LLMRequest(history, context.request_system(), specs, stream)
        turn: TurnComplete | None = None
        for retried in (False, True):
            try:
                async for event in client.request(request, observer):
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
            results = await _execute(tools, reply.tool_calls, observer)
        except asyncio.CancelledError:
            # Keep the history valid for the next turn: every call gets a result.
            await context.add_many([interrupted(call) for call in reply.tool_calls])
            raise
        elapsed = (time.perf_counter() - started) * 1000
        await context.add_many(results)
        for call, result in zip(reply.tool_calls, results, strict=True):
            yield ToolResult(call, result, elapsed)
    yield LimitReached(max_iterations, total, last_text)
