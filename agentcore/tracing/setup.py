"""Wiring the call log into an agent: one writer and recorder per agent, set on its service."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from agentcore.tracing.context import CallContext, new_id
from agentcore.tracing.pricing import PriceTable
from agentcore.tracing.recorder import CallRecorder
from agentcore.tracing.writer import CallLogWriter, utcnow

if TYPE_CHECKING:
    from agentcore.agent import Agent

DEFAULT_AGENT_NAME = "agent"


class CallLog:
    """An agent's call log: its recorder and background writer.

    ``agent_id`` identifies this Agent instance in every row it makes; ``default_session`` names
    the session a run without ``session=`` belongs to (the agent's own)."""

    def __init__(
        self, recorder: CallRecorder, default_session: Callable[[], str | None] | None = None
    ) -> None:
        self.recorder = recorder
        self.writer = recorder.writer
        self.created_at = utcnow()
        self.agent_id = recorder.agent_id
        self._default_session = default_session

    @asynccontextmanager
    async def run_span(self, session: str | None) -> AsyncGenerator[CallContext]:
        """The trace span of one run (of the agent's own session when ``session`` is None)."""
        if session is None and self._default_session is not None:
            session = self._default_session()
        async with self.recorder.run_span(session) as ctx:
            yield ctx

    async def flush(self) -> None:
        """Wait until every queued row is written."""
        await self.writer.flush()

    async def close(self) -> None:
        """Write every queued row and stop the writer."""
        await self.writer.close()


def price_table(config: object) -> PriceTable:
    """The prices of ``config`` (an ``AgentConfig``): built-ins with its ``pricing:`` on top."""
    from agentcore.config.schema import AgentConfig

    assert isinstance(config, AgentConfig)
    if any(t.input_price is not None for t in config.models.values()):
        from agentcore.models import Catalog

        return Catalog.from_config(config).prices  # models: entries' prices, pricing: on top
    origin = f"{config.source}: pricing" if config.source is not None else "pricing:"
    return PriceTable.from_config(config.pricing, origin=origin)


def attach_call_log(agent: Agent) -> CallLog:
    """Give ``agent``'s service (its loop and model clients) a recorder writing to the configured storage."""
    config = agent.config
    writer = CallLogWriter(config.storage.url)
    recorder = CallRecorder(
        writer,
        price_table(config),
        store_content=config.logging.store_content,
        agent=config.name or DEFAULT_AGENT_NAME,
        agent_id=new_id(),
    )
    agent.service.recorder = recorder
    return CallLog(recorder, lambda: agent.context.name)
