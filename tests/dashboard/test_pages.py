"""The dashboard's pages over HTTP (in process), on SQLite and PostgreSQL: figures equal
``agentcore usage --json``, null-aware cost, filters, traces, sessions, the admin-key mount."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from typer.testing import CliRunner

from agentcore.dashboard import create_dashboard_app
from tests.dashboard import _seed
from tests.fakes import FakeOpenAI
from tests.storage.conftest import Db


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def figure(html: str, name: str) -> str:
    found = re.search(rf'data-fig="{name}"[^>]*>([^<]*)<', html)
    assert found, f"no figure {name}"
    return found.group(1).strip()


async def usage_json(url: str, by: str) -> list[dict[str, Any]]:
    """``agentcore usage --json`` itself (in a thread: it runs its own event loop)."""
    from agentcore.cli.app import app

    args = ["usage", "--json", "--by", by, "--since", "1h", "--db", url]
    result = await asyncio.to_thread(CliRunner().invoke, app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
async def seeded(db: Db, fake_openai: FakeOpenAI, tmp_path: Path) -> Db:
    await _seed.agent_runs(fake_openai, tmp_path, db.url)
    await _seed.insert(db.url, _seed.unpriced_rows(3))
    return db


async def test_overview_figures_equal_usage_json(seeded: Db) -> None:
    from agentcore.storage.db import dispose_engines

    async with client(create_dashboard_app(seeded.url)) as c:
        response = await c.get("/?period=1h&by=user")
    page = response.text
    # The app's own time, to tell server work from a loaded machine when measuring.
    assert re.fullmatch(r"app;dur=\d+\.\d, cpu;dur=\d+\.\d", response.headers["server-timing"])
    await dispose_engines()
    groups = await usage_json(seeded.url, "user")
    total = {
        k: sum(g[k] for g in groups)
        for k in ("requests", "errors", "prompt_tokens", "completion_tokens", "cached_tokens")
    }
    assert figure(page, "requests") == f"{total['requests']:,}" == "9"
    assert figure(page, "errors") == str(total["errors"]) == "1"
    for name in ("prompt_tokens", "completion_tokens", "cached_tokens"):
        assert figure(page, name) == f"{total[name]:,}"
    # p50/p95 over all calls: the same nearest-rank percentile as usage (no group = totals()).
    from agentcore.tracing.query import totals

    whole = await totals(seeded.url, since="1h")
    assert figure(page, "p50") == f"{whole['p50_latency_ms']:,.0f} ms"
    assert figure(page, "p95") == f"{whole['p95_latency_ms']:,.0f} ms"
    # Per user: the breakdown rows carry the same requests and tokens as usage --by user.
    for g in groups:
        row = re.search(rf'<tr data-group="{re.escape(g["user"])}">(.*?)</tr>', page, re.S)
        assert row, g["user"]
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
        assert cells[1] == str(g["requests"]) and cells[3] == f"{g['prompt_tokens']:,}"


@pytest.mark.parametrize("by", ["profile", "target", "key", "agent"])
async def test_breakdowns_by_the_newer_usage_groups_equal_usage_json(seeded: Db, by: str) -> None:
    from agentcore.storage.db import dispose_engines

    await _seed.insert(seeded.url, _seed.keyed_rows(), _seed.KEYED_COLUMNS)
    async with client(create_dashboard_app(seeded.url)) as c:
        page = (await c.get(f"/?period=1h&by={by}")).text
        # 7 days: the rollup path (the rows are all in its raw tail), grouped by the database too.
        week = (await c.get(f"/?period=7d&by={by}")).text
    await dispose_engines()
    groups = await usage_json(seeded.url, by)
    assert len(groups) >= 2 or by == "agent"
    for html in (page, week):
        shown = re.findall(r'<tr data-group="([^"]*)">', html)
        assert sorted(shown) == sorted(str(g[by]) for g in groups)
        for g in groups:
            row = re.search(rf'<tr data-group="{re.escape(str(g[by]))}">(.*?)</tr>', html, re.S)
            assert row, g[by]
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
            assert cells[1] == str(g["requests"]) and cells[3] == f"{g['prompt_tokens']:,}"


async def test_unpriced_calls_are_never_shown_as_zero_dollars(seeded: Db) -> None:
    async with client(create_dashboard_app(seeded.url)) as c:
        page = (await c.get("/?period=1h")).text
        dave = (await c.get("/?period=1h&user=dave")).text
        calls = (await c.get("/calls?period=1h&user=dave")).text
    priced = re.search(r'data-cost-priced="([^"]+)"', page)
    assert priced and float(priced.group(1)) > 0
    assert figure(page, "cost").endswith("+ 3 unpriced")  # a number only for the priced part
    assert figure(dave, "cost") == "unknown (3 unpriced)"
    assert "$0.0000" not in dave and "unpriced" in calls and "$0" not in calls
    assert "no known price" in page


async def test_calls_filter_by_user_in_the_url_and_rows_open_their_trace(seeded: Db) -> None:
    async with client(create_dashboard_app(seeded.url)) as c:
        page = (await c.get("/calls?period=1h&user=bob")).text
        ids = re.findall(r'<tr class="(\w+)" data-id="(\w+)">', page)
        assert sorted(s for s, _ in ids) == ["error", "success"]  # bob's 500 and its retry
        link = re.search(r'href="(/traces/\w+#n-\w+)"', page)
        assert link
        trace = (await c.get(link.group(1).split("#")[0])).text
    assert "upstream exploded" in trace and 'data-status="error"' in trace
    assert "fine now" in trace  # the stored response body


async def test_trace_shows_runs_llm_attempts_and_tools_with_bodies(seeded: Db) -> None:
    async with client(create_dashboard_app(seeded.url)) as c:
        traces = (await c.get("/traces")).text
        first = re.findall(r'href="(/traces/\w+)"', traces)
        assert len(first) == 4
        pages = [(await c.get(p)).text for p in first]
    alice = next(p for p in pages if "add" in p and "2 + 3 = 5" in p)
    kinds = re.findall(r'data-kind="(\w+)"', alice)
    assert kinds == ["run", "llm", "tool", "llm"]
    assert "160 / 9" in alice  # the second call's tokens
    assert "120 / 18" in alice


async def test_sessions_list_and_messages_with_tool_calls_folded(seeded: Db) -> None:
    async with client(create_dashboard_app(seeded.url)) as c:
        listing = (await c.get("/sessions")).text
        assert all(n in listing for n in ("alice-1", "alice-2", "bob-1", "carol-1"))
        page = (await c.get("/sessions/alice-1")).text
    assert "what is 2 + 3?" in page and "2 + 3 = 5" in page
    assert re.search(r"<details class=\"call\"><summary>calls tool <b>add</b>", page)
    assert '<details class="msg tool' in page


async def test_bad_parameters_are_a_400_not_a_traceback(seeded: Db) -> None:
    async with client(create_dashboard_app(seeded.url)) as c:
        bad = await c.get("/?period=fortnight")
        custom = await c.get("/?period=custom&from=yesterday")
        cursor = await c.get("/calls?after=page-two")
    assert bad.status_code == 400 and "unknown period" in bad.text
    assert cursor.status_code == 400 and "not a page cursor" in cursor.text
    assert custom.status_code == 400 and "cannot read from=" in custom.text


async def test_admin_key_mount_login_cookie_and_logout(seeded: Db) -> None:
    outer = Starlette(
        routes=[Mount("/dashboard", create_dashboard_app(seeded.url, admin_key="adm-secret-123"))]
    )
    async with client(outer) as c:
        for path in (
            "/dashboard/",
            "/dashboard/calls?period=1h",
            "/dashboard/traces",
            "/dashboard/sessions/alice-1",
        ):
            r = await c.get(path)
            assert r.status_code == 401 and 'name="key"' in r.text
            assert "alice" not in r.text and "billing" not in r.text  # no data without a login
        wrong = await c.post("/dashboard/login", data={"key": "nope"})
        assert wrong.status_code == 401 and "wrong admin key" in wrong.text
        ok = await c.post("/dashboard/login", data={"key": "adm-secret-123"})
        assert ok.status_code == 303 and ok.headers["location"] == "/dashboard/"
        cookie = ok.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/dashboard" in cookie
        assert "adm-secret-123" not in cookie
        page = await c.get("/dashboard/?period=1h&by=user")
        assert page.status_code == 200 and "alice" in page.text
        assert 'action="/dashboard/logout"' in page.text and 'href="/dashboard/calls"' in page.text
        out = await c.post("/dashboard/logout")
        assert out.status_code == 303
        assert (await c.get("/dashboard/")).status_code == 401
    # A cookie signed for another key is refused.
    other = Starlette(
        routes=[Mount("/dashboard", create_dashboard_app(seeded.url, admin_key="another-key-456"))]
    )
    async with client(other) as c:
        c.cookies.set("agentcore_dashboard", cookie.split(";")[0].split("=", 1)[1])
        assert (await c.get("/dashboard/")).status_code == 401
