"""The OpenAI-compatible family: openai, azure, openrouter, ollama, lmstudio, qwen, gemini, deepseek
and the built-in local server.

The body is assembled from per-message cached JSON (an SDK's parameter transform costs ~0.15 ms per
history message on every request, which would make each turn's cost grow with the conversation) and
sent by ``_openai_transport`` over ``httpx2``: no ``openai`` SDK import (~0.5 s) on any path.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, cast

import httpx2

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
from agentcore.llm.providers._openai_transport import (
    ChatHttp,
    NotACompletion,
    StatusError,
    StreamErrorEvent,
    TransportError,
    make_client,
    open_stream,
    post_json,
)
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


def _field(data: object, *path: str) -> Any:
    """``data[path[0]][path[1]]...``, None where a level is missing or not an object."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = cast(dict[str, Any], data).get(key)
    return data


def _count(value: object) -> int:
    return value if isinstance(value, int) else 0


def _usage(raw: object) -> Usage:
    """Our usage from the provider's; no usage at all is "not reported", never zero."""
    if not isinstance(raw, dict):
        return NOT_REPORTED
    raw = cast(dict[str, Any], raw)
    # total_tokens is kept as sent: Gemini counts reasoning tokens in it but not in completion_tokens.
    sent = _field(raw, "total_tokens")
    return Usage(
        _count(_field(raw, "prompt_tokens")),
        _count(_field(raw, "completion_tokens")),
        _count(_field(raw, "prompt_tokens_details", "cached_tokens")),
        _count(_field(raw, "completion_tokens_details", "reasoning_tokens")),
        provider_total=sent if isinstance(sent, int) else None,
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
    """Any OpenAI chat-completions endpoint, through one reused HTTP client (``_openai_transport``)."""

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
    def client(self) -> ChatHttp:
        """The HTTP client, created on first use and kept (keep-alive) until ``aclose``."""
        return self._clients.get()

    def _make_client(self, config: LLMConfig, preset: Preset, api_key: str) -> ChatHttp:
        from agentcore._redact import register_secret

        if api_key != preset.placeholder_key or preset.needs_key:
            # A keyless server's placeholder ("ollama", "lm-studio") is no secret: masking it would
            # turn every "ollama" a user types into "***" in the history and the logs.
            register_secret(api_key)
        if self._azure_endpoint is not None:
            azure = config.azure
            deployment = (azure.deployment if azure else None) or config.model
            return make_client(
                f"{self._azure_endpoint.rstrip('/')}/openai/deployments/{deployment}",
                {**preset.headers, "api-key": api_key, **config.headers},
                config.timeout,
                {"api-version": azure.api_version if azure else "2024-10-21"},
            )
        headers = {**preset.headers, "Authorization": f"Bearer {api_key}"}
        if config.provider == "openai":  # what the OpenAI SDK adds from the environment
            for header, env in (
                ("OpenAI-Organization", "OPENAI_ORG_ID"),
                ("OpenAI-Project", "OPENAI_PROJECT_ID"),
            ):
                if os.environ.get(env):
                    headers[header] = os.environ[env]
        url = resolve_base_url(config, preset) or "https://api.openai.com/v1"
        return make_client(url, {**headers, **config.headers}, config.timeout)

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
        stream = await deadline.run(open_stream(self.client, "chat/completions", body))
        try:
            async for event in self._from_stream(deadline.iterate(stream.chunks())):
                yield event
        finally:
            await stream.aclose()

    async def _post(self, body: bytes) -> dict[str, Any]:
        try:
            return await post_json(self.client, "chat/completions", body)
        except json.JSONDecodeError as exc:  # the body ended cleanly, mid-JSON
            raise IncompleteResponse(f"the response body was cut off ({exc.msg} at char {exc.pos})") from None

    def _from_completion(self, completion: dict[str, Any]) -> TurnComplete:
        choices = completion.get("choices")
        if not isinstance(choices, list) or not choices:
            raise IncompleteResponse("the response has no choices (no message, no finish_reason)")
        choice: object = cast(list[Any], choices)[0]
        msg: object = _field(choice, "message")
        finish = _field(choice, "finish_reason")
        if not isinstance(msg, dict):
            raise NotACompletion("its first choice has no message")
        msg = cast(dict[str, Any], msg)
        content = _field(msg, "content")
        calls = tuple(
            checked_call(
                str(_field(c, "id") or ""),
                str(_field(c, "function", "name") or ""),
                _field(c, "function", "arguments") or "",
                finish,
            )
            for c in cast(list[Any], _field(msg, "tool_calls") or [])
            if _field(c, "type") == "function"
        )
        return TurnComplete(
            InternalMessage.assistant(content if isinstance(content, str) else None, calls),
            _usage(completion.get("usage")),
            finish if isinstance(finish, str) else None,
        )

    async def _from_stream(
        self, stream: AsyncIterator[dict[str, Any]]
    ) -> AsyncIterator[StreamEvent | TurnComplete]:
        text: list[str] = []
        calls: dict[int, list[str]] = {}  # index -> [id, name, arguments...]
        usage = NOT_REPORTED
        finish: str | None = None
        async for chunk in stream:
            if chunk.get("usage") is not None:
                usage = _usage(chunk["usage"])
            choices = chunk.get("choices")
            if not isinstance(choices, list) or not choices:
                continue
            choice: object = cast(list[Any], choices)[0]
            reason = _field(choice, "finish_reason")
            if isinstance(reason, str) and reason:
                finish = reason
            content = _field(choice, "delta", "content")
            if isinstance(content, str) and content:
                text.append(content)
                yield TextDelta(content)
            for tc in cast(list[Any], _field(choice, "delta", "tool_calls") or []):
                position = _field(tc, "index")
                index = position if isinstance(position, int) else 0
                entry = calls.get(index)
                if entry is None:
                    entry = [_field(tc, "id") or f"call_{index}", _field(tc, "function", "name") or ""]
                    calls[index] = entry
                    yield ToolCallStarted(entry[0], entry[1], index)
                fragment = _field(tc, "function", "arguments")
                if isinstance(fragment, str) and fragment:
                    entry.append(fragment)
                    yield ToolCallDelta(entry[0], fragment, index)
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
        if isinstance(exc, StatusError):
            code, message = _error_fields(exc.body)
            reason = message or exc.message
            lowered = f"{code} {reason}".lower()
            if "context_length_exceeded" in lowered or "maximum context length" in lowered:
                kind = "context_length"
            elif exc.status in (401, 403):
                kind = "auth"
            else:
                kind = "status"
            return Failure(
                kind,  # type: ignore[arg-type]
                reason,
                status=exc.status,
                request_id=exc.request_id,
                retry_after=parse_retry_after(exc.headers),
            )
        if isinstance(exc, TransportError):
            cause = exc.__cause__
            if exc.timed_out:
                return Failure.timed_out(self.config.timeout)
            if isinstance(cause, httpx2.RemoteProtocolError | httpx2.ReadError):
                # The server answered, then the connection broke (a truncated body or stream).
                return Failure("connection", f"the connection was lost mid-response ({cause})")
            return Failure.unreachable(exc.url, exc)
        if isinstance(exc, NotACompletion):
            return Failure("incomplete_stream", f"the response was not a valid chat completion: {exc}")
        if isinstance(exc, StreamErrorEvent):  # an error event inside a 200 stream
            return self._stream_error(exc)
        if isinstance(exc, httpx2.HTTPError):  # raised while reading a stream's body
            return Failure(
                "connection", f"the connection was lost mid-response ({exc or type(exc).__name__})"
            )
        return None

    @staticmethod
    def _stream_error(exc: StreamErrorEvent) -> Failure:
        body = cast(dict[str, Any], exc.body) if isinstance(exc.body, dict) else {}
        code, message = _error_fields(body)
        reason = f"error event in the response stream: {message or exc.message}"
        lowered = f"{code} {reason}".lower()
        kind: FailureKind = "status"
        if "context_length_exceeded" in lowered or "maximum context length" in lowered:
            kind = "context_length"
        return Failure(kind, reason, status=_stream_error_status(body))
