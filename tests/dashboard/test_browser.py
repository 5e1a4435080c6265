"""The dashboard in a real browser (Debian's Chromium driven by Playwright), mounted like ``serve``
mounts it: log in, read the overview, change the period, filter by user, open a trace, log out.
Writes the README screenshots into docs/img/."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from agentcore.dashboard import create_dashboard_app
from tests.dashboard import _seed
from tests.fakes import FakeOpenAI

CHROMIUM = os.environ.get("AGENTCORE_CHROMIUM", "/usr/bin/chromium")
IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
KEY = "adm-browser-key-789"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason=f"no Chromium at {CHROMIUM}; .ci/run installs Debian's chromium",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    """uvicorn in a thread serving a gateway-like app with the dashboard at /dashboard."""

    def __init__(self, url: str) -> None:
        import uvicorn

        app = Starlette(routes=[Mount("/dashboard", create_dashboard_app(url, admin_key=KEY))])
        self.port = _free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the dashboard server did not start")
            threading.Event().wait(0.02)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'agentcore.db'}"


@pytest.fixture
async def seeded(db_url: str, fake_openai: FakeOpenAI, tmp_path: Path) -> str:
    from agentcore.storage.db import dispose_engines

    await _seed.agent_runs(fake_openai, tmp_path, db_url)
    await _seed.insert(db_url, _seed.unpriced_rows(3))
    await _seed.insert(db_url, _seed.keyed_rows(), _seed.KEYED_COLUMNS)
    await dispose_engines()
    return db_url


@pytest.fixture
def server(seeded: str) -> Iterator[str]:
    with _Server(seeded) as base:
        yield base


@pytest.fixture
async def page(server: str) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory() as profile:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, args=ARGS, headless=True,
                viewport={"width": 1400, "height": 1000},
            )  # fmt: skip
            try:
                tab = browser.pages[0] if browser.pages else await browser.new_page()
                tab.set_default_timeout(15_000)
                yield tab
            finally:
                await browser.close()


async def _db_figures(url: str) -> tuple[int, int, int]:
    """requests, errors and prompt tokens straight from the table."""
    rows = await asyncio.to_thread(
        _seed.sqlite_rows, url,
        "SELECT count(*), sum(status = 'error'), sum(prompt_tokens) FROM llm_call_logs",
    )  # fmt: skip
    return int(rows[0][0]), int(rows[0][1]), int(rows[0][2])


async def test_dashboard_in_chromium(page: Any, server: str, seeded: str) -> None:
    base = f"{server}/dashboard"
    # No session: the login page, and none of the data.
    await page.goto(f"{base}/calls?period=1h")
    assert await page.locator("#login").is_visible()
    assert "alice" not in await page.content()
    await page.fill("input[name=key]", "wrong")
    await page.click("#login button")
    assert await page.locator("#login-error").inner_text() == "wrong admin key"
    await page.fill("input[name=key]", KEY)
    await page.click("#login button")
    await page.wait_for_url(f"{base}/")
    cookies = await page.context.cookies()
    session = next(c for c in cookies if c["name"] == "agentcore_dashboard")
    assert session["httpOnly"] and session["sameSite"] == "Strict" and KEY not in session["value"]
    assert KEY not in page.url

    # Overview, last hour: the numbers shown are the database's.
    await page.click("[data-period='1h']")
    await page.wait_for_url(re.compile(r"period=1h"))
    requests, errors, prompt = await _db_figures(seeded)
    assert await page.inner_text("[data-fig=requests]") == str(requests)
    assert await page.inner_text("[data-fig=errors]") == str(errors)
    assert await page.inner_text("[data-fig=prompt_tokens]") == f"{prompt:,}"
    assert (await page.inner_text("[data-fig=cost]")).endswith("+ 3 unpriced")
    assert await page.locator("svg.chart").count() == 4
    await page.click("[data-by=user]")
    await page.wait_for_url(re.compile(r"by=user"))
    assert await page.locator("#breakdown tr[data-group=alice]").is_visible()
    IMG.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(IMG / "dashboard-overview.png"), full_page=True)

    # Change the period: 30 days holds the same calls; the URL carries it.
    await page.click("[data-period='30d']")
    await page.wait_for_url(re.compile(r"period=30d"))
    assert await page.inner_text("[data-fig=requests]") == str(requests)

    # Group by the gateway's key (read from each call's tags): each row is the database's count.
    await page.click("[data-by=key]")
    await page.wait_for_url(re.compile(r"by=key"))
    expected = await asyncio.to_thread(
        _seed.sqlite_rows, seeded,
        "SELECT coalesce(json_extract(tags, '$.key_id'), '(none)'), count(*), sum(prompt_tokens) "
        "FROM llm_call_logs GROUP BY 1",
    )  # fmt: skip
    assert {k for k, _, _ in expected} == {"k-red", "k-blue", "(none)"}
    for key, count, prompt_sum in expected:
        cells = page.locator(f"#breakdown tr[data-group='{key}'] td")
        assert await cells.nth(1).inner_text() == str(count)
        assert await cells.nth(3).inner_text() == f"{prompt_sum:,}"
    await page.click("#breakdown tr[data-group=k-blue] td.key a")
    await page.wait_for_url(re.compile(r"key=k-blue"))
    assert await page.inner_text("[data-fig=requests]") == "3"

    # Calls, filtered by user through the form: the filter lands in the URL.
    await page.click("nav >> text=Calls")
    await page.fill("#filters input[name=user]", "bob")
    await page.click("#filters button")
    await page.wait_for_url(re.compile(r"user=bob"))
    statuses = await page.locator("#calls tbody tr").evaluate_all("rows => rows.map(r => r.className)")
    assert sorted(statuses) == ["error", "success"]

    # A row opens its trace: the failed attempt is highlighted and open.
    await page.click("#calls tr.error td.key a")
    await page.wait_for_url(re.compile(r"/traces/\w+#n-\w+"))
    hit = page.locator("details.node.hit")
    assert await hit.get_attribute("data-status") == "error"
    assert "upstream exploded" in await hit.inner_text()

    # Alice's trace: run -> llm -> tool -> llm, with the stored bodies.
    await page.goto(f"{base}/traces")
    links = page.locator("#traces td.key a")
    for i in range(await links.count()):
        await page.goto(f"{base}/traces")
        await links.nth(i).click()
        await page.wait_for_selector("#tree")
        if await page.locator("#tree [data-kind=tool]").count():
            break
    kinds = await page.locator("#tree details.node").evaluate_all("ns => ns.map(n => n.dataset.kind)")
    assert kinds == ["run", "llm", "tool", "llm"]
    last = page.locator("#tree details.node[data-kind=llm]").last
    await last.locator("summary.row").click()
    await last.locator("details summary", has_text="response").click()
    assert "2 + 3 = 5" in await last.locator("pre").last.inner_text()
    await page.screenshot(path=str(IMG / "dashboard-trace.png"), full_page=True)

    # Log out: back to the login page, data pages refused.
    await page.click("#logout")
    await page.wait_for_url(f"{base}/login")
    await page.goto(f"{base}/?period=1h")
    assert await page.locator("#login").is_visible()
    assert await page.locator("[data-fig=requests]").count() == 0
