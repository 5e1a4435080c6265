"""``llm.provider: http``: one class that calls any LLM API described in ``llm.http``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2

from agentcore._redact import register_secret
from agentcore.config.http_schema import HttpProviderConfig
from agentcore.config.schema import LLMConfig
from agentcore.errors import ConfigError
from agentcore.llm._client import LazyClient
from agentcore.llm.events import StreamEvent, TextDelta, ToolCallStarted, TurnComplete, UsageReport
from agentcore.llm.provider import LLMRequest, ProviderClient
from agentcore.llm.providers.http import _response as resp
from agentcore.llm.providers.http._auth import Token, TokenCache, TokenStore
from agentcore.llm.providers.http._keys import KeyResolver
from agentcore.llm.providers.http._paths import MISSING, get_path
from agentcore.llm.providers.http._request import HttpCall, base_variables, build
from agentcore.llm.providers.http._stream import StreamMapper, frames
from agentcore.llm.providers.http._template import TemplateError
from agentcore.llm.providers.http.check import check_llm
from agentcore.llm.providers.http.converters import BUILTIN, Converter, user_converters
from agentcore.llm.providers.http.host import current_host
from agentcore.llm.retry import Failure, parse_retry_after
from agentcore.logs import get_logger
from agentcore.tracing.context import current

log = get_logger("agentcore.llm.http")
_CONTEXT_MARKERS = ("context length", "context_length", "maximum context", "too many tokens", "too long")


class _Client(httpx2.AsyncClient):
    """The HTTP client, closable the way ``LazyClient`` closes SDK clients."""

    async def close(self) -> None:
        await self.aclose()


class HttpService(ProviderClient):
    """Any API described by ``llm.http``: auth step, templated request, mapped answer or stream."""

    def __init__(self, config: LLMConfig) -> None:
        super().__init__(config)
        check_llm(config)
        assert config.http is not None
        self.http: HttpProviderConfig = config.http
        self.provider = f"http:{self.http.name}"
        self.keys = KeyResolver(config, self.http)
        margin = self.http.auth.expiry_margin if self.http.auth else 0.0
        self.tokens = TokenCache(margin)
        # No tool-call mapping: the API has no native tools (the prompt-based mode describes them).
        self.native_tools = (
            self.http.response.tool_calls is not None or self.http.stream.tool_calls is not None
        )
        self._clients = LazyClient(self._make_client)
        self._sdk = self._clients
        self._user_converters: dict[str, Converter] | None = None
        #: set by ``providers test``: every parsed chunk of a streamed answer is appended here
        self.probe_chunks: list[Any] | None = None
        self._warned_tools = False
        #: the agent's local-tool folders: ``@converter`` functions are looked up in their modules
        self.tool_folders: list[Path] | None = None

    def _make_client(self) -> _Client:
        return _Client(timeout=httpx2.Timeout(self.config.timeout), headers=self.config.headers)

    def get_config(self) -> dict[str, Any]:
        """The base settings plus the chat URL's host (never its query: it may carry a token)."""
        return {**super().get_config(), "baseURL": urlsplit(self.http.chat.url).netloc or None}

    # ---- converters and variables ---------------------------------------------------------

    def converter(self, name: str) -> Converter:
        """A built-in or ``@converter`` function by name."""
        found = BUILTIN.get(name)
        if found is not None:
            return found
        if self._user_converters is None or name not in self._user_converters:
            self._user_converters = user_converters(self.tool_folders)
        found = self._user_converters.get(name)
        if found is None:
            known = ", ".join(sorted({*BUILTIN, *self._user_converters}))
            raise TemplateError(
                "", f"unknown converter '{name}' (known: {known}; define more with @converter)"
            )
        return found

    async def variables(self, request: LLMRequest, stream: bool) -> tuple[dict[str, Any], str]:
        """The request's template variables and its token-cache key."""
        user = current().user_id
        key = await self.keys.key_for(user)
        tools = request.tools if self.native_tools else ()
        if request.tools and not self.native_tools and not self._warned_tools:
            self._warned_tools = True
            log.warning(
                "http.no_native_tools",
                provider=self.provider,
                hint="llm.http has no toolCalls mapping, so tools are not sent to this API",
            )
        variables = base_variables(
            self.config,
            self.http.chat,
            system=request.system,
            messages=request.messages,
            tools=tools,
            stream=stream,
            api_key=key,
            user=user,
        )
        if request.max_tokens is not None:
            variables["max_tokens"] = request.answer_limit(self.config.max_tokens)
        return variables, (user or "") if self.keys.per_user else ""

    def _build(self, block: Any, where: str, variables: dict[str, Any]) -> HttpCall:
        try:
            return build(block, where, variables, self.converter)
        except TemplateError as exc:
            path = f"llm.http.{exc.where}" if exc.where else f"llm.http.{where}"
            raise ConfigError(f"{self.provider}: {exc.message}", key_path=path) from None

    # ---- the auth step --------------------------------------------------------------------

    async def token(self, variables: dict[str, Any], cache_key: str) -> Token:
        """The auth variables for ``cache_key`` (cached; concurrent first calls share one request)."""
        return await self.tokens.get(cache_key, lambda: self._fetch_token(variables), self._token_store())

    def _token_store(self) -> TokenStore | None:
        """Where tokens are shared: the one set on ``tokens``, else the host's (Redis under serve)."""
        if self.tokens.store is not None:
            return self.tokens.store
        make = current_host().token_store
        return make(self.http.name) if make is not None else None

    async def _fetch_token(self, variables: dict[str, Any]) -> tuple[dict[str, Any], float | None]:
        auth = self.http.auth
        assert auth is not None
        call = self._build(auth, "auth", variables)
        response = await self._send(call)
        if response.status_code >= 400:
            error = self._status_error(response)
            raise resp.HttpCallError(
                response.status_code,
                f"the auth request failed: {error.message}",
                error.code,
                retry_after=error.retry_after,
            )
        data = self._json(response, "the auth answer")
        found: dict[str, Any] = {}
        for name, path in auth.set_data.items():
            value = get_path(data, path)
            if value is MISSING:
                raise resp.absent(self.provider, path, f"llm.http.auth.setData.{name}", data)
            register_secret(str(value))  # tokens never reach a log line
            found[name] = value
        expires: float | None = None
        if isinstance(auth.expires_in, int | float):
            expires = float(auth.expires_in)
        elif isinstance(auth.expires_in, str):
            value = get_path(data, auth.expires_in)
            if isinstance(value, int | float) and not isinstance(value, bool):
                expires = float(value)
            else:
                log.debug("http.expiry_absent", provider=self.provider, path=auth.expires_in)
        log.info("http.auth", provider=self.provider, expires_in=expires)
        return found, expires

    # ---- the round trip -------------------------------------------------------------------

    async def _round_trip(self, request: LLMRequest) -> AsyncIterator[StreamEvent | TurnComplete]:
        stream = request.stream and self.http.stream.enabled
        variables, cache_key = await self.variables(request, stream)
        for refreshed in (False, True):
            token: Token | None = None
            full = variables
            if self.http.auth is not None:
                token = await self.token(variables, cache_key)
                full = {**variables, **token.variables}
            started = False
            try:
                async for event in self._chat(request, full, stream):
                    started = True
                    yield event
                return
            except resp.HttpCallError as exc:
                if not exc.auth or token is None or refreshed or started:
                    raise
                # The token expired before we thought it would: fetch a new one, once.
                log.info("http.token_refresh", provider=self.provider, status=exc.status)
                await self.tokens.invalidate(cache_key, token, self._token_store())

    async def _chat(
        self, request: LLMRequest, variables: dict[str, Any], stream: bool
    ) -> AsyncIterator[StreamEvent | TurnComplete]:
        call = self._build(self.http.chat, "chat", variables)
        if not stream:
            response = await self._send(call)
            if response.status_code >= 400:
                raise self._status_error(response)
            data = self._json(response, "the answer")
            self._raise_body_error(data)
            turn = resp.map_answer(data, self.http.response, self.provider)
            if request.stream:  # asked to stream from an API that cannot: one piece
                if turn.message.text:
                    yield TextDelta(turn.message.text)
                for index, tc in enumerate(turn.message.tool_calls):
                    yield ToolCallStarted(tc.id, tc.name, index)
                yield UsageReport(turn.usage)
            yield turn
            return
        client = self._clients.get()
        async with client.stream(
            call.method, call.url, headers=call.headers, params=call.params, content=call.content
        ) as response:
            if response.status_code >= 400:
                await response.aread()
                raise self._status_error(response)
            mapper = StreamMapper(self.http.stream, self.http.response, self.provider)
            if self.probe_chunks is not None:
                mapper.keep_chunks, mapper.chunks = True, self.probe_chunks
            async for frame in frames(response.aiter_bytes(), self.http.stream.framing):
                chunk = mapper.parse(frame)
                if chunk is None:
                    break
                if chunk is MISSING:
                    continue
                for event in mapper.feed(chunk):
                    yield event
                if mapper.done:
                    break
            for event in mapper.finish_turn():
                yield event

    async def _send(self, call: HttpCall) -> httpx2.Response:
        client = self._clients.get()
        return await client.request(
            call.method, call.url, headers=call.headers, params=call.params, content=call.content
        )

    def _json(self, response: httpx2.Response, what: str) -> Any:
        try:
            return json.loads(response.content)
        except ValueError:
            preview = response.text.strip()[:120]
            raise resp.HttpCallError(
                None, f"{what} is not JSON (HTTP {response.status_code}): {preview!r}"
            ) from None

    def _raise_body_error(self, data: Any) -> None:
        mapping = self.http.response.error
        if mapping.message is None and mapping.code is None:
            return
        message = resp.text_value(get_path(data, mapping.message)) if mapping.message else None
        code = resp.text_value(get_path(data, mapping.code)) if mapping.code else None
        if message or code:
            raise resp.HttpCallError(
                None, message or f"error code {code}", code, auth=resp.is_auth_code(code, mapping)
            )

    def _status_error(self, response: httpx2.Response) -> resp.HttpCallError:
        try:
            data: Any = json.loads(response.content) if response.content else None
        except ValueError:
            data = None
        message, code = (
            resp.error_fields(data, self.http.response.error) if data is not None else (None, None)
        )
        message = message or response.text.strip()[:300] or response.reason_phrase
        return resp.HttpCallError(
            response.status_code,
            message,
            code,
            auth=resp.is_auth_code(code, self.http.response.error),
            retry_after=parse_retry_after(response.headers),
            request_id=response.headers.get("x-request-id"),
        )

    def _classify(self, exc: BaseException) -> Failure | None:
        if isinstance(exc, resp.HttpCallError):
            reason = exc.message + (f" (code {exc.code})" if exc.code else "")
            lowered = reason.lower()
            if any(marker in lowered for marker in _CONTEXT_MARKERS):
                kind = "context_length"
            elif exc.auth or exc.status == 403:
                kind = "auth"
            else:
                kind = "status"
            return Failure(
                kind,  # type: ignore[arg-type]
                reason,
                status=exc.status,
                request_id=exc.request_id,
                retry_after=exc.retry_after,
            )
        if isinstance(exc, httpx2.TimeoutException):
            return Failure.timed_out(self.config.timeout)
        if isinstance(exc, httpx2.TransportError):
            # The host only: a chat URL's query may carry a token.
            host = urlsplit(self.http.chat.url).netloc
            return Failure("connection", f"cannot reach {host}: {type(exc).__name__}")
        return None
