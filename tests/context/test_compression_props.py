"""Compression invariants over thousands of generated histories (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentcore.context import compression
from agentcore.context.repair import is_valid, repair
from agentcore.errors import LimitError
from agentcore.messages import InternalMessage, ToolCall

_STEP = st.tuples(
    st.sampled_from(["user", "assistant", "calls", "tool", "orphan"]), st.integers(0, 30), st.integers(0, 7)
)


@st.composite
def histories(draw: st.DrawFn) -> list[InternalMessage]:
    """Arbitrary sequences (including broken tool structure), repaired as on load."""
    raw: list[InternalMessage] = []
    ids = 0
    for kind, size, bits in draw(st.lists(_STEP, max_size=40)):
        if kind == "user":
            raw.append(InternalMessage.user("u" * size))
        elif kind == "assistant":
            raw.append(InternalMessage.assistant("a" * size))
        elif kind == "calls":
            calls: list[ToolCall] = []
            for _ in range(1 + bits % 3):
                ids += 1
                calls.append(ToolCall(f"c{ids}", "t", "{}"))
            raw.append(InternalMessage.assistant(None, tuple(calls)))
            # Some results are missing (a crash): repair fills them in.
            raw.extend(
                InternalMessage.tool_result(c, "r" * size)
                for j, c in enumerate(calls)
                if bits >> j & 1 or j == 0
            )
        elif kind == "tool":
            raw.append(InternalMessage.tool_result(ToolCall(f"c{ids}", "t", "{}"), "late"))
        else:
            raw.append(InternalMessage.tool_result(ToolCall("nowhere", "t", "{}"), "orphan"))
    return repair(raw)


def check(
    messages: list[InternalMessage], counts: list[int], budget: compression.Budget, sent: list[int]
) -> None:
    assert is_valid(messages)  # repair always yields a history every provider accepts
    out = [messages[i] for i in sent]
    # A call is never separated from its results, and no result is sent without its call.
    assert is_valid(out)
    assert sent == sorted(set(sent))
    # The latest user message stays.
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if users:
        assert users[-1] in sent
    elif messages:
        assert sent and sent[-1] == len(messages) - 1
    assert budget.overhead + sum(counts[i] for i in sent) <= budget.limit


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    messages=histories(),
    data=st.data(),
    strategy=st.sampled_from(["oldest", "middle", "summarize", "hybrid"]),
    limit=st.integers(10, 400),
    overhead=st.integers(0, 60),
    keep_first=st.integers(0, 6),
    keep_last=st.integers(1, 10),
    threshold=st.floats(0.3, 1.0),
)
def test_plans_keep_the_invariants_or_say_why_they_cannot(
    messages: list[InternalMessage],
    data: st.DataObject,
    strategy: compression.Strategy,
    limit: int,
    overhead: int,
    keep_first: int,
    keep_last: int,
    threshold: float,
) -> None:
    counts = data.draw(st.lists(st.integers(1, 40), min_size=len(messages), max_size=len(messages)))
    trigger = int(limit * threshold)
    budget = compression.Budget(limit, trigger, int(trigger * 0.7), overhead, keep_first, keep_last)
    start = data.draw(st.integers(0, len(messages))) if messages else 0
    try:
        chosen = compression.plan(messages, counts, budget, strategy, start=start)
    except LimitError as exc:
        # Only when the system prompt, tools and the current turn alone cannot fit, and it says so.
        first = compression.required_from(messages) if messages else 0
        assert overhead + sum(counts[first:]) > limit
        assert "budget" in str(exc) and "tokens" in str(exc)
        return
    check(messages, counts, budget, chosen.indices())
    assert chosen.tokens == overhead + sum(counts[i] for i in chosen.indices())
    if not chosen.compressed:
        assert chosen.indices() == list(range(len(messages))) or start
