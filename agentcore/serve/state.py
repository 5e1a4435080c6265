"""Everything one gateway process holds: config, agents, upstreams, keys, limits, metrics, call log."""

from __future__ import annotations

import asyncio
import os
import time
from typing import TYPE_CHECKING, Any

from agentcore.logs import get_logger
from agentcore.serve._upstream import Upstreams
from agentcore.serve.keys import KeyStore
from agentcore.serve.limits import Limiter, build_limiter
from agentcore.serve.metrics import Metrics

if TYPE_CHECKING:
    from agentcore.agent import Agent
    from agentcore.config.schema import AgentConfig
    from agentcore.llm.providers.http.host import Host
    from agentcore.llm.providers.http.redis_tokens import RedisTokenStore
    from agentcore.messages import Usage
    from agentcore.tracing.pricing import PriceTable
    from agentcore.tracing.writer import CallLogWriter

log = get_logger("agentcore.serve")
ADMIN_KEY_ENV = "AGENTCORE_ADMIN_KEY"


class Gateway:
    """The state of one gateway process; ``start`` and ``close`` follow the app's lifespan."""

    def __init__(self, config: AgentConfig) -> None:
        from agentcore._redact import register_secret
        from agentcore.storage.db import resolve_url
        from agentcore.tracing.pricing import PriceTable

        self.config = config
        self.admin_key: str | None = config.serve.admin_key or os.environ.get(ADMIN_KEY_ENV) or None
        register_secret(self.admin_key)
        self.db_url = resolve_url(config.storage.url)
        self.keys = KeyStore(self.db_url)
        self.metrics = Metrics()
        self.prices: PriceTable = PriceTable.from_config(config.pricing)
        self.limiter: Limiter = build_limiter(config.storage.redis)
        self.agents: dict[str, Agent] = {}
        self.upstreams = Upstreams(config, None)
        self._writer: CallLogWriter | None = None
        self.started_at = time.time()
        self._gate: asyncio.Semaphore | None = None
        self._token_stores: dict[str, RedisTokenStore] = {}
        self.host: Host = self._host()

    def _host(self) -> Host:
        """What HTTP providers get from the gateway: its keys table, and Redis for auth tokens."""
        from agentcore.llm.providers.http.host import Host
        from agentcore.serve.upstream_keys import UpstreamKeyStore

        redis = self.config.storage.redis
        return Host(UpstreamKeyStore(self.db_url), self._token_store if redis else None)

    def _token_store(self, provider: str) -> RedisTokenStore:
        found = self._token_stores.get(provider)
        if found is None:
            from agentcore.llm.providers.http.redis_tokens import RedisTokenStore

            assert self.config.storage.redis is not None
            found = self._token_stores[provider] = RedisTokenStore(self.config.storage.redis, provider)
        return found

    async def start(self) -> None:
        """Open the database, build and start the agents, attach the pass-through call log."""
        from agentcore.storage.db import open_database
        from agentcore.tracing.recorder import CallRecorder
        from agentcore.tracing.writer import CallLogWriter

        await open_database(self.db_url)  # creates the keys table with every other schema
        self._writer = CallLogWriter(self.config.storage.url)
        recorder = CallRecorder(self._writer, self.prices, store_content=self.config.logging.store_content)
        self.upstreams = Upstreams(self.config, recorder)
        self.agents = self._build_agents()
        for agent in self.agents.values():
            await agent.start()

    def _build_agents(self) -> dict[str, Agent]:
        from agentcore.agent import Agent

        config = self.config
        agents: dict[str, Agent] = {config.serve.default_agent: Agent(config)}
        for name, entry in config.agents.items():
            if entry.config is not None:
                agents[name] = Agent.from_config(config.resolve_path(entry.config))
            else:
                agents[name] = Agent(config.model_copy(update={"system_prompt": entry.system_prompt}))
        return agents

    def upstream_gate(self) -> asyncio.Semaphore | None:
        """The bound on this worker's open upstream requests (made on first use, on the serving loop)."""
        limit = self.config.serve.max_upstream_requests
        if limit == 0:
            return None
        if self._gate is None:
            self._gate = asyncio.Semaphore(limit)
        return self._gate

    def agent(self, name: str) -> Agent | None:
        """The agent served as model ``name``."""
        return self.agents.get(name)

    def model_names(self) -> list[tuple[str, str]]:
        """(name, kind) of every agent and named upstream."""
        names = [(name, "agentcore-agent") for name in self.agents]
        names += [(name, "agentcore-target") for name in self.upstreams.names()]
        return names

    def cost(self, provider: str, model: str, usage: Usage) -> float | None:
        """USD for ``usage`` on ``model`` (None when its price is unknown)."""
        return self.prices.cost(provider, model, usage)

    async def readiness(self) -> dict[str, dict[str, Any]]:
        """Database, counters and every agent's MCP servers."""
        from sqlalchemy import text

        from agentcore.errors import describe
        from agentcore.storage.db import mask_url, open_database

        checks: dict[str, dict[str, Any]] = {}
        try:
            engine = await open_database(self.db_url)
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = {"ok": True, "url": mask_url(self.db_url)}
        except Exception as exc:
            checks["database"] = {"ok": False, "error": describe(exc).message}
        checks["counters"] = {
            "ok": await self.limiter.ping(),
            "where": "redis" if self.config.storage.redis else "process",
        }
        for name, agent in self.agents.items():
            for source in agent.tools.source_status():
                if source.get("type") == "local":
                    continue
                state = source.get("state")
                checks[f"mcp:{name}:{source['name']}"] = {"ok": state in ("up", "connected"), "state": state}
        return checks

    async def close(self) -> None:
        """Close agents (MCP servers, sessions, their call logs), upstreams, counters and the call log."""
        for name, agent in self.agents.items():
            try:
                await agent.close()
            except Exception as exc:
                log.warning("serve.agent_close_failed", agent=name, error=type(exc).__name__)
        await self.upstreams.aclose()
        await self.limiter.close()
        for store in self._token_stores.values():
            await store.close()
        if self._writer is not None:
            await self._writer.close()  # flushes every queued call-log row
        from agentcore.storage.db import dispose_engines

        await dispose_engines()
