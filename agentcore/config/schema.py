"""The shape of ``cipher.yml``, validated as a whole (pydantic). Keys are camelCase as users write them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from agentcore.config._checks import (
    check_header_names,
    check_http_url,
    check_not_blank,
    check_path_not_empty,
    check_storage_url,
)
from agentcore.config.http_schema import HttpProviderConfig

ProviderName = Literal[
    "openai",
    "azure",
    "openrouter",
    "ollama",
    "lmstudio",
    "qwen",
    "gemini",
    "deepseek",
    "anthropic",
    "aws",
    "http",
    "local",  # --- cli: the built-in model ---
]
PROVIDERS: tuple[str, ...] = get_args(ProviderName)


class _Model(BaseModel):
    # allow_inf_nan: a timeout of .inf or .nan is a mistake, never a setting.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False, allow_inf_nan=False)


class AzureConfig(_Model):
    """Azure OpenAI: the resource endpoint, the deployment name and the API version."""

    endpoint: str | None = None
    deployment: str | None = None
    api_version: str = Field(default="2024-10-21", alias="apiVersion")


class QwenOptions(_Model):
    """DashScope (Qwen) thinking and sampling options."""

    enable_thinking: bool | None = Field(default=None, alias="enableThinking")
    thinking_budget: int | None = Field(default=None, alias="thinkingBudget", ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)


class AwsConfig(_Model):
    """AWS Bedrock: region plus either a profile or access keys."""

    region: str | None = None
    profile: str | None = None
    access_key_id: str | None = Field(default=None, alias="accessKeyId")
    secret_access_key: str | None = Field(default=None, alias="secretAccessKey")
    session_token: str | None = Field(default=None, alias="sessionToken")
    inference_profile_arn: str | None = Field(default=None, alias="inferenceProfileArn")


class RetryConfig(_Model):
    """Our own retry policy (the SDK clients never retry by themselves)."""

    attempts: int | None = Field(
        default=None, ge=1, le=20, description="total attempts; default maxRetries + 1"
    )
    base_delay: float = Field(default=0.5, alias="baseDelay", ge=0)
    max_delay: float = Field(default=30.0, alias="maxDelay", ge=0)
    retry_after_cap: float = Field(default=60.0, alias="retryAfterCap", ge=0)


# --- ptools: prompt-based tool calling ---
ToolCallingMode = Literal["native", "prompt", "auto"]


class LLMConfig(_Model):
    """Which model to call and how."""

    provider: ProviderName
    model: str
    api_key: str | None = Field(default=None, alias="apiKey")
    base_url: str | None = Field(default=None, alias="baseURL")
    max_iterations: int = Field(default=10, alias="maxIterations", ge=1, le=1000)
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, alias="maxTokens", ge=1)
    timeout: float = Field(default=120.0, gt=0, description="seconds per request")
    max_retries: int = Field(default=3, alias="maxRetries", ge=0, le=20)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    headers: dict[str, str] = Field(default_factory=dict[str, str], description="extra HTTP headers")
    supports_images: bool | None = Field(default=None, alias="supportsImages")
    azure: AzureConfig | None = None
    qwen_options: QwenOptions | None = Field(default=None, alias="qwenOptions")
    aws: AwsConfig | None = None
    # --- profiles ---
    top_p: float | None = Field(default=None, alias="topP", gt=0, le=1)
    # --- prov: time limits ---
    first_byte_timeout: float | None = Field(
        default=None,
        alias="firstByteTimeout",
        gt=0,
        description="seconds until a stream's first event (llm.timeout still bounds the whole request)",
    )
    # --- ptools: prompt-based tool calling ---
    tool_calling: ToolCallingMode = Field(default="auto", alias="toolCalling")
    tool_calling_errors: list[str] = Field(
        default_factory=list[str],
        alias="toolCallingErrors",
        description="extra error texts (substrings) that mean 'this server has no native tools' under auto",
    )
    # --- sessions / images ---
    max_image_bytes: int = Field(
        default=20_000_000, alias="maxImageBytes", ge=1, description="largest image accepted, in bytes"
    )
    # --- embed: structured output ---
    output_retries: int = Field(
        default=1,
        alias="outputRetries",
        ge=0,
        le=20,
        description="re-asks after an invalid structured output",
    )
    # --- http providers ---
    http: HttpProviderConfig | None = Field(default=None, description="llm.provider: http")
    # --- model catalog ---
    supports_audio: bool | None = Field(default=None, alias="supportsAudio", description="input_audio parts")

    # --- config validation ---
    _model_not_blank = field_validator("model")(check_not_blank)
    _base_url_valid = field_validator("base_url")(check_http_url)
    _header_names_valid = field_validator("headers")(check_header_names)


# --- profiles ---
StrategyName = Literal["random", "round-robin", "weighted", "least-busy", "latency"]


class TargetConfig(_Model):
    """One model a profile can send a request to: a provider, a model and how to reach it."""

    provider: ProviderName
    model: str
    api_key: str | None = Field(default=None, alias="apiKey")
    base_url: str | None = Field(default=None, alias="baseURL")
    headers: dict[str, str] = Field(default_factory=dict[str, str])
    supports_images: bool | None = Field(default=None, alias="supportsImages")
    azure: AzureConfig | None = None
    qwen_options: QwenOptions | None = Field(default=None, alias="qwenOptions")
    aws: AwsConfig | None = None
    weight: float = Field(default=1.0, gt=0, description="share of requests under the weighted strategy")
    max_concurrency: int | None = Field(default=None, alias="maxConcurrency", ge=1)
    # --- ptools: prompt-based tool calling ---
    tool_calling: ToolCallingMode | None = Field(default=None, alias="toolCalling")
    # --- model catalog: facts about this model (unset: the built-in catalog decides) ---
    context_window: int | None = Field(default=None, alias="contextWindow", ge=256, description="tokens")
    max_output: int | None = Field(default=None, alias="maxOutput", ge=1, description="tokens")
    tokenizer: Literal["o200k_base", "cl100k_base"] | None = None
    input_price: float | None = Field(default=None, alias="inputPrice", ge=0, description="USD / 1M tokens")
    output_price: float | None = Field(default=None, alias="outputPrice", ge=0, description="USD / 1M tokens")
    cached_input_price: float | None = Field(default=None, alias="cachedInputPrice", ge=0)
    supports_audio: bool | None = Field(default=None, alias="supportsAudio", description="input_audio parts")
    native_tools: bool | None = Field(default=None, alias="nativeTools")
    structured_output: bool | None = Field(default=None, alias="structuredOutput")

    # --- config validation ---
    _model_not_blank = field_validator("model")(check_not_blank)
    _base_url_valid = field_validator("base_url")(check_http_url)
    _header_names_valid = field_validator("headers")(check_header_names)


TargetRef = str | TargetConfig  # a ``models:`` name, ``provider/model``, or written in full


class ProfileConfig(_Model):
    """A named choice of models plus generation settings that override ``llm:``'s."""

    targets: list[TargetRef] = Field(min_length=1)
    strategy: StrategyName = "random"
    cooldown: float = Field(
        default=5.0, ge=0, description="seconds a failing target rests (doubles on repeat)"
    )
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, alias="topP", gt=0, le=1)
    max_tokens: int | None = Field(default=None, alias="maxTokens", ge=1)
    max_iterations: int | None = Field(default=None, alias="maxIterations", ge=1, le=1000)
    timeout: float | None = Field(default=None, gt=0, description="seconds per request")
    retries: int | None = Field(default=None, ge=0, le=20)
    context_length_fallback: list[TargetRef] = Field(
        default_factory=list[TargetRef], alias="contextLengthFallback"
    )
    content_policy_fallback: list[TargetRef] = Field(
        default_factory=list[TargetRef], alias="contentPolicyFallback"
    )


def _target_known(ref: TargetRef, models: dict[str, Any]) -> str | None:
    """None when ``ref`` resolves; else what is wrong with it."""
    if not isinstance(ref, str) or ref in models:
        return None
    provider, sep, model = ref.partition("/")
    if sep and model and provider in PROVIDERS:
        return None
    known = ", ".join(sorted(models)) or "none"
    return f"'{ref}' is neither a models: entry (known: {known}) nor provider/model"


def _first_target(data: dict[str, Any]) -> dict[str, Any] | None:
    """The raw first target of the default (or first) profile, for a config without ``llm:``."""
    profiles = data.get("profiles")
    if not isinstance(profiles, dict) or not profiles:
        return None
    named = cast(dict[str, Any], profiles)
    name = data.get("defaultProfile") or data.get("default_profile") or next(iter(named))
    profile = named.get(name)
    targets: Any = cast(dict[str, Any], profile).get("targets") if isinstance(profile, dict) else None
    if not isinstance(targets, list) or not targets:
        return None
    first = cast(list[Any], targets)[0]
    models = data.get("models")
    if isinstance(first, str):
        if isinstance(models, dict) and first in models:
            first = cast(dict[str, Any], models)[first]
        else:
            provider, _, model = first.partition("/")
            first = {"provider": provider, "model": model}
    if not isinstance(first, dict):
        return None
    keep = ("provider", "model", "apiKey", "baseURL", "headers", "azure", "aws", "qwenOptions")
    return {k: v for k, v in cast(dict[str, Any], first).items() if k in keep}


class PromptFile(_Model):
    """A system prompt read from a file (relative to cipher.yml's folder)."""

    file: Path

    # --- config validation ---
    _file_not_empty = field_validator("file", mode="before")(check_path_not_empty)


# --- mcp client features ---
class McpSamplingConfig(_Model):
    """Whether a server may ask our model to generate (``sampling/createMessage``), and with what."""

    enabled: bool = False
    profile: str | None = None
    max_tokens: int | None = Field(default=None, alias="maxTokens", gt=0)


class McpServerConfig(_Model):
    """One MCP server. ``type`` may be left out (inferred from ``command`` or ``url``, as Claude Desktop does)."""

    type: Literal["stdio", "sse", "streamable-http"] | None = None
    command: str | None = None
    args: list[str] = Field(default_factory=list[str])
    env: dict[str, str] = Field(default_factory=dict[str, str])
    cwd: Path | None = None
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict[str, str])
    enabled: bool = True
    disabled: bool | None = Field(default=None, exclude=True, description="Cline/Cursor spelling of enabled")
    timeout: float = Field(default=60.0, gt=0, description="seconds per tool call")
    startup_timeout: float = Field(
        default=30.0, alias="startupTimeout", gt=0, description="seconds to connect"
    )
    connection_mode: Literal["strict", "lenient"] = Field(default="lenient", alias="connectionMode")
    include: list[str] | None = None
    exclude: list[str] = Field(default_factory=list[str])
    # --- embed: approvals ---
    approve: Literal["all"] | list[str] | None = Field(
        default=None, description="tools (all, or name globs) that need the user's approval before each call"
    )
    # --- mcp client features ---
    sampling: McpSamplingConfig = Field(default_factory=McpSamplingConfig)
    elicitation: Literal["prompt", "decline", "cancel"] = Field(
        default="prompt",
        description="prompt in chat (declined where nobody can answer), or always decline/cancel",
    )
    roots: list[str] | None = Field(default=None, description="directories offered as roots (stdio: cwd)")
    log_level: (
        Literal["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"] | None
    ) = Field(default=None, alias="logLevel", description="logging/setLevel sent at connect")

    # --- config validation ---
    _url_valid = field_validator("url")(check_http_url)
    _header_names_valid = field_validator("headers")(check_header_names)
    _cwd_not_empty = field_validator("cwd", mode="before")(check_path_not_empty)

    @model_validator(mode="before")
    @classmethod
    def _type_aliases(cls, data: Any) -> Any:
        # Claude Code / VS Code write "http" (and some tools "streamable_http") for streamable HTTP.
        if isinstance(data, dict):
            raw = cast(dict[str, Any], data)
            if raw.get("type") in ("http", "streamable_http", "streamableHttp"):
                fixed: dict[str, Any] = {**raw, "type": "streamable-http"}
                return fixed
        return cast(Any, data)

    @model_validator(mode="after")
    def _infer_type(self) -> McpServerConfig:
        if self.disabled is not None:
            self.enabled = not self.disabled
            self.disabled = None
        if self.type is None:
            if self.command:
                self.type = "stdio"
            elif self.url:
                self.type = "sse" if self.url.rstrip("/").endswith("/sse") else "streamable-http"
            else:
                raise ValueError("an MCP server needs 'command' (stdio) or 'url' (sse / streamable-http)")
        if self.type == "stdio" and not self.command:
            raise ValueError("a stdio MCP server needs 'command'")
        if self.type in ("sse", "streamable-http") and not self.url:
            raise ValueError(f"a {self.type} MCP server needs 'url'")
        return self


class StorageConfig(_Model):
    """Where sessions and call logs live: SQLite by default, PostgreSQL by URL, ``memory://`` for none."""

    url: str | None = None
    # --- serve ---
    redis: str | None = Field(
        default=None,
        description="redis://host:port/db: rate-limit counters and router state (in flight, cool-downs) shared by every worker and host",
    )

    # --- config validation ---
    _url_valid = field_validator("url")(check_storage_url)


class CompressionConfig(_Model):
    """How history is fitted into the context window."""

    strategy: Literal["oldest", "middle", "summarize", "hybrid", "none"] = "hybrid"
    threshold: float = Field(default=0.85, gt=0, le=1)
    keep_first: int = Field(default=2, alias="keepFirst", ge=0)
    keep_last: int = Field(default=8, alias="keepLast", ge=1)


class ContextConfig(_Model):
    """Context-window budget; ``maxTokens`` overrides the model table."""

    max_tokens: int | None = Field(default=None, alias="maxTokens", ge=256)
    reserve_output: int | None = Field(default=None, alias="reserveOutput", ge=0)
    compression: CompressionConfig = Field(default_factory=CompressionConfig)
    # --- sessions ---
    session_lock_mode: Literal["wait", "fail"] = Field(default="wait", alias="sessionLockMode")
    session_lock_timeout: float = Field(
        default=300.0, alias="sessionLockTimeout", gt=0, le=86_400, description="seconds"
    )


class LoggingConfig(_Model):
    """structlog output and what the call log stores."""

    level: Literal["debug", "info", "warning", "error"] = "warning"
    json_file: Path | None = Field(default=None, alias="jsonFile")
    store_content: bool = Field(default=False, alias="storeContent")

    # --- config validation ---
    _json_file_not_empty = field_validator("json_file", mode="before")(check_path_not_empty)


class ModelPrice(_Model):
    """USD per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(default=None, alias="cachedInput", ge=0)
    reasoning: float | None = Field(default=None, ge=0)
    # --- accounting ---
    cache_write: float | None = Field(default=None, alias="cacheWrite", ge=0, description="5-minute cache")
    cache_write_1h: float | None = Field(default=None, alias="cacheWrite1h", ge=0)


# --- serve ---
class ServeConfig(_Model):
    """``agentcore serve``: the HTTP gateway (OpenAI- and Anthropic-compatible)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=256)
    admin_key: str | None = Field(
        default=None,
        alias="adminKey",
        description="a static key with access to everything (or $AGENTCORE_ADMIN_KEY)",
    )
    drain_timeout: float = Field(
        default=30.0, alias="drainTimeout", ge=0, description="seconds in-flight requests get on SIGTERM"
    )
    max_body_bytes: int = Field(default=20_000_000, alias="maxBodyBytes", ge=1024)
    key_cache_seconds: float = Field(
        default=5.0,
        alias="keyCacheSeconds",
        ge=0,
        description="how long a verified key is trusted without a lookup",
    )
    default_agent: str = Field(
        default="agent", alias="defaultAgent", description="the model name of this config's agent"
    )
    max_upstream_requests: int = Field(
        default=128,
        alias="maxUpstreamRequests",
        ge=0,
        description="pass-through requests a worker has open upstream at once (0: no bound); the rest queue",
    )


class ServedAgent(_Model):
    """An agent the gateway serves under its own model name: another cipher.yml and/or another prompt."""

    config: Path | None = None
    system_prompt: str | None = Field(default=None, alias="systemPrompt")
    description: str | None = None


# --- ptools: response cache ---
class CacheConfig(_Model):
    """The response cache: repeated requests answered from a store instead of the model."""

    enabled: bool = False
    ttl: float = Field(default=86_400.0, gt=0, description="seconds an answer stays valid")
    backend: Literal["sqlite", "postgres", "redis", "memory"] | None = Field(
        default=None, description="default: the configured database (storage.url)"
    )
    url: str | None = Field(
        default=None, description="database or redis URL of the backend (default: storage.url / local redis)"
    )
    scope: Literal["global", "user", "session"] = "global"
    allow_non_deterministic: bool = Field(default=False, alias="allowNonDeterministic")
    max_entries: int = Field(default=10_000, alias="maxEntries", ge=1, description="memory backend only")
    namespace: str = Field(
        default="agentcore", min_length=1, description="redis key prefix (several apps on one redis)"
    )


class AgentConfig(_Model):
    """The whole of ``cipher.yml``."""

    llm: LLMConfig
    system_prompt: Annotated[str | PromptFile | None, Field(alias="systemPrompt")] = None
    local_tools: list[Path] = Field(default_factory=lambda: [Path("./tools")], alias="localTools")
    tool_timeout: float = Field(default=60.0, alias="toolTimeout", gt=0)
    tool_output_limit: int = Field(default=20_000, alias="toolOutputLimit", ge=100, description="characters")
    # --- tools ---
    tool_concurrency: int = Field(
        default=8, alias="toolConcurrency", ge=1, le=256, description="tool calls run at once"
    )
    mcp_servers: dict[str, McpServerConfig] = Field(
        default_factory=dict[str, McpServerConfig], alias="mcpServers"
    )
    storage: StorageConfig = Field(default_factory=StorageConfig)
    context: ContextConfig = Field(default_factory=ContextConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    pricing: dict[str, ModelPrice] = Field(default_factory=dict[str, ModelPrice])
    # --- serve ---
    serve: ServeConfig = Field(default_factory=ServeConfig)
    agents: dict[str, ServedAgent] = Field(default_factory=dict[str, ServedAgent])
    # --- accounting ---
    name: str | None = Field(
        default=None, min_length=1, max_length=200, description="agent name in the call log"
    )

    # --- profiles ---
    models: dict[str, TargetConfig] = Field(default_factory=dict[str, TargetConfig])
    profiles: dict[str, ProfileConfig] = Field(default_factory=dict[str, ProfileConfig])
    default_profile: str | None = Field(default=None, alias="defaultProfile")
    # --- ptools: response cache ---
    cache: CacheConfig = Field(default_factory=CacheConfig)

    @model_validator(mode="before")
    @classmethod
    def _llm_from_profile(cls, data: Any) -> Any:
        # ``llm:`` may be left out when profiles name the models: the default profile's first
        # target then stands in for it (and that profile is the default).
        if isinstance(data, dict) and "llm" not in data:
            raw = cast(dict[str, Any], data)
            first = _first_target(raw)
            if first is not None:
                fixed: dict[str, Any] = {**raw, "llm": first}
                if not raw.get("defaultProfile") and not raw.get("default_profile"):
                    fixed["defaultProfile"] = next(iter(cast(dict[str, Any], raw["profiles"])))
                return fixed
        return cast(Any, data)

    @model_validator(mode="after")
    def _check_profiles(self) -> AgentConfig:
        if self.default_profile is not None and self.default_profile not in self.profiles:
            known = ", ".join(sorted(self.profiles)) or "none"
            raise ValueError(f"defaultProfile '{self.default_profile}' is not a profile (profiles: {known})")
        for name, profile in self.profiles.items():
            for key, refs in (
                ("targets", profile.targets),
                ("contextLengthFallback", profile.context_length_fallback),
                ("contentPolicyFallback", profile.content_policy_fallback),
            ):
                for index, ref in enumerate(refs):
                    problem = _target_known(ref, self.models)
                    if problem:
                        raise ValueError(f"profiles.{name}.{key}[{index}]: {problem}")
        return self

    # Set by the loader, not by users: the folder relative paths resolve against.
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    source: Path | None = Field(default=None, exclude=True)
    # --- config validation ---
    _local_tools_not_empty = field_validator("local_tools", mode="before")(check_path_not_empty)
    # key path ("llm.model") -> line in the file, so errors found after loading can point at it.
    _lines: dict[str, int] = PrivateAttr(default_factory=dict[str, int])

    def line_of(self, key_path: str | None) -> int | None:
        """The line of ``key_path`` (or of its nearest parent) in the config file, when known."""
        path = key_path or ""
        while path:
            if path in self._lines:
                return self._lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None

    def resolve_path(self, path: Path) -> Path:
        """``path`` made absolute against the config file's folder."""
        path = path.expanduser()
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def system_prompt_text(self) -> str | None:
        """The system prompt, read from its file when it is one."""
        if isinstance(self.system_prompt, PromptFile):
            from agentcore.config._checks import read_text_file

            return read_text_file(
                self.resolve_path(self.system_prompt.file),
                what="system prompt file",
                key_path="systemPrompt.file",
                file=str(self.source) if self.source else None,
                line=self.line_of("systemPrompt.file"),
            )
        return self.system_prompt

    def masked(self) -> dict[str, Any]:
        """The resolved config as plain data, with every secret masked (for ``config check``)."""
        from agentcore._redact import redact_mapping

        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        result: dict[str, Any] = redact_mapping(data)
        return result
