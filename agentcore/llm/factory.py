"""The factory: config becomes model clients.

``create_provider`` turns one ``LLMConfig`` into a provider client (chosen from a registry; provider
modules, and so their SDKs, are imported only when selected). ``build_client`` turns a profile, a
one-off ``provider/model`` or the ``llm:`` block into a ``ModelClient`` (a router or a single target).
"""

from __future__ import annotations

import difflib
from importlib import import_module
from typing import TYPE_CHECKING, Any

from agentcore.config.schema import PROVIDERS, AgentConfig, LLMConfig, ProfileConfig, TargetConfig, TargetRef
from agentcore.errors import ConfigError

if TYPE_CHECKING:
    from agentcore.context.manager import ContextManager
    from agentcore.llm.cache.client import ResponseCache
    from agentcore.llm.client import ModelClient
    from agentcore.llm.provider import ProviderClient
    from agentcore.llm.router import RoutedTarget, RouterState
    from agentcore.llm.service import LLMService
    from agentcore.tools.manager import UnifiedToolManager

# provider name -> "module:Class"; the OpenAI-compatible family shares one class.
REGISTRY: dict[str, str] = {
    **{
        name: "agentcore.llm.providers.openai_compat:OpenAICompatService"
        for name in PROVIDERS
        if name not in ("anthropic", "aws", "http", "local")
    },
    "local": "agentcore.llm.providers.local:LocalService",
    "anthropic": "agentcore.llm.providers.anthropic_family:AnthropicService",
    "aws": "agentcore.llm.providers.anthropic_family:AnthropicService",
    "http": "agentcore.llm.providers.http.service:HttpService",
}
#: the name ``-p`` / ``profile=`` accepts for the ``llm:`` block when no profile of that name exists
LLM_PROFILE = "default"
# Fields a target inherits from ``llm:`` only when it is the same provider and does not set them.
_ENDPOINT = (
    "api_key",
    "base_url",
    "headers",
    "azure",
    "aws",
    "qwen_options",
    "supports_images",
    "supports_audio",
)


def create_provider(config: LLMConfig) -> ProviderClient:
    """The provider client for ``config.provider``; unknown providers fail with suggestions."""
    target = REGISTRY.get(config.provider)
    if target is None:
        close = difflib.get_close_matches(config.provider, list(REGISTRY), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(sorted(REGISTRY))
        raise ConfigError(f"unknown provider '{config.provider}'", key_path="llm.provider", hint=hint)
    module_name, _, class_name = target.partition(":")
    cls: type[ProviderClient] = getattr(import_module(module_name), class_name)
    return cls(config)


def wrap_target(
    client: ProviderClient, config: AgentConfig | None, cache: ResponseCache | None = None
) -> ProviderClient:
    """``client`` with tool calling through the prompt (``toolCalling``) and the response cache around it."""
    mode = client.config.tool_calling
    if mode == "auto" and getattr(client, "native_tools", True) is False:
        mode = "prompt"  # e.g. an HTTP API described without a tool-call mapping
    if mode == "prompt" or (mode == "auto" and REGISTRY.get(client.provider) == REGISTRY["openai"]):
        from agentcore.llm.prompt_tools import LearnedStore, PromptToolsClient

        url = None
        if config is not None:
            from agentcore.storage.db import resolve_url

            url = resolve_url(config.storage.url)
        client = PromptToolsClient(client, mode, LearnedStore(url))
    if cache is not None:
        from agentcore.llm.cache.client import CachingClient

        client = CachingClient(client, cache)
    return client


def create_llm_service(
    config: LLMConfig,
    *,
    context: ContextManager | None = None,
    tools: UnifiedToolManager | None = None,
) -> LLMService:
    """The service for one ``llm:`` block: one target with retries."""
    from agentcore.llm.client import RetryingClient
    from agentcore.llm.service import LLMService

    return LLMService(
        RetryingClient(wrap_target(create_provider(config), None)), context=context, tools=tools
    )


def _target_config(ref: TargetRef, config: AgentConfig) -> tuple[str, TargetConfig]:
    if isinstance(ref, TargetConfig):
        return f"{ref.provider}/{ref.model}", ref
    entry = config.models.get(ref)
    if entry is not None:
        return ref, entry
    provider, sep, model = ref.partition("/")
    if not sep or provider not in PROVIDERS or not model:
        known = ", ".join(sorted(config.models)) or "none"
        raise ConfigError(
            f"'{ref}' is neither a models: entry nor provider/model",
            key_path="models",
            hint=f"models: {known}; providers: {', '.join(PROVIDERS)}",
        )
    return ref, TargetConfig.model_validate({"provider": provider, "model": model})


def target_llm(base: LLMConfig, target: TargetConfig, profile: ProfileConfig | None = None) -> LLMConfig:
    """The ``LLMConfig`` of one target: ``llm:``'s generation settings, the profile's overrides, the
    target's endpoint (and ``llm:``'s credentials when it is the same provider and sets none)."""
    update: dict[str, Any] = {"provider": target.provider, "model": target.model}
    same = target.provider == base.provider
    for name in _ENDPOINT:
        value = getattr(target, name)
        if value is not None and value != {}:
            update[name] = value
        elif not same:
            update[name] = {} if name == "headers" else None
    if target.tool_calling is not None:  # ptools: per-target toolCalling
        update["tool_calling"] = target.tool_calling
    elif target.native_tools is False:  # catalog: a models: entry without native tools
        update["tool_calling"] = "prompt"
    if profile is not None:
        for name, value in (
            ("temperature", profile.temperature),
            ("top_p", profile.top_p),
            ("max_tokens", profile.max_tokens),
            ("max_iterations", profile.max_iterations),
            ("timeout", profile.timeout),
            ("max_retries", profile.retries),
        ):
            if value is not None:
                update[name] = value
        if profile.retries is not None:
            update["retry"] = base.retry.model_copy(update={"attempts": None})
    return base.model_copy(update=update)


def profile_names(config: AgentConfig) -> list[str]:
    """Every profile ``-p`` accepts."""
    names = list(config.profiles)
    return names if LLM_PROFILE in names else [LLM_PROFILE, *names]


def _unknown_profile(name: str, config: AgentConfig) -> ConfigError:
    names = profile_names(config)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean '{close[0]}'?" if close else "profiles: " + ", ".join(names)
    return ConfigError(f"unknown profile '{name}'", key_path="profiles", hint=hint)


def _routed(
    name: str,
    ref: TargetRef,
    config: AgentConfig,
    profile: ProfileConfig,
    built: dict[str, RoutedTarget],
    cache: ResponseCache | None = None,
) -> RoutedTarget:
    from agentcore.llm.router import RoutedTarget

    target_name, target = _target_config(ref, config)
    if target_name in built:
        return built[target_name]
    try:
        client = wrap_target(create_provider(target_llm(config.llm, target, profile)), config, cache)
    except ConfigError as exc:
        key = f"profiles.{name} target {target_name}" + (f" ({exc.key_path})" if exc.key_path else "")
        raise ConfigError(exc.message, key_path=key, file=exc.file, hint=exc.hint) from None
    routed = built[target_name] = RoutedTarget(target_name, client, target.weight, target.max_concurrency)
    return routed


def build_client(
    config: AgentConfig,
    profile: str | None = None,
    model: str | None = None,
    *,
    state: RouterState | None = None,
    cache: ResponseCache | None = None,
) -> ModelClient:
    """The ``ModelClient`` for ``profile`` (a router over its targets), or for the one-off target
    ``model`` (``provider/model`` or a ``models:`` name), or for ``defaultProfile`` / ``llm:``.

    ``state`` shares cool-downs and in-flight counts between routers; by default they live in
    Redis when ``storage.redis`` is set (shared by every worker and host), else each router keeps its own. ``cache`` (the agent's response cache) goes in front of
    every target.
    """
    from agentcore.llm.client import RetryingClient
    from agentcore.llm.retry import RetryPolicy
    from agentcore.llm.router import Router, state_for

    chosen = profile if profile is not None else (None if model else config.default_profile)
    spec: ProfileConfig | None = None
    if chosen is not None and not (chosen == LLM_PROFILE and chosen not in config.profiles):
        spec = config.profiles.get(chosen)
        if spec is None:
            raise _unknown_profile(chosen, config)
    if model:
        if ("/" in model and model.partition("/")[0] in PROVIDERS) or model in config.models:
            _, target = _target_config(model, config)
            llm = target_llm(config.llm, target, spec)
        else:  # a bare model name: llm:'s provider, another model
            llm = target_llm(config.llm, TargetConfig(provider=config.llm.provider, model=model), spec)
        return RetryingClient(wrap_target(create_provider(llm), config, cache))
    if spec is None or chosen is None:
        return RetryingClient(wrap_target(create_provider(config.llm), config, cache))
    built: dict[str, RoutedTarget] = {}
    targets = [_routed(chosen, ref, config, spec, built, cache) for ref in spec.targets]
    first = targets[0].client.config
    return Router(
        chosen,
        targets,
        strategy=spec.strategy,
        cooldown=spec.cooldown,
        max_iterations=first.max_iterations,
        policy=RetryPolicy.from_config(first),
        state=state if state is not None else state_for(config.storage.redis),
        context_fallback=[
            _routed(chosen, r, config, spec, built, cache) for r in spec.context_length_fallback
        ],
        content_fallback=[
            _routed(chosen, r, config, spec, built, cache) for r in spec.content_policy_fallback
        ],
    )


def resolve_targets(config: AgentConfig, profile: str) -> list[tuple[str, LLMConfig]]:
    """The (name, LLMConfig) of each target of ``profile`` (``default``: the ``llm:`` block)."""
    spec = config.profiles.get(profile)
    if spec is None:
        if profile != LLM_PROFILE:
            raise _unknown_profile(profile, config)
        return [(f"{config.llm.provider}/{config.llm.model}", config.llm)]
    result: list[tuple[str, LLMConfig]] = []
    for ref in spec.targets:
        name, target = _target_config(ref, config)
        result.append((name, target_llm(config.llm, target, spec)))
    return result
