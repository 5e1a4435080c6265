"""The gateway's ASGI application (Starlette).

Starlette rather than FastAPI: the gateway parses and validates the two wire formats itself (it
must name the offending field in OpenAI's error shape anyway), so FastAPI's per-request pydantic
validation and dependency resolution would be pure overhead on the hot path.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from agentcore.llm.providers.http.host import enter_host
from agentcore.logs import get_logger
from agentcore.serve import wire_anthropic, wire_openai
from agentcore.serve._coalesce import Coalescer
from agentcore.serve._errors import HttpError, from_exception
from agentcore.serve._exchange import Event, Exchange, Outcome
from agentcore.serve._modes import agent_turn, pass_through
from agentcore.serve.auth import Auth
from agentcore.serve.state import Gateway
from agentcore.tracing.context import call_context, new_id

if TYPE_CHECKING:
    from agentcore.config.schema import AgentConfig
    from agentcore.serve.keys import ApiKey

log = get_logger("agentcore.serve")
_JSON = "application/json"
_SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data, ensure_ascii=False).encode(), status, headers, media_type=_JSON)


def _error(err: HttpError, anthropic: bool) -> Response:
    return Response(err.body(anthropic), err.status, err.headers(), media_type=_JSON)


async def _read_json(request: Request, limit: int) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HttpError(
            400, f"the request body is larger than {limit} bytes", code="request_too_large", param="body"
        )
    if "json" not in request.headers.get("content-type", "application/json"):
        raise HttpError(
            400, "content-type must be application/json", code="invalid_header", param="content-type"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpError(
                400, f"the request body is larger than {limit} bytes", code="request_too_large", param="body"
            )
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except ValueError as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise HttpError(
            400, f"the body is not valid JSON{where}", code="invalid_json", param="body"
        ) from None


class _EventStream(StreamingResponse):
    """An SSE response that closes its event source however the response ends (a client gone before
    the first byte cancels the body before it ever runs: the source still gets closed, so the
    upstream request ends and the limits and metrics are settled).

    Frames that are ready together go out in one write, the last with the end of the body."""

    def __init__(self, frames: AsyncIterator[bytes], events: AsyncIterator[Event]) -> None:
        super().__init__(frames, media_type="text/event-stream", headers=_SSE_HEADERS)
        self._coalescer = Coalescer(frames)
        self._events = events

    async def stream_response(self, send: Any) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        pieces = self._coalescer.pieces()
        try:
            async for data, last in pieces:
                await send({"type": "http.response.body", "body": data, "more_body": not last})
                if last:
                    return
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await pieces.aclose()  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._coalescer.close()  # the pump iterates the events: it must end first
            await self._events.aclose()  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]


class Handlers:
    """The endpoints, over one Gateway."""

    def __init__(self, gateway: Gateway) -> None:
        self.gw = gateway
        self.auth = Auth(gateway)

    # ---- the two chat endpoints ------------------------------------------------------------

    async def chat_completions(self, request: Request) -> Response:
        return await self._chat(request, anthropic=False)

    async def messages(self, request: Request) -> Response:
        return await self._chat(request, anthropic=True)

    async def _chat(self, request: Request, *, anthropic: bool) -> Response:
        gw = self.gw
        endpoint = "messages" if anthropic else "chat_completions"
        started = time.perf_counter()
        model = "-"
        gw.metrics.in_flight.inc()
        try:
            key = await self.auth.check(request)
            body = await _read_json(request, gw.config.serve.max_body_bytes)
            exchange = (wire_anthropic if anthropic else wire_openai).parse_request(body)
            model = exchange.model
            run, mode, provider, upstream_model = self._route(key, exchange, request)
            denial = await gw.limiter.admit(key)
            if denial is not None:
                raise HttpError(429, denial.message, code=denial.code, retry_after=denial.retry_after)
        except HttpError as err:
            gw.metrics.in_flight.dec()
            # Only a served model names a label: anything else a client sends would grow the series.
            gw.metrics.requests.labels(endpoint, model if err.status == 429 else "-", str(err.status)).inc()
            return _error(err, anthropic)
        except ClientDisconnect:
            gw.metrics.in_flight.dec()
            return Response(status_code=499)
        scope = call_context(
            module=key.module,
            user_id=key.user_id,
            session_id=request.headers.get("x-session-id"),
            **{
                **exchange.metadata,
                **({"client_user": exchange.user} if exchange.user else {}),
                "key_id": key.id,
            },
        )
        # Entered for the rest of this request's task: the streaming body runs in a child task,
        # which copies the context when it starts.
        scope.__enter__()
        enter_host(gw.host)
        reply_id = ("msg_" if anthropic else "chatcmpl-") + new_id()[:24]
        target = (provider, upstream_model)
        events = self._observed(run(), key, exchange, endpoint, mode, target, started)
        if not exchange.stream:
            try:
                outcome: Outcome | None = None
                async for event in events:
                    if isinstance(event, Outcome):
                        outcome = event
                if outcome is None:
                    raise HttpError(502, "the upstream answer ended without a message", code="upstream_error")
            except Exception as exc:
                return _error(from_exception(exc), anthropic)
            finally:
                scope.__exit__(None, None, None)
            if anthropic:
                return _json(wire_anthropic.render_message(exchange, outcome, reply_id))
            return _json(wire_openai.render_completion(exchange, outcome, reply_id))
        # Wait for the first event, so that a failure before any output is a proper HTTP error.
        try:
            first = await anext(events)
        except Exception as exc:
            return _error(from_exception(exc), anthropic)
        body = self._stream(exchange, first, events, reply_id, anthropic)
        return _EventStream(body, events)

    def _route(
        self, key: ApiKey, exchange: Exchange, request: Request
    ) -> tuple[Callable[[], AsyncIterator[Event]], str, str, str]:
        """What answers ``exchange.model``: (event source, mode, provider, model); 403/404 when it may not."""
        gw = self.gw
        name = exchange.model
        if not key.allows(name):
            raise HttpError(
                403, f"this key may not use the model '{name}'", code="model_not_allowed", param="model"
            )
        agent = gw.agent(name)
        if agent is not None:
            session = request.headers.get("x-session-id") or None
            if session is not None and (len(session) > 200 or not session.isprintable()):
                raise HttpError(
                    400, "X-Session-Id must be printable and at most 200 characters", param="x-session-id"
                )
            service = agent.service
            return (lambda: agent_turn(agent, exchange, session)), "agent", service.provider, service.model
        upstream = gw.upstreams.resolve(
            name, temperature=exchange.temperature, max_tokens=exchange.max_tokens
        )
        if upstream is None:
            raise HttpError(
                404,
                f"the model '{name}' does not exist: use an agent, a profile or provider/model (GET /v1/models)",
                code="model_not_found",
                param="model",
            )
        gate = gw.upstream_gate()
        return (
            (lambda: pass_through(upstream, exchange, gate)),
            "pass-through",
            upstream.provider,
            upstream.model,
        )

    async def _observed(
        self,
        events: AsyncIterator[Event],
        key: ApiKey,
        exchange: Exchange,
        endpoint: str,
        mode: str,
        target: tuple[str, str],
        started: float,
    ) -> AsyncIterator[Event]:
        """``events``, with the limits, metrics and log updated when they end (however they end)."""
        gw = self.gw
        provider, upstream_model = target
        status = "200"
        usage = None
        try:
            async for event in events:
                if isinstance(event, Outcome):
                    usage = event.usage
                yield event
        except BaseException as exc:
            status = "499" if not isinstance(exc, Exception) else str(from_exception(exc).status)
            if isinstance(exc, Exception):
                gw.metrics.errors.labels(provider, status).inc()
                log.warning(
                    "serve.request_failed", model=exchange.model, status=status, error=type(exc).__name__
                )
            raise
        finally:
            gw.metrics.in_flight.dec()
            gw.metrics.requests.labels(endpoint, exchange.model, status).inc()
            gw.metrics.latency.labels(endpoint, mode).observe(time.perf_counter() - started)
            if usage is not None:
                cost = gw.cost(provider, upstream_model, usage)
                gw.metrics.tokens.labels(exchange.model, "prompt").inc(usage.prompt_tokens)
                gw.metrics.tokens.labels(exchange.model, "completion").inc(usage.completion_tokens)
                if cost:
                    gw.metrics.cost.labels(exchange.model).inc(cost)
                await gw.limiter.record(key, usage.total_tokens, cost)

    async def _stream(
        self, exchange: Exchange, first: Event, events: AsyncIterator[Event], reply_id: str, anthropic: bool
    ) -> AsyncIterator[bytes]:
        writer = (
            wire_anthropic.EventWriter(exchange, reply_id)
            if anthropic
            else wire_openai.ChunkWriter(exchange, reply_id)
        )
        try:
            yield writer.event(first)
            async for event in events:
                yield writer.event(event)
        except Exception as exc:
            yield writer.error(from_exception(exc))

    # ---- the rest --------------------------------------------------------------------------

    async def models(self, request: Request) -> Response:
        try:
            key = await self.auth.check(request)
        except HttpError as err:
            return _error(err, False)
        created = int(self.gw.started_at)
        data = [
            {"id": name, "object": "model", "created": created, "owned_by": owner}
            for name, owner in self.gw.model_names()
            if key.allows(name)
        ]
        return _json({"object": "list", "data": data})

    async def healthz(self, request: Request) -> Response:
        return _json({"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        checks = await self.gw.readiness()
        ready = all(c["ok"] for c in checks.values())
        return _json({"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503)

    async def metrics(self, request: Request) -> Response:
        from agentcore.serve.metrics import CONTENT_TYPE

        return Response(self.gw.metrics.render(), media_type=CONTENT_TYPE)


async def _not_found(request: Request, exc: Exception) -> Response:
    err = HttpError(404, f"no endpoint {request.method} {request.url.path}", code="not_found")
    return _error(err, request.url.path.startswith("/v1/messages"))


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    return _error(HttpError(405, f"{request.method} is not allowed on {request.url.path}"), False)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("serve.unhandled", path=request.url.path, error=type(exc).__name__)
    return _error(from_exception(exc), request.url.path.startswith("/v1/messages"))


def create_app(config: AgentConfig) -> Starlette:
    """The gateway for ``config`` (agents, tools and connections start with the app's lifespan)."""
    gateway = Gateway(config)
    handlers = Handlers(gateway)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncGenerator[None]:
        await gateway.start()
        try:
            yield
        finally:
            await gateway.close()  # after uvicorn drained in-flight requests

    routes: list[BaseRoute] = [
        Route("/v1/chat/completions", handlers.chat_completions, methods=["POST"]),
        Route("/chat/completions", handlers.chat_completions, methods=["POST"]),
        Route("/v1/messages", handlers.messages, methods=["POST"]),
        Route("/v1/models", handlers.models, methods=["GET"]),
        Route("/healthz", handlers.healthz, methods=["GET"]),
        Route("/readyz", handlers.readyz, methods=["GET"]),
        Route("/metrics", handlers.metrics, methods=["GET"]),
    ]
    if gateway.admin_key:  # the dashboard shows every caller's usage: only behind the admin key
        from starlette.routing import Mount

        from agentcore.dashboard import create_dashboard_app
        from agentcore.storage.db import resolve_url

        dashboard = create_dashboard_app(resolve_url(config.storage.url), admin_key=gateway.admin_key)
        routes.append(Mount("/dashboard", app=dashboard))
    handlers_map: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        404: _not_found,
        405: _method_not_allowed,
        500: _server_error,
    }
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=handlers_map)
    app.state.gateway = gateway
    return app


def app_from_env() -> Starlette:
    """The app factory uvicorn's workers call: the config named by ``$AGENTCORE_SERVE_CONFIG``."""
    from agentcore.config.loader import load_config

    return create_app(load_config(os.environ.get("AGENTCORE_SERVE_CONFIG") or None))
