"""Where cached answers live: in memory, in the SQL database (SQLite or PostgreSQL), or in Redis.

Every backend stores the same thing per key: the answer as JSON text, which provider/model gave it,
the tokens it cost, when it was stored, when it expires, and how often it was served since.
Times are epoch seconds from the caller's clock (tests pass their own).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class EntryMeta:
    """What an entry says about the call it saves (for stats: savings per model)."""

    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int


@dataclass(slots=True)
class ModelStats:
    """Entries and hits of one provider/model; saved tokens are per hit."""

    provider: str
    model: str
    entries: int = 0
    hits: int = 0
    saved_prompt_tokens: int = 0
    saved_completion_tokens: int = 0


@dataclass(slots=True)
class CacheStats:
    """What ``agentcore cache stats`` shows."""

    backend: str
    entries: int = 0
    hits: int = 0
    models: list[ModelStats] = field(default_factory=list[ModelStats])


class CacheBackend(Protocol):
    """A store of cached answers."""

    name: str

    async def get(self, key: str, now: float) -> str | None: ...

    async def put(self, key: str, value: str, meta: EntryMeta, now: float, expires: float) -> None: ...

    async def hits(self, counts: dict[str, int], now: float) -> None: ...

    async def stats(self, now: float) -> CacheStats: ...

    async def clear(self, before: float | None) -> int: ...

    async def aclose(self) -> None: ...


def add_stats(stats: CacheStats, meta: EntryMeta, hits: int) -> None:
    """Count one live entry with ``hits`` into ``stats``."""
    stats.entries += 1
    stats.hits += hits
    for row in stats.models:
        if row.provider == meta.provider and row.model == meta.model:
            break
    else:
        row = ModelStats(meta.provider, meta.model)
        stats.models.append(row)
    row.entries += 1
    row.hits += hits
    row.saved_prompt_tokens += hits * meta.prompt_tokens
    row.saved_completion_tokens += hits * meta.completion_tokens


@dataclass(slots=True)
class _MemoryEntry:
    value: str
    meta: EntryMeta
    created: float
    expires: float
    hits: int = 0


class MemoryBackend:
    """A per-process LRU dictionary (lost at exit); bounded by ``max_entries``."""

    name = "memory"

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: OrderedDict[str, _MemoryEntry] = OrderedDict()
        self._max = max_entries

    async def get(self, key: str, now: float) -> str | None:
        """The live value of ``key``."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= now:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry.value

    async def put(self, key: str, value: str, meta: EntryMeta, now: float, expires: float) -> None:
        """Store ``value`` under ``key`` until ``expires``."""
        self._entries[key] = _MemoryEntry(value, meta, now, expires)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    async def hits(self, counts: dict[str, int], now: float) -> None:
        """Add hits per key."""
        for key, count in counts.items():
            entry = self._entries.get(key)
            if entry is not None:
                entry.hits += count

    async def stats(self, now: float) -> CacheStats:
        """Live entries and their hits."""
        stats = CacheStats(self.name)
        for entry in self._entries.values():
            if entry.expires > now:
                add_stats(stats, entry.meta, entry.hits)
        return stats

    async def clear(self, before: float | None) -> int:
        """Drop every entry (stored before ``before`` when given); how many."""
        doomed = [k for k, e in self._entries.items() if before is None or e.created < before]
        for key in doomed:
            del self._entries[key]
        return len(doomed)

    async def aclose(self) -> None:
        """Nothing to close."""
