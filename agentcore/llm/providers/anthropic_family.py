"""The Anthropic family on the ``anthropic`` SDK: ``anthropic`` (Messages API) and ``aws`` (Bedrock).

As for the OpenAI family, the SDK client does auth (API key, or SigV4 for Bedrock), errors, response
models and the connection pool, while the body is joined from per-message cached JSON
(``llm/formatters/anthropic.py``) and sent as bytes: no per-turn re-serialisation of the history.
"""

from __future__ import annotations

import importlib.util
import json
import os
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any, cast

import anthropic
import httpx2
from anthropic import AsyncStream
from anthropic.lib.bedrock import AsyncAnthropicBedrock
from anthropic.types import Message, RawMessageStreamEvent

from agentcore.config.schema import LLMConfig
from agentcore.context.repair import checked_call
from agentcore.errors import ConfigError, MissingExtraError
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
from agentcore.llm.formatters.anthropic import render_messages, tool_dict
from agentcore.llm.provider import LLMRequest, ProviderClient
from agentcore.llm.providers._deadline import Deadline
from agentcore.llm.retry import (
    Failure,
    FailureKind,
    IncompleteResponse,
    attach_partial_usage,
    classify_common,
    parse_retry_after,
)
from agentcore.messages import InternalMessage, ToolCall, Usage

BEDROCK_VERSION = "bedrock-2023-05-31"
# Mid-stream ``error`` events arrive on an HTTP 200 response: map their type to the status it stands for.
_ERROR_TYPE_STATUS = {
    "overloaded_error": 529,
    "api_error": 500,
    "rate_limit_error": 429,
    "request_too_large": 413,
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "ThrottlingException": 429,
    "ServiceUnavailableException": 503,
    "InternalServerException": 500,
    "ModelStreamErrorException": 500,
    "ModelTimeoutException": 504,
    "ValidationException": 400,
}
# Bedrock names stream exceptions after the stream shape's members ("throttlingException").
_ERROR_TYPE_STATUS_LOWER = {name.lower(): status for name, status in _ERROR_TYPE_STATUS.items()}
_CONTEXT_MARKERS = ("prompt is too long", "input is too long", "too many input tokens", "context window")


def default_max_tokens(model: str) -> int:
    """``max_tokens`` when ``llm.maxTokens`` is unset: the catalog's output limit up to 8192
    (4096 for Claude 2 and 3)."""
    from agentcore.models import default_catalog

    return default_catalog().default_max_tokens(model)


def _usage(raw: Any, output: int | None = None, one_hour_from: Any = None) -> Usage:
    """Our usage from Anthropic's: ``prompt_tokens`` includes cache reads and writes, as OpenAI's does.

    (Anthropic's ``input_tokens`` counts only the uncached part of the prompt.) Cache writes are kept
    apart (billed above the input rate), the 1-hour ones from ``cache_creation`` (streams send that
    breakdown in ``message_start`` only: ``one_hour_from``). No usage at all is "not reported".
    """
    if raw is None:
        return Usage(reported=False)
    uncached = raw.input_tokens or 0
    read = raw.cache_read_input_tokens or 0
    written = raw.cache_creation_input_tokens or 0
    breakdown = _field(raw, "cache_creation") or _field(one_hour_from, "cache_creation")
    one_hour = _field(breakdown, "ephemeral_1h_input_tokens") or 0
    thinking = _field(_field(raw, "output_tokens_details"), "thinking_tokens") or 0
    out = (raw.output_tokens or 0) if output is None else output
    return Usage(uncached + read + written, out, read, thinking, written, min(one_hour, written))


def _field(obj: Any, name: str) -> Any:
    """``obj.name``, also when the SDK kept an unknown (newer) field as a plain dict."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return cast(dict[str, Any], obj).get(name)
    return getattr(obj, name, None)


def _error_fields(body: object) -> tuple[str, str]:
    """``(type, message)`` of an Anthropic (``{"error": {...}}``) or Bedrock (``{"message"}``) error body."""
    if not isinstance(body, dict):
        return "", str(body) if body else ""
    data = cast(dict[str, Any], body)
    inner = data.get("error", data)
    if not isinstance(inner, dict):
        return "", str(inner)
    fields = cast(dict[str, Any], inner)
    return str(fields.get("type") or ""), str(fields.get("message") or fields.get("Message") or "")


class AnthropicService(ProviderClient):
    """Claude through the Messages API (``anthropic``) or Amazon Bedrock (``aws``), one reused client."""

    def __init__(self, config: LLMConfig) -> None:
        super().__init__(config)
        self.bedrock = config.provider == "aws"
        if self.bedrock:
            for package in ("botocore", "boto3"):
                if importlib.util.find_spec(package) is None:
                    raise MissingExtraError("AWS Bedrock (llm.provider: aws)", "bedrock", package)
            aws = config.aws
            self._region = (
                (aws.region if aws else None)
                or os.environ.get("AWS_REGION")
                or os.environ.get("AWS_DEFAULT_REGION")
            )
            if not self._region:
                raise ConfigError(
                    "AWS Bedrock needs a region",
                    key_path="llm.aws.region",
                    hint="set llm.aws.region or AWS_REGION, e.g. us-east-1",
                )
            self._model_id = (aws.inference_profile_arn if aws else None) or config.model
            self._api_key = ""
        else:
            self._region = None
            self._model_id = config.model
            self._api_key = self._resolve_key(config)
        self._clients = LazyClient(self._make_client)
        self._sdk = self._clients
        self._tools_json = ToolsJsonCache(tool_dict)
        self._static = self._static_params(config)
        quoted = urllib.parse.quote(self._model_id, safe=":;")
        self._paths = (f"/model/{quoted}/invoke", f"/model/{quoted}/invoke-with-response-stream")

    @staticmethod
    def _resolve_key(config: LLMConfig) -> str:
        key = config.api_key or os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            raise ConfigError(
                "no API key for provider 'anthropic'",
                key_path="llm.apiKey",
                hint="set ANTHROPIC_API_KEY in the environment or llm.apiKey in cipher.yml",
            )
        return key

    @property
    def client(self) -> anthropic.AsyncAnthropic | AsyncAnthropicBedrock:
        """The SDK client, created on first use and kept (keep-alive) until ``aclose``."""
        return self._clients.get()

    def _make_client(self) -> anthropic.AsyncAnthropic | AsyncAnthropicBedrock:
        from agentcore._redact import register_secret

        config = self.config
        headers = dict(config.headers) or None
        if not self.bedrock:
            register_secret(self._api_key)
            return anthropic.AsyncAnthropic(
                api_key=self._api_key,
                base_url=config.base_url,
                max_retries=0,
                timeout=config.timeout,
                default_headers=headers,
            )
        aws = config.aws
        for secret in (aws.secret_access_key, aws.session_token) if aws else ():
            if secret:
                register_secret(secret)
        try:
            return AsyncAnthropicBedrock(
                aws_access_key=aws.access_key_id if aws else None,
                aws_secret_key=aws.secret_access_key if aws else None,
                aws_session_token=aws.session_token if aws else None,
                aws_profile=aws.profile if aws else None,
                aws_region=self._region,
                base_url=config.base_url,
                max_retries=0,
                timeout=config.timeout,
                default_headers=headers,
            )
        except ValueError as exc:  # e.g. AWS_BEARER_TOKEN_BEDROCK set together with llm.aws keys
            raise ConfigError(str(exc), key_path="llm.aws") from None

    def _static_params(self, config: LLMConfig) -> bytes:
        """The request fields that never change between turns, rendered once."""
        params: dict[str, Any] = {"max_tokens": config.max_tokens or default_max_tokens(self._model_id)}
        if config.temperature is not None:
            params["temperature"] = config.temperature
        if config.top_p is not None:
            params["top_p"] = config.top_p
        if self.bedrock:
            params["anthropic_version"] = BEDROCK_VERSION
        return dumps(params)[1:-1]

    def get_config(self) -> dict[str, Any]:
        """Provider, model and the (secret-free) settings of this service."""
        data = super().get_config()
        if self.bedrock:
            data["region"] = self._region
            data["modelId"] = self._model_id
        return data

    def _body(self, request: LLMRequest) -> bytes:
        messages, history_system = render_messages(request.messages)
        system = "\n\n".join(s for s in (request.system, history_system) if s)
        # Bedrock takes the model in the URL and streaming from the path, not from the body.
        parts = [b"{"] if self.bedrock else [b'{"model":', dumps(self._model_id), b","]
        parts += [b'"messages":', messages]
        if system:
            parts += [b',"system":', dumps(system)]
        if request.tools:
            parts += [b',"tools":', self._tools_json.get(request.tools)]
        if request.stream and not self.bedrock:
            parts.append(b',"stream":true')
        static = self._static
        if request.max_tokens is not None:  # rare (MCP sampling): rendered per request
            limit = request.answer_limit(self.config.max_tokens)
            static = self._static_params(self.config.model_copy(update={"max_tokens": limit}))
        parts += [b",", static, b"}"]
        return b"".join(parts)

    async def _round_trip(self, request: LLMRequest) -> AsyncIterator[StreamEvent | TurnComplete]:
        body = self._body(request)
        path = "/v1/messages"
        if self.bedrock:
            path = self._paths[1] if request.stream else self._paths[0]
        deadline = Deadline(self.config, stream=request.stream)
        if not request.stream:
            message = await deadline.run(self._post(path, body))
            yield self._from_message(message)
            return
        stream = await deadline.run(
            self.client.post(
                path,
                cast_to=Message,
                content=body,
                stream=True,
                stream_cls=AsyncStream[RawMessageStreamEvent],
            )
        )
        async with stream:
            async for event in self._from_stream(deadline.iterate(stream)):
                yield event

    async def _post(self, path: str, body: bytes) -> Message:
        try:
            return await self.client.post(path, cast_to=Message, content=body)
        except json.JSONDecodeError as exc:  # the body ended cleanly, mid-JSON
            raise IncompleteResponse(f"the response body was cut off ({exc.msg} at char {exc.pos})") from None

    @staticmethod
    def _from_message(message: Message) -> TurnComplete:
        text: list[str] = []
        calls: list[ToolCall] = []
        stop = message.stop_reason
        if stop is None:
            raise IncompleteResponse("the response has no stop_reason")
        for block in message.content:
            if block.type == "text":
                text.append(block.text)
            elif block.type == "tool_use":
                raw: Any = block.input
                # input is an object; anything else is the model's malformed text, checked as such
                arguments = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
                calls.append(checked_call(block.id, block.name, arguments, stop))
        reply = InternalMessage.assistant("".join(text) or None, tuple(calls))
        return TurnComplete(reply, _usage(getattr(message, "usage", None)), stop)

    @staticmethod
    async def _from_stream(
        stream: AsyncIterator[RawMessageStreamEvent],
    ) -> AsyncIterator[StreamEvent | TurnComplete]:
        text: list[str] = []
        calls: dict[int, list[str]] = {}  # block index -> [id, name, argument fragments...]
        order: dict[int, int] = {}  # block index -> position among the tool calls
        start_usage: Any = None
        out_tokens = 0
        final_input: Any = None
        finish: str | None = None
        complete = False
        try:
            async for event in stream:
                if event.type == "content_block_delta":
                    delta = event.delta
                    if delta.type == "text_delta":
                        text.append(delta.text)
                        yield TextDelta(delta.text)
                    elif delta.type == "input_json_delta" and delta.partial_json:
                        entry = calls.get(event.index)
                        if entry is not None:
                            entry.append(delta.partial_json)
                            yield ToolCallDelta(entry[0], delta.partial_json, order[event.index])
                elif event.type == "content_block_start":
                    block = event.content_block
                    if block.type == "tool_use":
                        order[event.index] = len(calls)
                        calls[event.index] = [block.id, block.name]
                        yield ToolCallStarted(block.id, block.name, order[event.index])
                    elif block.type == "text" and block.text:
                        text.append(block.text)
                        yield TextDelta(block.text)
                elif event.type == "message_start":
                    start_usage = event.message.usage
                    out_tokens = start_usage.output_tokens or 0
                elif event.type == "message_delta":
                    finish = event.delta.stop_reason or finish
                    out_tokens = event.usage.output_tokens or out_tokens
                    if event.usage.input_tokens is not None:
                        final_input = event.usage
                elif event.type == "message_stop":
                    complete = True
            if not complete and finish is None:
                raise IncompleteResponse("the response stream ended before message_stop")
        except Exception as exc:
            if start_usage is not None:
                # The input tokens message_start reported are billed even though the stream broke.
                attach_partial_usage(exc, _usage(start_usage, out_tokens, start_usage))
            raise
        usage = _usage(final_input or start_usage, out_tokens, start_usage)
        yield UsageReport(usage)
        tool_calls = tuple(checked_call(e[0], e[1], "".join(e[2:]), finish) for _, e in sorted(calls.items()))
        yield TurnComplete(InternalMessage.assistant("".join(text) or None, tool_calls), usage, finish)

    def _classify(self, exc: BaseException) -> Failure | None:
        common = classify_common(exc)
        if common is not None:
            return common
        if isinstance(exc, anthropic.APIStatusError):
            error_type, message = _error_fields(exc.body)
            status = exc.status_code
            if status == 200:  # an ``error`` event inside a stream
                status = _ERROR_TYPE_STATUS_LOWER.get(error_type.lower(), 500)
            reason = message or exc.message
            lowered = reason.lower()
            kind: FailureKind = "status"
            if status in (400, 413) and any(m in lowered for m in _CONTEXT_MARKERS):
                kind = "context_length"
            elif status in (401, 403):
                kind = "auth"
            headers = exc.response.headers
            return Failure(
                kind,
                reason,
                status=status,
                request_id=exc.request_id or headers.get("x-amzn-requestid"),
                retry_after=parse_retry_after(headers),
            )
        if isinstance(exc, anthropic.APITimeoutError | httpx2.TimeoutException):
            return Failure.timed_out(self.config.timeout)
        if isinstance(exc, anthropic.APIConnectionError):
            return Failure.unreachable(self.client.base_url, exc)
        # The SDK does not wrap transport errors raised while a stream is being read.
        if isinstance(exc, httpx2.HTTPError):
            return Failure(
                "connection", f"the connection was lost mid-response ({exc or type(exc).__name__})"
            )
        if isinstance(exc, RuntimeError) and "AWS credentials" in str(exc):
            return Failure(
                "auth",
                "no AWS credentials found (set llm.aws.profile or llm.aws.accessKeyId/secretAccessKey, "
                "or the usual AWS_* variables)",
            )
        if isinstance(exc, anthropic.APIResponseValidationError):
            return Failure("incomplete_stream", f"the response was not a valid message: {exc.message}")
        if isinstance(exc, anthropic.AnthropicError):  # nothing of the SDK escapes unclassified
            return Failure("status", f"{type(exc).__name__}: {exc}")
        return None
