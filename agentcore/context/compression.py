"""Choosing what of a history is sent, so the request fits the model's budget.

Pure functions over token counts (easy to test with generated histories). Messages are grouped in
blocks that are kept or dropped whole: an assistant message with tool calls together with its
results, or any other single message. The latest user message and the last block always stay;
the system prompt and tool schemas are the fixed ``overhead``.

Strategies: ``oldest`` drops from the start; ``middle`` keeps the first ``keep_first`` messages and
the most recent that fit; ``summarize`` replaces the dropped start with a summary; ``hybrid`` keeps
the first messages and summarises the dropped middle.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from agentcore.errors import LimitError
from agentcore.messages import InternalMessage

Strategy = Literal["oldest", "middle", "summarize", "hybrid", "none"]


def blocks(messages: Sequence[InternalMessage]) -> list[tuple[int, int]]:
    """Half-open index ranges that must be kept or dropped together (a call with its results)."""
    out: list[tuple[int, int]] = []
    i = 0
    n = len(messages)
    while i < n:
        start = i
        msg = messages[i]
        i += 1
        if msg.role == "assistant" and msg.tool_calls:
            while i < n and messages[i].role == "tool":
                i += 1
        out.append((start, i))
    return out


@dataclass(frozen=True, slots=True)
class Plan:
    """What to send: ``head`` and ``tail`` index ranges, and the dropped span between them."""

    head: tuple[int, int]
    tail_start: int
    end: int
    tokens: int  # of the kept messages plus overhead (without any summary)

    @property
    def dropped(self) -> tuple[int, int]:
        """The dropped index range (empty when nothing was dropped)."""
        return (self.head[1], self.tail_start)

    @property
    def compressed(self) -> bool:
        """True when some messages are not sent."""
        return self.tail_start > self.head[1]

    def indices(self) -> list[int]:
        """The indices of the messages sent, in order."""
        return [*range(*self.head), *range(self.tail_start, self.end)]


@dataclass(slots=True)
class Budget:
    """Token limits for one plan.

    Everything sent must fit ``limit``. Compression starts when the request would exceed ``trigger``
    and then cuts down to ``target``, so the sent prefix stays stable for several turns (provider
    prompt caches keep working and summaries are not regenerated every turn).
    """

    limit: int
    trigger: int
    target: int
    overhead: int
    keep_first: int = 0
    keep_last: int = 1


def plan(
    messages: Sequence[InternalMessage],
    counts: Sequence[int],
    budget: Budget,
    strategy: Strategy,
    *,
    start: int = 0,
) -> Plan:
    """Pick the messages to send. ``start`` is the previous cut, kept while the request fits ``trigger``.

    Raises LimitError when even the system prompt, tools and the current turn (from the latest user
    message on) exceed ``limit``.
    """
    n = len(messages)
    groups = blocks(messages)
    if not groups:
        if budget.overhead > budget.limit:
            raise LimitError(_too_big(budget, budget.overhead))
        return Plan((0, 0), 0, 0, budget.overhead)
    head_n = _head_blocks(groups, budget.keep_first) if strategy in ("middle", "hybrid") else 0
    starts = [b[0] for b in groups]
    cut = max(bisect.bisect_left(starts, start), head_n) if start else 0
    if cut >= len(groups):
        cut = 0  # a stale cut (history was reset): start over
    head_end = groups[head_n - 1][1] if cut and head_n else 0
    tail_start = starts[cut] if cut else 0
    sent = budget.overhead + sum(counts[:head_end]) + sum(counts[tail_start:])
    if tail_start > required_from(messages):
        return _fit(messages, groups, counts, budget, head_n)  # a stale cut would drop the current turn
    if sent <= budget.trigger or strategy == "none":
        if sent > budget.limit:
            raise LimitError(_too_big(budget, sent))
        return Plan((0, head_end), tail_start, n, sent)
    return _fit(messages, groups, counts, budget, head_n)


def _fit(
    messages: Sequence[InternalMessage],
    groups: list[tuple[int, int]],
    counts: Sequence[int],
    budget: Budget,
    head_n: int,
) -> Plan:
    n = len(messages)
    sizes = [sum(counts[a:b]) for a, b in groups]
    required = bisect.bisect_right([b[0] for b in groups], required_from(messages)) - 1
    tail_first = len(groups)
    tail_tokens = 0
    for b in range(len(groups) - 1, -1, -1):
        if b >= required or budget.overhead + tail_tokens + sizes[b] <= budget.target:
            tail_first = b
            tail_tokens += sizes[b]
        else:
            break
    # Prefer keeping at least keep_last messages when they fit the hard limit.
    while (
        tail_first > 0
        and n - groups[tail_first][0] < budget.keep_last
        and budget.overhead + tail_tokens + sizes[tail_first - 1] <= budget.limit
    ):
        tail_first -= 1
        tail_tokens += sizes[tail_first]
    needed = budget.overhead + tail_tokens
    if needed > budget.limit:
        raise LimitError(_too_big(budget, needed))
    if tail_first == 0:
        return Plan((0, 0), 0, n, needed)
    kept_head = 0
    head_tokens = 0
    for b in range(min(head_n, tail_first)):
        if needed + head_tokens + sizes[b] > budget.limit:
            break
        head_tokens += sizes[b]
        kept_head = b + 1
    if kept_head == tail_first:  # nothing dropped after all
        return Plan((0, 0), 0, n, needed + head_tokens)
    head_end = groups[kept_head - 1][1] if kept_head else 0
    return Plan((0, head_end), groups[tail_first][0], n, needed + head_tokens)


def required_from(messages: Sequence[InternalMessage]) -> int:
    """Index of the latest user message (always sent), or of the last block when there is none."""
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].role == "user":
            return i
    groups = blocks(messages)
    return groups[-1][0] if groups else 0


def _head_blocks(groups: list[tuple[int, int]], keep_first: int) -> int:
    for b, (_, end) in enumerate(groups):
        if end >= keep_first:
            return b + 1
    return len(groups)


def _too_big(budget: Budget, tokens: int) -> str:
    return (
        f"the request needs {tokens:,} tokens (system prompt, tools and the latest message) but the "
        f"model's budget is {budget.limit:,}; shorten the message or system prompt, use fewer tools, "
        "or raise context.maxTokens if the model allows it"
    )
