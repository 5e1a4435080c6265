"""The Agent's answers to MCP servers' requests: sampling by its own model (or a named profile)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentcore.tools.mcp._handlers import McpHooks, SamplingReply, SamplingRequest

if TYPE_CHECKING:
    from agentcore.agent import Agent

__all__ = ["attach_mcp_hooks"]


class _Sampler:
    def __init__(self, agent: Agent) -> None:
        self._agent = agent

    async def __call__(self, request: SamplingRequest) -> SamplingReply:
        from agentcore.llm.client import complete
        from agentcore.llm.request import LLMRequest
        from agentcore.messages import InternalMessage
        from agentcore.tracing.context import call_context

        service = self._agent.service
        client = service.client_for(request.profile) if request.profile else service.client
        messages = tuple(
            InternalMessage("assistant" if role == "assistant" else "user", text)
            for role, text in request.messages
        )
        llm_request = LLMRequest(messages, request.system, (), stream=False, purpose="direct")
        # Logged as a call of module ``mcp:<server>``, under the tool call that caused it.
        with call_context(f"mcp:{request.server}"):
            turn = await complete(client, llm_request, service.recorder)
        return SamplingReply(turn.message.text, client.model)


def attach_mcp_hooks(agent: Agent, hooks: McpHooks | None = None) -> McpHooks:
    """Give every MCP source of ``agent`` its handlers (sampling by the agent's model by default)."""
    from agentcore.tools.mcp import McpToolSource

    hooks = hooks or McpHooks(sampling=_Sampler(agent))
    for source in agent.tools.sources:
        if isinstance(source, McpToolSource):
            source.hooks = hooks
    return hooks
