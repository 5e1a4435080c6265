"""The factory: an ``LLMConfig`` becomes a provider service, chosen from a registry.

Provider modules (and so their SDKs) are imported only when selected.
"""

from __future__ import annotations

import difflib
from importlib import import_module
from typing import TYPE_CHECKING

from agentcore.config.schema import PROVIDERS, LLMConfig
from agentcore.errors import ConfigError

if TYPE_CHECKING:
    from agentcore.context.manager import ContextManager
    from agentcore.llm.service import LLMService
    from agentcore.tools.manager import UnifiedToolManager

# provider name -> "module:Class"; the OpenAI-compatible family shares one class.
REGISTRY: dict[str, str] = {
    **{
        name: "agentcore.llm.providers.openai_compat:OpenAICompatService"
        for name in PROVIDERS
        if name not in ("anthropic", "aws", "http")
    },
    "anthropic": "agentcore.llm.providers.anthropic_family:AnthropicService",
    "aws": "agentcore.llm.providers.anthropic_family:AnthropicService",
    "http": "agentcore.llm.providers.http.service:HttpService",
}


def create_llm_service(
    config: LLMConfig,
    *,
    context: ContextManager | None = None,
    tools: UnifiedToolManager | None = None,
) -> LLMService:
    """The service for ``config.provider``; unknown providers fail with suggestions."""
    target = REGISTRY.get(config.provider)
    if target is None:
        close = difflib.get_close_matches(config.provider, list(REGISTRY), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(sorted(REGISTRY))
        raise ConfigError(f"unknown provider '{config.provider}'", key_path="llm.provider", hint=hint)
    module_name, _, class_name = target.partition(":")
    cls: type[LLMService] = getattr(import_module(module_name), class_name)
    return cls(config, context=context, tools=tools)
