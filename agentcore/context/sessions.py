"""``agent.sessions``: list, open, resume, rename, delete and reset stored sessions."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from agentcore.context.manager import ContextManager, Summarizer
from agentcore.context.store import SessionInfo, SessionStore, check_session_name
from agentcore.errors import StorageError

if TYPE_CHECKING:
    from agentcore.config.schema import AgentConfig


def new_session_name(kind: str) -> str:
    """A fresh, sortable session name such as ``run-20261121-142233-3fa2``."""
    return f"{kind}-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


class Sessions:
    """The stored sessions of one agent's database."""

    def __init__(self, store: SessionStore, factory: Callable[[str, str], ContextManager]) -> None:
        self.store = store
        self._factory = factory
        self._open: dict[str, ContextManager] = {}

    def get(self, name: str, *, kind: str = "api") -> ContextManager:
        """The (persistent) context of session ``name``; created in the database by its first message."""
        ctx = self._open.get(name)
        if ctx is None:
            check_session_name(name)
            ctx = self._open[name] = self._factory(name, kind)
        return ctx

    async def create(self, name: str, *, kind: str = "api") -> SessionInfo:
        """Store session ``name`` now (sessions are otherwise created by their first message)."""
        info = await self.store.get_or_create(check_session_name(name), kind)
        ctx = self._open.get(name)
        if ctx is not None and ctx.info is None:
            ctx._forget()  # pyright: ignore[reportPrivateUsage]  (reload: it exists now)
        return info

    async def list(self, kind: str | None = None) -> list[SessionInfo]:
        """Stored sessions, most recently used first (optionally only of ``kind``: run, chat, api)."""
        return await self.store.list_sessions(kind)

    async def last(self, kind: str | None = None) -> SessionInfo | None:
        """The most recently used session (of ``kind``)."""
        return await self.store.last(kind)

    async def exists(self, name: str) -> bool:
        """True when a session called ``name`` is stored."""
        return await self.store.find(name) is not None

    async def resume(self, name: str) -> ContextManager:
        """The context of an existing session, loaded; an error when there is none."""
        if not await self.exists(name):
            raise StorageError(f"no session named '{name}' (agentcore sessions list shows them)")
        ctx = self.get(name)
        await ctx.load()
        return ctx

    async def rename(self, old: str, new: str) -> SessionInfo:
        """Rename a stored session."""
        info = await self.store.rename(old, new)
        ctx = self._open.pop(old, None)
        if ctx is not None:
            ctx.name = new
            self._open[new] = ctx
        return info

    async def delete(self, name: str) -> bool:
        """Delete a session and all its messages; False when there was none."""
        self._open.pop(name, None)
        deleted = await self.store.delete(name)
        self._remove_lock_files([name])
        return deleted

    async def prune(
        self, *, older_than: timedelta | None = None, empty: bool = False, dry_run: bool = False
    ) -> list[SessionInfo]:
        """Delete sessions unused for ``older_than`` and/or without messages (``empty``)."""
        pruned = await self.store.prune(older_than=older_than, empty=empty, dry_run=dry_run)
        if not dry_run:
            for info in pruned:
                self._open.pop(info.name, None)
            self._remove_lock_files([s.name for s in pruned])
        return pruned

    def _remove_lock_files(self, names: list[str]) -> None:
        if self.store.sqlite_path is not None:
            from agentcore.storage.locks import remove_lock_files

            remove_lock_files(self.store.sqlite_path, names)

    async def reset(self, name: str) -> None:
        """Empty a session: its messages and summaries are deleted, the name stays."""
        await self.get(name).reset()

    async def close(self) -> None:
        """Commit held messages and close pooled database connections (they reopen on next use)."""
        from agentcore.storage.db import release

        for ctx in self._open.values():
            await ctx.flush()

        await release(self.store.url)

    def new_name(self, kind: str = "api") -> str:
        """A fresh session name."""
        return new_session_name(kind)


def build_sessions(config: AgentConfig, system_prompt: str | None, summarizer: Summarizer | None) -> Sessions:
    """The ``Sessions`` of an agent: its database, model window, token counter and compression."""
    from agentcore.context.manager import CompressionSettings, LockSettings
    from agentcore.context.tokens import TokenCounter
    from agentcore.context.windows import window_for
    from agentcore.models import catalog_for
    from agentcore.storage.db import resolve_url

    ctx = config.context
    catalog = catalog_for(config)
    window = window_for(
        config.llm.model,
        max_tokens=ctx.max_tokens,
        reserve_output=ctx.reserve_output,
        llm_max_tokens=config.llm.max_tokens,
        catalog=catalog,
    )
    counter = TokenCounter.for_model(config.llm.model, catalog)
    comp = ctx.compression
    settings = CompressionSettings(comp.strategy, comp.threshold, comp.keep_first, comp.keep_last)
    store = SessionStore(resolve_url(config.storage.url))
    lock = LockSettings(ctx.session_lock_mode, ctx.session_lock_timeout)
    variables = {"model": config.llm.model, "provider": config.llm.provider}

    def factory(name: str, kind: str) -> ContextManager:
        return ContextManager(
            system_prompt,
            store=store,
            name=name,
            kind=kind,
            counter=counter,
            window=window,
            settings=settings,
            summarizer=summarizer,
            prompt_vars=variables,
            lock=lock,
        )

    return Sessions(store, factory)
