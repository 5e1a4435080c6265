"""``/usage``: this chat session's LLM requests, tokens and cost, from the call log."""

from __future__ import annotations

from agentcore.cli._slash import ChatState, slash


@slash("/usage", "/usage", "requests, tokens and cost of this session")
def _usage(state: ChatState, arg: str) -> None:
    from agentcore.agent import Agent
    from agentcore.cli._calllog import format_usd

    agent: Agent = state.agent
    totals = state.runner.run(agent.usage(session=state.session))
    cost = totals["cost_usd"]
    cost_text = "unknown" if cost is None else format_usd(cost)
    if totals["unpriced_requests"] and cost is not None:
        cost_text += " (some calls have no known price)"
    print(
        f"  requests {totals['requests']} (errors {totals['errors']}) · "
        f"tokens {totals['prompt_tokens']:,} in / {totals['completion_tokens']:,} out"
        f" ({totals['cached_tokens']:,} cached, {totals['reasoning_tokens']:,} reasoning) · cost {cost_text}"
    )
