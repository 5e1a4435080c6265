"""The Agent's answers to MCP servers' requests: sampling by its own model (or a profile).

Which model answers: the server's ``modelPreferences.hints`` are tried in order, each against the
config's profiles (by name, then as a substring of a profile's target models) and then the agent's
own model; the first match answers. With no hint matching, the server's ``sampling.profile``
answers, else the agent's default. A hint never selects a model the config does not name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from agentcore.tools.mcp._handlers import McpHooks, SamplingReply, SamplingRequest

if TYPE_CHECKING:
    from agentcore.agent import Agent
    from agentcore.config.schema import AgentConfig, ProfileConfig

__all__ = ["attach_mcp_hooks", "choose_profile"]


def _models(config: AgentConfig, profile: ProfileConfig) -> list[str]:
    """The model names a profile's targets send to."""
    out: list[str] = []
    for target in profile.targets:
        if not isinstance(target, str):
            out.append(target.model)
        elif target in config.models:
            out.append(config.models[target].model)
        else:  # ``provider/model`` (the model itself may hold slashes)
            out.append(target.split("/", 1)[-1])
    return out


def choose_profile(
    config: AgentConfig, hints: Sequence[str], default_model: str, fallback: str | None
) -> str | None:
    """The profile a sampling request runs on (None: the agent's default client); see the module."""
    for hint in hints:
        wanted = hint.strip().lower()
        if not wanted:
            continue
        for name in config.profiles:
            if name.lower() == wanted:
                return name
        for name, profile in config.profiles.items():
            if any(wanted in model.lower() for model in _models(config, profile)):
                return name
        if wanted in default_model.lower():
            return None
    return fallback


class _Sampler:
    def __init__(self, agent: Agent) -> None:
        self._agent = agent

    async def __call__(self, request: SamplingRequest) -> SamplingReply:
        from agentcore.llm.client import complete
        from agentcore.llm.request import LLMRequest
        from agentcore.messages import InternalMessage
        from agentcore.tracing.context import call_context

        service = self._agent.service
        profile = choose_profile(
            self._agent.config, request.model_hints, service.client.model, request.profile
        )
        client = service.client_for(profile) if profile else service.client
        messages = tuple(
            InternalMessage("assistant" if role == "assistant" else "user", text)
            for role, text in request.messages
        )
        llm_request = LLMRequest(
            messages, request.system, (), stream=False, purpose="direct", max_tokens=request.max_tokens
        )
        # Logged as a call of module ``mcp:<server>``, under the tool call that caused it.
        with call_context(f"mcp:{request.server}"):
            turn = await complete(client, llm_request, service.recorder)
        stop = "maxTokens" if turn.finish_reason in ("length", "max_tokens") else "endTurn"
        return SamplingReply(turn.message.text, client.model, stop)


def attach_mcp_hooks(agent: Agent, hooks: McpHooks | None = None) -> McpHooks:
    """Give every MCP source of ``agent`` its handlers (sampling by the agent's model by default)."""
    from agentcore.tools.mcp import McpToolSource

    hooks = hooks or McpHooks(sampling=_Sampler(agent))
    for source in agent.tools.sources:
        if isinstance(source, McpToolSource):
            source.hooks = hooks
    return hooks
