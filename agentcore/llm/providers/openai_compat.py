"""The OpenAI-compatible family on the ``openai`` SDK: openai, azure, openrouter, ollama, lmstudio,
qwen, gemini and deepseek.

Requests go through the SDK client (auth, errors, response models, connection pool) but with a body
we assemble from per-message cached JSON: the SDK's own parameter transform costs ~0.15 ms per history
message on every request, which would make each turn's cost grow with the conversation.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, cast

import httpx2
import openai
from openai import AsyncStream
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.completion_usage import CompletionUsage

from agentcore.config.schema import LLMConfig
from agentcore.context.repair import checked_call
from agentcore.errors import ConfigError
from agentcore.llm._client import LazyClient
from agentcore.llm.events import (
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallStarted,
    TurnComplete,
    UsageReport,
)
from agentcore.llm.formatters._json import ToolsJsonCache, dumps
from agentcore.llm.formatters.openai import render_messages, tool_dict
from agentcore.llm.provider import LLMRequest, ProviderClient
from agentcore.llm.providers._deadline import Deadline
from agentcore.llm.retry import (
    Failure,
    FailureKind,
    IncompleteResponse,
    classify_common,
    parse_retry_after,
)
from agentcore.messages import InternalMessage, Usage


@dataclass(frozen=True)
class Preset:
    """What differs between members of the family: endpoint, key variable, headers."""

    base_url: str | None
    key_env: tuple[str, ...]
    needs_key: bool = True
    base_url_env: str | None = None
    headers: dict[str, str] = field(default_factory=dict[str, str])
    placeholder_key: str = "not-required"


PRESETS: dict[str, Preset] = {
    "openai": Preset(None, ("OPENAI_API_KEY",), base_url_env="OPENAI_BASE_URL"),
    "azure": Preset(None, ("AZURE_OPENAI_API_KEY",)),
    "openrouter": Preset(
        "https://openrouter.ai/api/v1",
        ("OPENROUTER_API_KEY",),
        headers={"HTTP-Referer": "https://github.com/agentcore/agentcore", "X-Title": "agentcore"},
    ),
    "ollama": Preset(
        "http://localhost:11434/v1",
        ("OLLAMA_API_KEY",),
        needs_key=False,
        base_url_env="OLLAMA_BASE_URL",
        placeholder_key="ollama",
    ),
    "lmstudio": Preset(
        "http://localhost:1234/v1",
        ("LMSTUDIO_API_KEY",),
        needs_key=False,
        base_url_env="LMSTUDIO_BASE_URL",
        placeholder_key="lm-studio",
    ),
    "qwen": Preset(
        "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", ("DASHSCOPE_API_KEY", "QWEN_API_KEY")
    ),
    "gemini": Preset(
        "https://generativelanguage.googleapis.com/v1beta/openai/", ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    ),
    "deepseek": Preset("https://api.deepseek.com/v1", ("DEEPSEEK_API_KEY",)),
    "local": Preset(
        None, (), needs_key=False, placeholder_key="local"
    ),  # the built-in server (providers.local)
}


def resolve_api_key(config: LLMConfig, preset: Preset) -> str:
    """``llm.apiKey``, else the provider's usual environment variable; a clear error when required and absent."""
    if config.api_key:
        return config.api_key
    for name in preset.key_env:
        value = os.environ.get(name)
        if value:
            return value
    if preset.needs_key:
        raise ConfigError(
            f"no API key for provider '{config.provider}'",
            key_path="llm.apiKey",
            hint=f"set {preset.key_env[0]} in the environment or llm.apiKey in cipher.yml",
        )
    return preset.placeholder_key


def resolve_base_url(config: LLMConfig, preset: Preset) -> str | None:
    """``llm.baseURL``, else the provider's env override, else its default (Ollama gets its /v1 suffix)."""
    url = (
        config.base_url
        or (os.environ.get(preset.base_url_env) if preset.base_url_env else None)
        or preset.base_url
    )
    if url is None:
        return None
    url = url.rstrip("/")
    if config.provider == "ollama" and not url.endswith(("/v1", "/api")):
        url += "/v1"
    return url


NOT_REPORTED = Usage(reported=False)
#: error ``type``/``code`` words of a mid-stream error event, and the HTTP status each stands for
_STREAM_ERROR_STATUS = (
    ("rate_limit", 429),
    ("overloaded", 529),
    ("unavailable", 503),
    ("timeout", 504),
    ("invalid_request", 400),
    ("context_length", 400),
    ("invalid_api_key", 401),
    ("authentication", 401),
    ("permission", 403),
    ("not_found", 404),
)


def _usage(raw: CompletionUsage | None) -> Usage:
    """Our usage from the provider's; no usage at all is "not reported", never zero."""
    if raw is None:
        return NOT_REPORTED
    cached = raw.prompt_tokens_details.cached_tokens if raw.prompt_tokens_details else None
    reasoning = raw.completion_tokens_details.reasoning_tokens if raw.completion_tokens_details else None
    # total_tokens is kept as sent: Gemini counts reasoning tokens in it but not in completion_tokens.
    sent: Any = getattr(raw, "total_tokens", None)
    total = sent if isinstance(sent, int) else None
    return Usage(
        raw.prompt_tokens or 0, raw.completion_tokens or 0, cached or 0, reasoning or 0, provider_total=total
    )


def _stream_error_status(fields: dict[str, Any]) -> int:
    """The HTTP status a mid-stream error event stands for (the response itself said 200)."""
    status = fields.get("status") or fields.get("status_code")
    if isinstance(status, int) and 400 <= status < 600:
        return status
    words = f"{fields.get('type') or ''} {fields.get('code') or ''}".lower()
    for word, mapped in _STREAM_ERROR_STATUS:
        if word in words:
            return mapped
    return 500  # an unnamed failure of the server while it was answering


def _error_fields(body: object) -> tuple[str, str]:
    """``(code, message)`` of an OpenAI error body (``{"error": {...}}`` or the bare object)."""
    if not isinstance(body, dict):
        return "", ""
    data = cast(dict[str, Any], body)
    inner = data.get("error", data)
    if not isinstance(inner, dict):
        return "", str(inner)
    fields = cast(dict[str, Any], inner)
    return str(fields.get("code") or ""), str(fields.get("message") or "")


class OpenAICompatService(ProviderClient):
    """Any OpenAI chat-completions endpoint, through one reused ``AsyncOpenAI`` client."""

    def __init__(self, config: LLMConfig) -> None:
        super().__init__(config)
        self._preset = PRESETS[config.provider]
        self._api_key = resolve_api_key(config, self._preset)
        self._clients = LazyClient(lambda: self._make_client(self.config, self._preset, self._api_key))
        self._sdk = self._clients
        self._azure_endpoint = self._resolve_azure_endpoint(config) if config.provider == "azure" else None
        self._tools_json = ToolsJsonCache(tool_dict)
        self._static = self._static_params(config)

    @property
    def client(self) -> openai.AsyncOpenAI:
        """The SDK client, created on first use and kept (keep-alive) until ``aclose``."""
        return self._clients.get()

    def _make_client(self, config: LLMConfig, preset: Preset, api_key: str) -> openai.AsyncOpenAI:
        from agentcore._redact import register_secret

        if api_key != preset.placeholder_key or preset.needs_key:
            # A keyless server's placeholder ("ollama", "lm-studio") is no secret: masking it would
            # turn every "ollama" a user types into "***" in the history and the logs.
            register_secret(api_key)
        headers = {**preset.headers, **config.headers}
        if self._azure_endpoint is not None:
            azure = config.azure
            return openai.AsyncAzureOpenAI(
                api_key=api_key,
                azure_endpoint=self._azure_endpoint,
                azure_deployment=(azure.deployment if azure else None) or config.model,
                api_version=azure.api_version if azure else "2024-10-21",
                max_retries=0,
                timeout=config.timeout,
                default_headers=headers or None,
            )
        return openai.AsyncOpenAI(
            api_key=api_key,
            base_url=resolve_base_url(config, preset),
            max_retries=0,
            timeout=config.timeout,
            default_headers=headers or None,
        )

    @staticmethod
    def _resolve_azure_endpoint(config: LLMConfig) -> str:
        azure = config.azure
        endpoint = (
            (azure.endpoint if azure else None) or os.environ.get("AZURE_OPENAI_ENDPOINT") or config.base_url
        )
        if not endpoint:
            raise ConfigError(
                "Azure OpenAI needs the resource endpoint",
                key_path="llm.azure.endpoint",
                hint="set llm.azure.endpoint or AZURE_OPENAI_ENDPOINT, e.g. https://NAME.openai.azure.com",
            )
        return endpoint

    def _static_params(self, config: LLMConfig) -> bytes:
        """The request fields that never change between turns, rendered once."""
        params: dict[str, Any] = {}
        if config.temperature is not None:
            params["temperature"] = config.temperature
        if config.top_p is not None:
            params["top_p"] = config.top_p
        if config.max_tokens is not None:
            params["max_tokens"] = config.max_tokens
        qwen = config.qwen_options
        if config.provider == "qwen" and qwen is not None:
            if qwen.enable_thinking is not None:
                params["enable_thinking"] = qwen.enable_thinking
            if qwen.thinking_budget is not None:
                params["thinking_budget"] = qwen.thinking_budget
            if qwen.temperature is not None:
                params["temperature"] = qwen.temperature
            if qwen.top_p is not None:
                params["top_p"] = qwen.top_p
        return dumps(params)[1:-1]

    def _body(self, request: LLMRequest) -> bytes:
        parts = [
            b'{"model":',
            dumps(self.model),
            b',"messages":',
            render_messages(request.system, request.messages),
        ]
        if request.tools:
            parts += [b',"tools":', self._tools_json.get(request.tools)]
        if request.output is not None and request.output.mode == "native":
            parts += [b',"response_format":', dumps(request.output.response_format())]
        if request.stream:
            parts.append(b',"stream":true,"stream_options":{"include_usage":true}')
        static = self._static
        if request.max_tokens is not None:  # rare (MCP sampling): rendered per request
            limit = request.answer_limit(self.config.max_tokens)
            static = self._static_params(self.config.model_copy(update={"max_tokens": limit}))
        if static:
            parts += [b",", static]
        parts.append(b"}")
        return b"".join(parts)

    async def _round_trip(self, request: LLMRequest) -> AsyncIterator[StreamEvent | TurnComplete]:
        body = self._body(request)
        deadline = Deadline(self.config, stream=request.stream)
        if not request.stream:
            completion = await deadline.run(self._post(body))
            yield self._from_completion(completion)
            return
        stream = await deadline.run(
            self.client.post(
                "/chat/completions",
                cast_to=ChatCompletion,
                content=body,
                stream=True,
                stream_cls=AsyncStream[ChatCompletionChunk],
            )
        )
        async with stream:
            async for event in self._from_stream(deadline.iterate(stream)):
                yield event

    async def _post(self, body: bytes) -> ChatCompletion:
        try:
            return await self.client.post("/chat/completions", cast_to=ChatCompletion, content=body)
        except json.JSONDecodeError as exc:  # the body ended cleanly, mid-JSON
            raise IncompleteResponse(f"the response body was cut off ({exc.msg} at char {exc.pos})") from None

    def _from_completion(self, completion: ChatCompletion) -> TurnComplete:
        if not completion.choices:
            raise IncompleteResponse("the response has no choices (no message, no finish_reason)")
        choice = completion.choices[0]
        msg = choice.message
        finish = choice.finish_reason
        calls = tuple(
            checked_call(c.id, c.function.name, c.function.arguments or "", finish)
            for c in (msg.tool_calls or ())
            if c.type == "function"
        )
        return TurnComplete(InternalMessage.assistant(msg.content, calls), _usage(completion.usage), finish)

    async def _from_stream(
        self, stream: AsyncIterator[ChatCompletionChunk]
    ) -> AsyncIterator[StreamEvent | TurnComplete]:
        text: list[str] = []
        calls: dict[int, list[str]] = {}  # index -> [id, name, arguments...]
        usage = NOT_REPORTED
        finish: str | None = None
        async for chunk in stream:
            if chunk.usage is not None:
                usage = _usage(chunk.usage)
            if not chunk.choices:
                continue
            choice = chunk.choices[0]
            if choice.finish_reason:
                finish = choice.finish_reason
            delta = choice.delta
            if delta.content:
                text.append(delta.content)
                yield TextDelta(delta.content)
            for tc in delta.tool_calls or ():
                entry = calls.get(tc.index)
                if entry is None:
                    entry = [tc.id or f"call_{tc.index}", (tc.function.name if tc.function else None) or ""]
                    calls[tc.index] = entry
                    yield ToolCallStarted(entry[0], entry[1], tc.index)
                fragment = tc.function.arguments if tc.function else None
                if fragment:
                    entry.append(fragment)
                    yield ToolCallDelta(entry[0], fragment, tc.index)
        if finish is None and usage is NOT_REPORTED:
            # Ended cleanly, but neither a finish_reason nor the final usage chunk came: cut off.
            raise IncompleteResponse("the response stream ended before its finish_reason")
        yield UsageReport(usage)
        tool_calls = tuple(checked_call(e[0], e[1], "".join(e[2:]), finish) for _, e in sorted(calls.items()))
        message = InternalMessage.assistant("".join(text) or None, tool_calls)
        yield TurnComplete(message, usage, finish)

    def _classify(self, exc: BaseException) -> Failure | None:
        common = classify_common(exc)
        if common is not None:
            return common
        if isinstance(exc, openai.APIStatusError):
            code, message = _error_fields(exc.body)
            reason = message or exc.message
            lowered = f"{code} {reason}".lower()
            if "context_length_exceeded" in lowered or "maximum context length" in lowered:
                kind = "context_length"
            elif exc.status_code in (401, 403):
                kind = "auth"
            else:
                kind = "status"
            return Failure(
                kind,  # type: ignore[arg-type]
                reason,
                status=exc.status_code,
                request_id=exc.request_id,
                retry_after=parse_retry_after(exc.response.headers),
            )
        if isinstance(exc, openai.APITimeoutError):
            return Failure.timed_out(self.config.timeout)
        if isinstance(exc, openai.APIConnectionError):
            if isinstance(exc.__cause__, httpx2.RemoteProtocolError | httpx2.ReadError):
                # The server answered, then the connection broke (a truncated body or stream).
                return Failure("connection", f"the connection was lost mid-response ({exc.__cause__})")
            return Failure.unreachable(self.client.base_url, exc)
        if isinstance(exc, openai.APIResponseValidationError):
            return Failure(
                "incomplete_stream", f"the response was not a valid chat completion: {exc.message}"
            )
        if isinstance(exc, openai.APIError):  # an error event inside a 200 stream
            return self._stream_error(exc)
        if isinstance(exc, httpx2.HTTPError):  # raised by the transport past the SDK's wrapping
            return Failure(
                "connection", f"the connection was lost mid-response ({exc or type(exc).__name__})"
            )
        if isinstance(exc, openai.OpenAIError):  # nothing of the SDK escapes unclassified
            return Failure("status", f"{type(exc).__name__}: {exc}")
        return None

    @staticmethod
    def _stream_error(exc: openai.APIError) -> Failure:
        body = cast(dict[str, Any], exc.body) if isinstance(exc.body, dict) else {}
        code, message = _error_fields(body)
        reason = f"error event in the response stream: {message or exc.message}"
        lowered = f"{code} {reason}".lower()
        kind: FailureKind = "status"
        if "context_length_exceeded" in lowered or "maximum context length" in lowered:
            kind = "context_length"
        return Failure(kind, reason, status=_stream_error_status(body))
