"""The ContextManager: the conversation history of one session and what of it is sent to the model.

With a store attached, every message is committed as an appended row before the next LLM request
goes out (``request_messages`` commits what is pending), and the history is loaded and repaired on
first use. An assistant message that asks for tools is held until its tool results arrive and the
three are committed in one transaction: they are produced together before the next request, and a
crash while the tools run loses only that turn in flight (repair-on-load would give the calls
"interrupted" results anyway). Every other message is committed before ``add`` returns. What is sent is chosen by ``compression`` to fit the model's
window; the stored history always stays complete.

A turn (``async with context.turn():``) holds the session: turns on one session run one after the
other, in this process and across processes (``storage.locks``), and each starts from what is
stored (another process may have appended meanwhile). A stored session is created by its first
append; when its first turn fails before any assistant message was stored, it is removed again.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentcore.context import compression, prompt
from agentcore.context._turn import LockSettings, in_memory_hold, transcript
from agentcore.context.repair import repair
from agentcore.context.tokens import TokenCounter, encoder_ready, encoding
from agentcore.context.windows import ContextWindow
from agentcore.logs import get_logger
from agentcore.messages import InternalMessage
from agentcore.tools.base import ToolSpec

if TYPE_CHECKING:
    from agentcore.context.store import SessionInfo, SessionStore, Summary

log = get_logger("agentcore.context")

# ``summarizer(prompt, system_prompt) -> text``: one request with no history, e.g. direct_generate.
Summarizer = Callable[[str, str | None], Awaitable[str]]

SUMMARY_SYSTEM = (
    "You compress conversations. Summarise the conversation excerpt you are given so that an "
    "assistant can continue the conversation without it: keep facts, decisions, names, numbers, "
    "file paths, open questions and tool results that still matter. Write plain prose, no preamble."
)
SUMMARY_HEADER = "Summary of the earlier part of this conversation (older messages are not shown):"
_LOW_WATER = 0.7  # after compressing, aim for this share of the trigger, so cuts stay stable


@dataclass(frozen=True, slots=True)
class CompressionSettings:
    """``context.compression`` as the manager uses it."""

    strategy: compression.Strategy = "hybrid"
    threshold: float = 0.85
    keep_first: int = 2
    keep_last: int = 8


class ContextManager:
    """One session's messages: persisted when a store is attached, in memory otherwise."""

    def __init__(
        self,
        system_prompt: str | None = None,
        *,
        store: SessionStore | None = None,
        name: str | None = None,
        kind: str = "api",
        counter: TokenCounter | None = None,
        window: ContextWindow | None = None,
        settings: CompressionSettings | None = None,
        summarizer: Summarizer | None = None,
        prompt_vars: dict[str, str] | None = None,
        lock: LockSettings | None = None,
    ) -> None:
        self._system_prompt = system_prompt
        self._messages: list[InternalMessage] = []
        self._counts: list[int] = []
        self.store = store
        self.name = name
        self.kind = kind
        self.counter = counter or TokenCounter.for_model("gpt-4o")
        self.window = window
        self.settings = settings or CompressionSettings()
        self.summarizer = summarizer
        self._vars = dict(prompt_vars or {})
        if name:
            self._vars.setdefault("session", name)
        self._info: SessionInfo | None = None
        self._pending: list[InternalMessage] = []  # an assistant tool-call message awaiting its results
        self._pending_counts: list[int | None] = []
        self._loaded = store is None
        self._load_lock = asyncio.Lock()
        self._head_end = 0  # messages[:head_end] are sent before the cut...
        self._cut = 0  # ...and messages[cut:] after it
        self._summary: Summary | None = None  # the stored summary of the span before the cut
        self._summary_active = False
        self._rendered_system: str | None = None
        self._tools_key: tuple[int, int] | None = None
        self._tools_tokens = 0
        self._system_count: tuple[str | None, int] | None = None
        self.last_request_tokens = 0
        self.lock = lock or LockSettings()
        self._next_seq = 1  # what the store will number our next message, as far as we know
        self._turn_owner: asyncio.Task[object] | None = None
        self._memory_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    # ---- public state --------------------------------------------------------------------

    @property
    def system_prompt(self) -> str | None:
        """The system prompt template (variables such as ``{date}`` are filled in per request)."""
        return self._system_prompt

    @system_prompt.setter
    def system_prompt(self, value: str | None) -> None:
        self._system_prompt = value

    @property
    def messages(self) -> Sequence[InternalMessage]:
        """The complete history (never compressed); call ``await load()`` first for a stored session."""
        return self._messages

    @property
    def info(self) -> SessionInfo | None:
        """The stored session's row (after loading), None without a store."""
        return self._info

    @property
    def persistent(self) -> bool:
        """True when messages are stored in a database."""
        return self.store is not None

    async def load(self) -> None:
        """Load and repair the stored history (done on first use; a new session is not created yet)."""
        if self._loaded:
            return
        async with self._load_lock:
            if self._loaded:
                return
            assert self.store is not None and self.name is not None
            from agentcore.context.store import check_session_name

            check_session_name(self.name)
            info = await self.store.find(self.name)
            self._info = info
            self._next_seq = info.next_seq if info is not None else 1
            if info is None or info.message_count == 0:  # a new (or reset) session: nothing to read
                self._loaded = True
                return
            loaded = await self.store.load(info.id)
            messages = repair(loaded.messages)
            seq = 0
            for msg in messages:  # synthetic results take their call's number
                seq = msg.cache.setdefault("seq", seq)
            self._messages = messages
            self._counts = []
            self._summary = loaded.summary
            if loaded.summary is not None:
                seqs = [m.cache["seq"] for m in messages]
                self._cut = bisect.bisect_left(seqs, loaded.summary.upto_seq)
                self._head_end = bisect.bisect_left(seqs, loaded.summary.from_seq)
                self._summary_active = 0 < self._cut < len(messages)
                if not self._summary_active:
                    self._cut = self._head_end = 0
            self._loaded = True

    def _forget(self) -> None:
        """Drop the in-memory history (the next ``load`` reads what is stored)."""
        self._messages = []
        self._counts = []
        self._pending.clear()
        self._pending_counts.clear()
        self._cut = self._head_end = 0
        self._summary = None
        self._summary_active = False
        self._info = None
        self._next_seq = 1
        self._loaded = self.store is None

    async def _refresh(self) -> None:
        """Catch up with what other processes (or Agents) appended since this one last looked."""
        if self.store is None:
            return
        if not self._loaded:
            await self.load()
            return
        assert self.name is not None
        info = await self.store.find(self.name)
        if info is None and self._info is None:
            return
        if info is None or self._info is None or info.id != self._info.id or info.next_seq != self._next_seq:
            self._forget()
            await self.load()

    # ---- turns ----------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncGenerator[None]:
        """Hold this session for one turn (user message to final answer).

        Waits for (or, with ``context.sessionLockMode: fail``, refuses with ``SessionBusy``) any
        turn in progress on the same session, in this process or another; then brings the history
        up to date. Re-entrant within one task. A first turn that fails with an error before any
        assistant message was stored leaves no session behind (a cancelled one keeps its message).
        """
        task = asyncio.current_task()
        if task is not None and self._turn_owner is task:
            yield
            return
        async with self._hold():
            self._turn_owner = task
            try:
                await self._refresh()
                first = self.store is not None and not self._messages
                try:
                    yield
                except Exception:
                    # Errors only: a cancelled turn (Ctrl-C in chat) keeps its user message, and
                    # the conversation goes on from it.
                    if first:
                        await self._drop_failed_first_turn()
                    raise
            finally:
                self._turn_owner = None

    def _hold(self) -> contextlib.AbstractAsyncContextManager[None]:
        if self.store is None or self.name is None:
            loop = asyncio.get_running_loop()
            lock = self._memory_locks.get(loop)
            if lock is None:
                lock = self._memory_locks[loop] = asyncio.Lock()
            return in_memory_hold(lock, self.name or "(in memory)", self.lock)
        from agentcore.storage.locks import session_lock

        return session_lock(
            self.store.url, self.store.sqlite_path, self.name, mode=self.lock.mode, timeout=self.lock.timeout
        )

    async def _drop_failed_first_turn(self) -> None:
        if any(m.role == "assistant" for m in self._messages) or self._pending:
            return
        info = self._info
        self._forget()
        if info is None or self.store is None:
            return
        try:
            await asyncio.shield(self.store.delete_ids([info.id]))
        except Exception as exc:  # the turn's own error is the one to report
            log.warning("context.cleanup_failed", session=self.name, error=type(exc).__name__)
            return
        if self.store.sqlite_path is not None and self.name is not None:
            from agentcore.storage.locks import remove_lock_files

            remove_lock_files(self.store.sqlite_path, [self.name])

    # ---- changing the history -------------------------------------------------------------

    async def add(self, message: InternalMessage) -> None:
        """Append one message (committed to the store before this returns)."""
        await self.add_many((message,))

    async def add_many(self, messages: Sequence[InternalMessage]) -> None:
        """Append several messages in order, in one transaction (an assistant message asking for
        tools is held and committed with what follows it: its results)."""
        if not messages:
            return
        await self.load()
        counts = [self._known_count(m) for m in messages]
        if self.store is None:
            self._extend(messages, counts)
            return
        last = messages[-1]
        if last.role == "assistant" and last.tool_calls:
            self._pending.extend(messages)
            self._pending_counts.extend(counts)
            return
        await self._commit([*self._pending, *messages], [*self._pending_counts, *counts])

    async def flush(self) -> None:
        """Commit a held assistant message (done before every request and on close)."""
        if self._pending:
            await self._commit(list(self._pending), list(self._pending_counts))

    async def _commit(self, messages: list[InternalMessage], counts: list[int | None]) -> None:
        assert self.store is not None and self.name is not None
        if self._info is None:  # sessions are created by their first append
            self._info, seqs = await self.store.create_and_append(
                self.name, self.kind, messages, counts, self.counter.key
            )
        else:
            seqs = await self.store.append(self._info, messages, counts, self.counter.key)
        self._next_seq = seqs[-1] + 1
        self._pending.clear()
        self._pending_counts.clear()
        self._extend(messages, counts)

    def _extend(self, messages: Sequence[InternalMessage], counts: list[int | None]) -> None:
        self._messages.extend(messages)
        known = [c for c in counts if c is not None]
        if len(known) == len(counts) and len(self._counts) == len(self._messages) - len(messages):
            self._counts.extend(known)

    async def reset(self) -> None:
        """Forget every message of this session (stored rows and summaries are deleted too)."""
        await self.load()
        self._pending.clear()
        self._pending_counts.clear()
        if self.store is not None and self._info is not None:
            await self.store.reset(self._info.id)
            self._next_seq = -1  # unknown: the next turn reloads from the store
        self._messages.clear()
        self._counts.clear()
        self._cut = self._head_end = 0
        self._summary = None
        self._summary_active = False

    # ---- what is sent -------------------------------------------------------------------

    def request_system(self) -> str | None:
        """The system prompt of the last built request: variables filled in, summary appended."""
        system = self._rendered_system
        if self._summary_active and self._summary is not None:
            block = f"{SUMMARY_HEADER}\n{self._summary.text}"
            return f"{system}\n\n{block}" if system else block
        return system

    async def request_messages(
        self, tools: Sequence[ToolSpec] = (), *, shrink: bool = False
    ) -> Sequence[InternalMessage]:
        """The history to send with the next request (without the system prompt).

        ``shrink`` compresses harder than the counts say is needed: used once after the provider
        reported that the request did not fit.
        """
        await self.load()
        if self._pending:
            await self.flush()
        self._rendered_system = prompt.render(self._system_prompt, tools=tools, extra=self._vars)
        if self.window is None and not shrink:
            # A snapshot: the request outlives this turn (doubles, the call log, retries) while the
            # history keeps growing.
            return list(self._messages)
        fresh = not shrink and self._cut == 0 and not self._summary_active and self.window is not None
        if fresh and not encoder_ready(self.counter.encoding_name):
            bound = self.counter.bound(self._messages, self._rendered_system, tools)
            if bound <= self._budget(0, False).trigger:  # fits for sure: no encoder needed
                self._head_end = 0
                self.last_request_tokens = bound
                return list(self._messages)
        counts = await self._all_counts()
        overhead = await self._overhead(tools)
        budget = self._budget(overhead, shrink)
        start = 0 if shrink else self._cut
        if not shrink:  # the common case: what was sent last time (all of it, or the cut) still fits
            head = sum(counts[: self._head_end]) if self._head_end else 0
            summary = self._summary.tokens if self._summary_active and self._summary else 0
            sent = overhead + summary + head + sum(counts[self._cut :])
            if sent <= budget.trigger:  # the fast path: nothing to recompute
                self.last_request_tokens = sent
                return self._sent()
        strategy = self.settings.strategy
        summarizing = (
            strategy in ("summarize", "hybrid") and self.summarizer is not None and self.store is not None
        )
        reserve = min(1_000, budget.target // 4) if summarizing else 0
        budget.overhead += reserve
        chosen = compression.plan(self._messages, counts, budget, strategy, start=start)
        budget.overhead -= reserve
        sent_tokens = chosen.tokens - reserve
        self._head_end, self._cut = chosen.head[1], chosen.tail_start
        if not chosen.compressed:
            self._head_end = self._cut = 0
            self._summary_active = False
            self.last_request_tokens = sent_tokens
            return list(self._messages)
        self._summary_active = False
        if summarizing:
            await self._summarize(chosen.dropped, reserve)
        self.last_request_tokens = sent_tokens + (
            self._summary.tokens if self._summary_active and self._summary else 0
        )
        log.info(
            "context.compressed",
            session=self.name,
            strategy=strategy,
            sent=len(self._messages) - self._cut + self._head_end,
            dropped=self._cut - self._head_end,
            tokens=self.last_request_tokens,
            budget=budget.limit,
        )
        return self._sent()

    def _sent(self) -> list[InternalMessage]:
        return self._messages[: self._head_end] + self._messages[self._cut :]

    def _budget(self, overhead: int, shrink: bool) -> compression.Budget:
        limit = self.window.budget if self.window is not None else 10**12
        if shrink:
            limit = max(1, min(limit, int(self.last_request_tokens * 0.6) or limit // 2))
        trigger = int(limit * self.settings.threshold)
        target = trigger if shrink else int(trigger * _LOW_WATER)
        return compression.Budget(
            limit,
            trigger if not shrink else 0,
            target,
            overhead,
            self.settings.keep_first,
            self.settings.keep_last,
        )

    async def _summarize(self, dropped: tuple[int, int], max_tokens: int) -> None:
        assert self.summarizer is not None and self.store is not None and self._info is not None
        a, b = dropped
        from_seq = self._messages[a].cache.get("seq", 0)
        upto_seq = self._messages[b].cache.get("seq", 0) if b < len(self._messages) else 1 << 62
        old = self._summary
        if old is not None and old.from_seq == from_seq and old.upto_seq == upto_seq:
            self._summary_active = True  # reuse: nothing new was dropped
            return
        span = self._messages[a:b]
        earlier = ""
        if old is not None and old.from_seq == from_seq and old.upto_seq <= upto_seq:
            # Incremental: the previous summary plus what was dropped since.
            earlier = old.text
            span = [m for m in span if m.cache.get("seq", 0) >= old.upto_seq]
        text = transcript(span, limit_chars=max(4_000, (self.window.budget if self.window else 32_000) * 2))
        request = (
            (f"Earlier summary:\n{earlier}\n\n" if earlier else "")
            + f"Conversation excerpt:\n{text}\n\nWrite the summary in at most {max(50, int(max_tokens * 0.6))} words."
        )
        try:
            summary_text = (await self.summarizer(request, SUMMARY_SYSTEM)).strip()
        except Exception as exc:  # a failed summary must not fail the turn: send without it
            log.warning("context.summary_failed", session=self.name, error=f"{type(exc).__name__}: {exc}")
            return
        if not summary_text:
            return
        tokens = await self._count_text(summary_text)
        if tokens > max_tokens:
            summary_text = summary_text[: max(200, len(summary_text) * max_tokens // tokens)]
            tokens = await self._count_text(summary_text)
        from agentcore.context.store import Summary

        self._summary = Summary(from_seq, upto_seq, summary_text, tokens + 8)
        await self.store.save_summary(self._info.id, self._summary)
        self._summary_active = True

    # ---- token counts -------------------------------------------------------------------

    async def _ensure_encoder(self) -> None:
        if not encoder_ready(self.counter.encoding_name):
            # Building the encoder takes ~0.2-0.4 s: keep it off the event loop.
            await asyncio.to_thread(encoding, self.counter.encoding_name)

    def _known_count(self, msg: InternalMessage) -> int | None:
        """The count when it costs nothing (cached, or the encoder is built); None defers it to the
        first request that needs exact counts (a stored None is counted again on load)."""
        if self.counter.key in msg.cache or encoder_ready(self.counter.encoding_name):
            return self.counter.message(msg)
        return None

    async def _count_text(self, text: str) -> int:
        await self._ensure_encoder()
        return self.counter.text(text)

    async def _all_counts(self) -> list[int]:
        if len(self._counts) != len(self._messages):
            missing = any(self.counter.key not in m.cache for m in self._messages)
            if missing:
                await self._ensure_encoder()
            self._counts = [self.counter.message(m) for m in self._messages]
        return self._counts

    async def _overhead(self, tools: Sequence[ToolSpec]) -> int:
        key = (id(tools), len(tools))
        if key != self._tools_key:
            if tools:
                await self._ensure_encoder()
            self._tools_tokens = self.counter.tools(tools)
            self._tools_key = key
        if self._system_count is None or self._system_count[0] != self._rendered_system:
            if self._rendered_system:
                await self._ensure_encoder()
            self._system_count = (self._rendered_system, self.counter.system(self._rendered_system))
        return self._tools_tokens + self._system_count[1]
