"""``/usage``: this chat session's LLM requests, tokens and cost, from the call log."""

from __future__ import annotations

from agentcore.cli._slash import ChatState, slash


@slash("/usage", "/usage", "requests, tokens and cost of this session")
def _usage(state: ChatState, arg: str) -> None:
    from agentcore.agent import Agent
    from agentcore.cli._calllog import format_cost, format_saved, format_unreported

    agent: Agent = state.agent
    totals = state.runner.run(agent.usage(session=state.session))
    cache_write = totals["cache_write_tokens"]
    written = f", {cache_write:,} cache write" if cache_write else ""
    line = (
        f"  requests {totals['requests']} (errors {totals['errors']}) · "
        f"tokens {totals['prompt_tokens']:,} in / {totals['completion_tokens']:,} out"
        f" ({totals['cached_tokens']:,} cached{written}, {totals['reasoning_tokens']:,} reasoning)"
        f" · cost {format_cost(totals)}"
    )
    if totals["cache_hits"]:
        line += (
            f" · cache hits {totals['cache_hits']} (saved {totals['cache_saved_tokens']:,} tokens, "
            f"{format_saved(totals)})"
        )
    unreported = format_unreported(totals)
    print(line + (f" · {unreported}" if unreported else ""))
