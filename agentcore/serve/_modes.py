"""The two ways the gateway answers: a server-side agent, or a pass-through to a model.

Both yield the neutral event stream of ``_exchange``; a client that disconnects cancels the task
iterating it, which cancels the upstream request and the tool loop where they wait.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from agentcore.llm.events import (
    FinalAnswer,
    LimitReached,
    TextDelta,
    ToolCallDelta,
    ToolCallStarted,
    ToolResult,
    TurnComplete,
)
from agentcore.messages import InternalMessage
from agentcore.serve._errors import bad_request
from agentcore.serve._exchange import Activity, Event, Exchange, Outcome, finish_of

if TYPE_CHECKING:
    from agentcore.agent import Agent
    from agentcore.context.manager import ContextManager
    from agentcore.serve._upstream import Upstream

_RESULT_PREVIEW = 2000  # characters of a tool result shown to the client
_NO_GATE = contextlib.nullcontext()


async def pass_through(
    upstream: Upstream, exchange: Exchange, gate: asyncio.Semaphore | None = None
) -> AsyncIterator[Event]:
    """The client's messages and tools to the model; its tool calls back to the client.

    ``gate`` bounds the requests a worker has open upstream at once: the rest wait here, in a
    FIFO that costs nothing per waiter, instead of inside the HTTP client's connection pool, whose
    per-request work grows with the number of requests it holds.
    """
    from agentcore.llm.service import LLMRequest

    request = LLMRequest(exchange.messages, exchange.system, exchange.tools, exchange.stream)
    async with gate or _NO_GATE:
        async for event in upstream.request(request):
            if isinstance(event, TurnComplete):
                yield Outcome(event.message, event.usage, finish_of(event.message, event.finish_reason))
            elif isinstance(event, TextDelta | ToolCallStarted | ToolCallDelta):
                yield event


def _split(messages: tuple[InternalMessage, ...]) -> tuple[list[InternalMessage], list[InternalMessage]]:
    """(history, new user messages): the trailing user messages are this turn's input."""
    cut = len(messages)
    while cut > 0 and messages[cut - 1].role == "user":
        cut -= 1
    if cut == len(messages):
        raise bad_request(
            f"messages[{len(messages) - 1}].role", "an agent needs the last message to be the user's"
        )
    return list(messages[:cut]), list(messages[cut:])


def _stateless_context(agent: Agent, exchange: Exchange) -> ContextManager:
    from agentcore.context.manager import ContextManager

    base = agent.context
    prompt = base.system_prompt
    if exchange.system:
        prompt = f"{prompt}\n\n{exchange.system}" if prompt else exchange.system
    return ContextManager(prompt, counter=base.counter, window=base.window, settings=base.settings)


async def agent_turn(agent: Agent, exchange: Exchange, session: str | None) -> AsyncIterator[Event]:
    """One user turn through ``agent``'s tool loop: in session ``session``, or stateless when None
    (the client's messages are the whole history)."""
    history, new = _split(exchange.messages)
    await agent.start()
    if session is not None:
        context = agent.session(session, kind="api")
    else:
        context = _stateless_context(agent, exchange)
        await context.add_many(history)
    activity: list[dict[str, object]] = []
    async with agent.call_log.run_span(session):
        for message in new[:-1]:
            await context.add(message)
        async for event in agent.service.run_loop(context, new[-1], stream=exchange.stream):
            if isinstance(event, TextDelta):
                yield event
            elif isinstance(event, ToolCallStarted):
                yield Activity({"type": "tool_call", "id": event.id, "name": event.name})
            elif isinstance(event, ToolResult):
                data: dict[str, object] = {
                    "type": "tool_result",
                    "id": event.call.id,
                    "name": event.call.name,
                    "arguments": event.call.arguments,
                    "result": event.message.text[:_RESULT_PREVIEW],
                    "is_error": event.message.is_error,
                }
                activity.append(data)
                yield Activity(data)
            elif isinstance(event, FinalAnswer):
                yield Outcome(
                    InternalMessage.assistant(event.text), event.usage, "stop", tuple(activity), session
                )
                return
            elif isinstance(event, LimitReached):
                yield Outcome(
                    InternalMessage.assistant(event.text), event.usage, "length", tuple(activity), session
                )
                return
