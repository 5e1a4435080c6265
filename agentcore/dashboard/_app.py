"""The dashboard's Starlette app: pages, login, static files."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from agentcore.dashboard import _auth, _charts, _format, _queries, _trace

if TYPE_CHECKING:
    from jinja2 import Environment
    from sqlalchemy.ext.asyncio import AsyncEngine
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

HERE = Path(__file__).parent


def _env() -> Environment:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
    helpers: dict[str, Any] = {
        "cost_text": _format.cost_text, "call_cost": _format.call_cost, "num": _format.num, "ms": _format.ms,
        "when": _format.when, "usd": _format.usd, "tokens": _queries.TOKEN_COLUMNS,
        "groups": list(_queries.GROUP_COLUMNS), "periods": _format.PERIOD_LABELS,
    }  # fmt: skip
    env.globals.update(helpers)
    return env


class _Dashboard:
    def __init__(self, db_url: str, admin_key: str | None) -> None:
        from agentcore.storage.db import resolve_url

        self.url = resolve_url(db_url)
        self.admin_key = admin_key
        self.env = _env()

    async def engine(self) -> AsyncEngine:
        import agentcore.context.store  # noqa: F401  # pyright: ignore[reportUnusedImport]  (sessions schema)
        from agentcore.dashboard import _schema
        from agentcore.storage.db import open_database
        from agentcore.tracing import calllog

        calllog.register()
        _schema.register()
        return await open_database(self.url)

    def render(self, request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        base = request.scope.get("root_path", "").rstrip("/")
        page = self.env.get_template(name).render(
            base=base, request=request, auth=self.admin_key is not None, link=_link(base), **ctx
        )
        return HTMLResponse(page, status_code=status, headers=_NO_STORE)

    # ---- pages ---------------------------------------------------------------------------------

    async def overview(self, request: Request) -> Response:
        view = _format.read_view(request.query_params)
        by = request.query_params.get("by") or "model"
        if by not in _queries.GROUP_COLUMNS:
            raise _format.BadRequest(
                f"cannot group by {by!r}: choose one of {', '.join(_queries.GROUP_COLUMNS)}"
            )
        from agentcore.dashboard._usage import usage

        found = await usage(await self.engine(), view, by)
        charts = _series_charts(view, found.points)
        return self.render(request, "overview.html", view=view, fig=found.figures, by=by, rows=found.groups,
                           charts=charts, approx=found.approximate, groups_since=found.groups_since,
                           page="overview")  # fmt: skip

    async def calls(self, request: Request) -> Response:
        view = _format.read_view(request.query_params)
        engine = await self.engine()
        cursor = request.query_params.get("after")
        rows, nxt = await _queries.calls_page(engine, view.filters, cursor)
        from agentcore.dashboard._rollup import suggestions

        choices = await suggestions(engine, ("status", "model", "user", "module"))
        return self.render(request, "calls.html", view=view, rows=rows, next=nxt, cursor=cursor,
                           choices=choices, page="calls")  # fmt: skip

    async def call(self, request: Request) -> Response:
        engine = await self.engine()
        call_id = request.path_params["call_id"]
        trace_id = await _queries.trace_of_call(engine, call_id)
        base = request.scope.get("root_path", "").rstrip("/")
        if trace_id:
            return RedirectResponse(f"{base}/traces/{trace_id}#n-{call_id}", status_code=303)
        return self.render(request, "message.html", status=404, page="calls",
                           message=f"no trace is recorded for call {call_id}")  # fmt: skip

    async def traces(self, request: Request) -> Response:
        engine = await self.engine()
        cursor = request.query_params.get("after")
        rows, nxt = await _queries.recent_traces(engine, cursor)
        return self.render(request, "traces.html", rows=rows, next=nxt, cursor=cursor, page="traces")

    async def trace(self, request: Request) -> Response:
        engine = await self.engine()
        trace_id = request.path_params["trace_id"]
        spans, calls = await _queries.trace_rows(engine, trace_id)
        if not spans and not calls:
            return self.render(request, "message.html", status=404, page="traces",
                               message=f"no trace {trace_id} in this database")  # fmt: skip
        return self.render(
            request, "trace.html", trace_id=trace_id, tree=_trace.build(spans, calls), page="traces"
        )

    async def sessions(self, request: Request) -> Response:
        engine = await self.engine()
        cursor = request.query_params.get("after")
        rows, nxt = await _queries.sessions_page(engine, cursor)
        return self.render(request, "sessions.html", rows=rows, next=nxt, cursor=cursor, page="sessions")

    async def session(self, request: Request) -> Response:
        from agentcore.dashboard._messages import present

        engine = await self.engine()
        name = request.path_params["name"]
        after = int(request.query_params.get("after") or 0)
        info, rows, nxt = await _queries.session_messages(engine, name, after)
        if info is None:
            return self.render(request, "message.html", status=404, page="sessions",
                               message=f"no session {name!r} in this database")  # fmt: skip
        return self.render(request, "session.html", info=info, messages=[present(r) for r in rows],
                           next=nxt, page="sessions")  # fmt: skip

    # ---- login ---------------------------------------------------------------------------------

    async def login_form(self, request: Request) -> Response:
        return self.render(request, "login.html", page="login")

    async def login(self, request: Request) -> Response:
        base = request.scope.get("root_path", "").rstrip("/")
        body = (await request.body())[:4096].decode("utf-8", "replace")
        given = dict(parse_qsl(body)).get("key", "")
        if self.admin_key is None:
            return RedirectResponse(f"{base}/", status_code=303)
        if not _auth.key_matches(self.admin_key, given):
            return self.render(request, "login.html", status=401, page="login", error="wrong admin key")
        response = RedirectResponse(f"{base}/", status_code=303)
        response.set_cookie(
            _auth.COOKIE, _auth.new_session(self.admin_key), max_age=_auth.MAX_AGE_S, path=base or "/",
            httponly=True, samesite="strict", secure=request.url.scheme == "https",
        )  # fmt: skip
        return response

    async def logout(self, request: Request) -> Response:
        base = request.scope.get("root_path", "").rstrip("/")
        response = RedirectResponse(f"{base}/login", status_code=303)
        response.delete_cookie(_auth.COOKIE, path=base or "/", httponly=True, samesite="strict")
        return response


_NO_STORE = {"Cache-Control": "no-store"}


def _link(base: str) -> Any:
    def link(path: str, params: dict[str, str] | None = None, **changes: Any) -> str:
        merged = {**(params or {}), **{k: str(v) for k, v in changes.items() if v is not None}}
        for k, v in changes.items():
            if v is None:
                merged.pop(k, None)
        query = urlencode({k: v for k, v in merged.items() if v != ""})
        return f"{base}{path}" + (f"?{query}" if query else "")

    return link


def _series_charts(view: _format.View, points: list[dict[str, Any]]) -> list[Any]:
    by_key = {p["bucket"]: p for p in points}
    keys = _format.bucket_keys(view, view.unit) or [p["bucket"] for p in points]
    empty: dict[str, Any] = {}

    def col(name: str) -> list[float]:
        return [float(by_key.get(k, empty).get(name) or 0) for k in keys]

    ok = [r - e for r, e in zip(col("requests"), col("errors"), strict=True)]
    return [
        _charts.bars(keys, [("ok", "s-ok", ok), ("errors", "s-err", col("errors"))], "Requests"),
        _charts.bars(
            keys,
            [("prompt", "s-in", col("prompt_tokens")), ("completion", "s-out", col("completion_tokens"))],
            "Tokens",
            lambda v: f"{v:,.0f}",
        ),
        _charts.bars(
            keys, [("priced cost", "s-cost", col("cost_usd_priced"))], "Cost (priced calls)", _format.usd
        ),
        _charts.bars(
            keys,
            [("avg latency", "s-lat", col("avg_latency_ms"))],
            "Average latency",
            lambda v: f"{v:,.0f} ms",
        ),
    ]


class _LoginRequired:
    """Everything but the login page and the stylesheet needs a valid session cookie."""

    def __init__(self, app: ASGIApp, dash: _Dashboard) -> None:
        self.app = app
        self.dash = dash

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self.dash.admin_key
        if scope["type"] != "http" or key is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        root, path = scope.get("root_path", ""), scope["path"]
        path = path[len(root) :] if root and path.startswith(root) else path
        public = path in ("/login", "/static/dash.css")
        if public or _auth.session_valid(key, request.cookies.get(_auth.COOKIE)):
            await self.app(scope, receive, send)
            return
        # No data without a session: the login page, whatever was asked for.
        response = self.dash.render(request, "login.html", status=401, page="login")
        await response(scope, receive, send)


class _ServerTiming:
    """``Server-Timing: app;dur=<ms>, cpu;dur=<ms>``: the app's own time to the response head
    (queries and rendering) and the process's CPU time meanwhile (all threads: the SQLite driver
    runs in one), so a measurement can tell the server's work from waiting on a loaded machine."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, cpu = time.perf_counter(), time.process_time()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - start) * 1000
                used = (time.process_time() - cpu) * 1000
                timing = f"app;dur={took:.1f}, cpu;dur={used:.1f}".encode()
                headers = [*message.get("headers", []), (b"server-timing", timing)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed)


class _Errors:
    """Bad query parameters become a one-line 400 page, not a traceback."""

    def __init__(self, app: ASGIApp, dash: _Dashboard) -> None:
        self.app = app
        self.dash = dash

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except _format.BadRequest as exc:
            request = Request(scope, receive)
            await self.dash.render(request, "message.html", status=400, page="", message=str(exc))(
                scope, receive, send
            )


def create_dashboard_app(db_url: str, *, admin_key: str | None = None) -> Starlette:
    """The dashboard over the call log and sessions in ``db_url``.

    With ``admin_key`` (as mounted by ``agentcore serve``) every page needs a login with that key;
    without it (``agentcore dashboard`` on 127.0.0.1) it is open.
    """
    dash = _Dashboard(db_url, admin_key)
    routes = [
        Route("/", dash.overview),
        Route("/calls", dash.calls),
        Route("/calls/{call_id}", dash.call),
        Route("/traces", dash.traces),
        Route("/traces/{trace_id}", dash.trace),
        Route("/sessions", dash.sessions),
        Route("/sessions/{name:path}", dash.session),
        Route("/login", dash.login_form, methods=["GET"]),
        Route("/login", dash.login, methods=["POST"]),
        Route("/logout", dash.logout, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(_ServerTiming),
        Middleware(_Errors, dash=dash),
        Middleware(_LoginRequired, dash=dash),
    ]
    return Starlette(routes=routes, middleware=middleware)
