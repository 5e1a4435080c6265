"""The call-log tables: one row per LLM request attempt, per-model totals, and trace spans.

Registered with ``agentcore.storage.db`` as schema ``calllog`` (by ``_schema``, SQLAlchemy-free); ``open_database`` creates them and
upgrades older versions in place (``_migrate``). Times are timezone-aware UTC.

Null rules (v2): token columns are NULL when the provider reported no usage for the attempt
(``usage_reported`` false) - unknown, never zero; ``cost_usd`` is NULL whenever the cost is not
known exactly (unpriced model, no usage, a failed or cancelled attempt). Local servers (Ollama,
LM Studio) cost a real 0.

v3: a response-cache hit (status ``cache_hit``) keeps the original call's tokens, costs a real 0 and
has the original call's cost in ``saved_usd`` (NULL when unknown); the per-model totals count hits
and their savings apart from the tokens and dollars spent.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table
from sqlmodel import Field, SQLModel

from agentcore.tracing._schema import SCHEMA_NAME, SCHEMA_VERSION, register

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["CALLS", "MODEL_USAGE", "SCHEMA_NAME", "SCHEMA_VERSION", "SPANS", "TABLES", "migrate", "register"]


class LLMCallLog(SQLModel, table=True):
    """One LLM request attempt (a retried request leaves one row per attempt)."""

    __tablename__ = "llm_call_logs"  # pyright: ignore[reportAssignmentType]

    id: str = Field(primary_key=True, max_length=32)
    trace_id: str | None = Field(default=None, index=True, max_length=32)
    parent_call_id: str | None = Field(default=None, max_length=32)
    session_id: str | None = Field(default=None, index=True, max_length=200)
    agent: str | None = Field(default=None, index=True, max_length=200)  # the agent's name
    agent_id: str | None = Field(default=None, index=True, max_length=32)  # the Agent instance
    module: str | None = Field(default=None, index=True, max_length=200)
    user_id: str | None = Field(default=None, index=True, max_length=200)
    tags: str | None = None  # JSON object
    provider: str = Field(max_length=50)
    model: str = Field(index=True, max_length=200)
    profile: str | None = Field(default=None, max_length=200)  # routing profile
    target: str | None = Field(default=None, max_length=200)  # routed target name
    failover: bool = False  # an earlier target of the same request failed
    base_url_host: str | None = Field(default=None, max_length=255)
    purpose: str = Field(default="turn", max_length=20)  # turn | direct | summary
    stream: bool = False
    messages_count: int = 0
    usage_reported: bool = True  # False: the provider sent no usage; the tokens below are NULL
    prompt_tokens: int | None = None  # every input token, cached and cache writes included
    completion_tokens: int | None = None
    cached_tokens: int | None = None  # read from the prompt cache (part of prompt_tokens)
    cache_write_tokens: int | None = None  # written to the cache (part of prompt_tokens)
    cache_write_1h_tokens: int | None = None  # the 1-hour-cache part of cache_write_tokens
    reasoning_tokens: int | None = None
    total_tokens: int | None = None  # the provider's own total when it sent one
    cost_usd: float | None = None  # None: not known exactly; 0 for a cache hit
    saved_usd: float | None = None  # cache hits only: what the original call cost (None: unknown)
    latency_ms: float = 0.0
    time_to_first_token_ms: float | None = None
    status: str = Field(index=True, max_length=20)  # success | error | cancelled | cache_hit
    error_kind: str | None = Field(default=None, max_length=50)  # e.g. incomplete_stream, timeout
    error_type: str | None = Field(default=None, max_length=100)
    error_message: str | None = None
    finish_reason: str | None = Field(default=None, max_length=50)
    attempt: int = 1
    retries: int = 0
    request_body: str | None = None  # only with logging.storeContent
    response_body: str | None = None
    created_at: datetime = Field(index=True)


class LLMModelUsage(SQLModel, table=True):
    """Running totals per provider and model, updated with every batch of rows written."""

    __tablename__ = "llm_model_usage"  # pyright: ignore[reportAssignmentType]

    provider: str = Field(primary_key=True, max_length=50)
    model: str = Field(primary_key=True, max_length=200)
    requests: int = 0  # cache hits included
    errors: int = 0
    prompt_tokens: int = 0  # sums of the reported figures (cache hits spent none)
    completion_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    unreported_requests: int = 0  # attempts without usage
    unpriced_requests: int = 0  # attempts whose cost is unknown
    cost_usd_priced: float = 0.0  # the sum of the known costs
    cost_usd: float | None = None  # the total: NULL as soon as one attempt is unpriced
    last_used_at: datetime | None = None
    # v3 (added in place by ALTER TABLE, hence the server defaults): what the cache hits saved.
    cache_hits: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    saved_prompt_tokens: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    saved_completion_tokens: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    unpriced_hits: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # saved_usd unknown
    saved_usd_priced: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    saved_usd: float | None = None  # the total: NULL as soon as one hit is unpriced


class TraceSpan(SQLModel, table=True):
    """A run or a tool call inside a trace (LLM calls are in ``llm_call_logs``)."""

    __tablename__ = "trace_spans"  # pyright: ignore[reportAssignmentType]

    id: str = Field(primary_key=True, max_length=32)
    trace_id: str = Field(index=True, max_length=32)
    parent_id: str | None = Field(default=None, max_length=32)
    kind: str = Field(max_length=20)  # run | tool
    name: str = Field(max_length=200)
    session_id: str | None = Field(default=None, max_length=200)
    module: str | None = Field(default=None, max_length=200)
    user_id: str | None = Field(default=None, max_length=200)
    status: str = Field(max_length=20)  # success | error | cancelled
    latency_ms: float = 0.0
    detail: str | None = None
    created_at: datetime = Field(index=True)


def _table(model: type[SQLModel]) -> Table:
    # SQLModel sets __table__ at class creation; its stubs do not declare it.
    return cast(Table, getattr(model, "__table__"))  # noqa: B009


CALLS = _table(LLMCallLog)
MODEL_USAGE = _table(LLMModelUsage)
SPANS = _table(TraceSpan)
TABLES: tuple[Table, ...] = (CALLS, MODEL_USAGE, SPANS)


def _create(conn: Connection) -> None:
    SQLModel.metadata.create_all(conn, tables=list(TABLES), checkfirst=True)


async def migrate(conn: AsyncConnection, from_version: int) -> None:
    """Create the tables, or upgrade them in place from ``from_version``."""
    if from_version in (1, 2):
        from agentcore.tracing._migrate import v1_to_v2, v2_to_v3

        if from_version == 1:
            await conn.run_sync(v1_to_v2)
        await conn.run_sync(v2_to_v3)
        return
    await conn.run_sync(_create)
