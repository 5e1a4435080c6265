"""Wiring the call log into an agent: one writer and recorder per agent, set on its service."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from agentcore.tracing.context import CallContext
from agentcore.tracing.pricing import PriceTable
from agentcore.tracing.recorder import CallRecorder
from agentcore.tracing.writer import CallLogWriter, utcnow

if TYPE_CHECKING:
    from agentcore.agent import Agent


class CallLog:
    """An agent's call log: its recorder and background writer."""

    def __init__(self, recorder: CallRecorder) -> None:
        self.recorder = recorder
        self.writer = recorder.writer
        self.created_at = utcnow()

    @asynccontextmanager
    async def run_span(self, session: str | None) -> AsyncGenerator[CallContext]:
        """The trace span of one run."""
        async with self.recorder.run_span(session) as ctx:
            yield ctx

    async def flush(self) -> None:
        """Wait until every queued row is written."""
        await self.writer.flush()

    async def close(self) -> None:
        """Write every queued row and stop the writer."""
        await self.writer.close()


def attach_call_log(agent: Agent) -> CallLog:
    """Give ``agent``'s service (its loop and model clients) a recorder writing to the configured storage."""
    config = agent.config
    writer = CallLogWriter(config.storage.url)
    recorder = CallRecorder(
        writer, PriceTable.from_config(config.pricing), store_content=config.logging.store_content
    )
    agent.service.recorder = recorder
    return CallLog(recorder)
