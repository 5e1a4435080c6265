"""Keys (401/403), attribution in the call log, rate limits and budgets (429), on one gateway."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import httpx2 as httpx
import openai
import pytest
from typer.testing import CliRunner

from agentcore.cli.app import app
from agentcore.serve.keys import KeyStore
from tests.fakes import FakeOpenAI
from tests.serve.conftest import Server, gateway_config, run_server

MSG = [{"role": "user", "content": "hi"}]


def make_key(server: Server, user: str = "alice", **limits: object) -> str:
    store: KeyStore = server.gateway.keys
    secret, _ = server.call(store.create(user, **limits))  # type: ignore[arg-type]
    return secret


def post(server: Server, key: str | None, body: object, **headers: str) -> httpx.Response:
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return httpx.post(server.url + "/v1/chat/completions", json=body, headers=headers, timeout=30)


def test_missing_unknown_revoked_and_expired_keys_are_401(gateway: Server) -> None:
    body = {"model": "agent", "messages": MSG}
    assert post(gateway, None, body).status_code == 401
    r = post(gateway, "sk-ac-0000-unknown", body)
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    store: KeyStore = gateway.gateway.keys
    secret, key = gateway.call(store.create("bob"))
    assert gateway.call(store.revoke(key.id))
    assert "revoked" in post(gateway, secret, body).json()["error"]["message"]
    old, _ = gateway.call(store.create("bob", expires_in=timedelta(seconds=-1)))
    r = post(gateway, old, body)
    assert r.status_code == 401 and "expired" in r.json()["error"]["message"]


def test_a_model_outside_the_keys_list_is_403(gateway: Server, fake_openai: FakeOpenAI) -> None:
    key = make_key(gateway, models=["agent"])
    assert post(gateway, key, {"model": "agent", "messages": MSG}).status_code == 200
    r = post(gateway, key, {"model": "openai/gpt-4o-mini", "messages": MSG})
    assert r.status_code == 403 and r.json()["error"]["param"] == "model"
    listed = httpx.get(gateway.url + "/v1/models", headers={"Authorization": f"Bearer {key}"}).json()
    assert [m["id"] for m in listed["data"]] == ["agent"]


def test_rpm_limit_is_429_with_retry_after(gateway: Server) -> None:
    key = make_key(gateway, rpm=3)
    codes = [post(gateway, key, {"model": "agent", "messages": MSG}).status_code for _ in range(3)]
    r = post(gateway, key, {"model": "agent", "messages": MSG})
    assert codes == [200, 200, 200]
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
    assert r.json()["error"]["code"] == "rate_limit_exceeded"


def test_tpm_and_budget(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    config = gateway_config(
        tmp_path, fake_openai.url, pricing={"gpt-4o-mini": {"input": 1_000_000, "output": 0}}
    )
    for server in run_server(config):
        tpm = make_key(server, tpm=20)
        fake_openai.reply_text("ok", usage=(15, 10))
        assert post(server, tpm, {"model": "agent", "messages": MSG}).status_code == 200
        r = post(server, tpm, {"model": "agent", "messages": MSG})
        assert r.status_code == 429 and "tokens per minute" in r.json()["error"]["message"]
        # $1 per input token: the first request spends $10 of a $5 budget
        budget = make_key(server, budget_usd=5.0, budget_period="month")
        fake_openai.reply_text("ok", usage=(10, 1))
        assert post(server, budget, {"model": "agent", "messages": MSG}).status_code == 200
        r = post(server, budget, {"model": "agent", "messages": MSG})
        assert r.status_code == 429
        assert (
            r.json()["error"]["code"] == "budget_exceeded" and r.json()["error"]["type"] == "budget_exceeded"
        )
        assert int(r.headers["retry-after"]) > 0


def test_call_log_rows_carry_the_keys_user_module_and_the_clients_user(
    gateway: Server, fake_openai: FakeOpenAI
) -> None:
    store: KeyStore = gateway.gateway.keys
    secret, key = gateway.call(store.create("carol", module="recipes"))
    for model in ("agent", "openai/gpt-4o-mini"):
        r = post(
            gateway,
            secret,
            {"model": model, "messages": MSG, "user": "end-user-7", "metadata": {"team": "blue"}},
        )
        assert r.status_code == 200
    gateway.stop()  # flushes the call log
    db = Path(str(gateway.config.storage.url).removeprefix("sqlite:///"))
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT user_id, module, tags FROM llm_call_logs").fetchall()
        stored = conn.execute("SELECT key_hash FROM agentcore_api_keys WHERE id = ?", (key.id,)).fetchone()
    assert len(rows) == 2
    for user, module, tags in rows:
        assert (user, module) == ("carol", "recipes")
        assert json.loads(tags) == {"client_user": "end-user-7", "team": "blue", "key_id": key.id}
    assert secret not in stored[0] and len(stored[0]) == 64
    # `agentcore usage --by key` groups the gateway's traffic by the key that made it.
    from agentcore.storage.db import resolve_url
    from agentcore.tracing.query import usage_by

    groups = asyncio.run(usage_by(resolve_url(str(gateway.config.storage.url)), by="key"))
    assert [(g["key"], g["requests"]) for g in groups] == [(key.id, 2)]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": MSG}, "model"),
        ({"model": "agent"}, "messages"),
        ({"model": "agent", "messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        ({"model": "agent", "messages": MSG, "temperature": "hot"}, "temperature"),
        (
            {"model": "agent", "messages": [{"role": "user", "content": [{"type": "video"}]}]},
            "messages[0].content[0].type",
        ),
        (
            {"model": "agent", "messages": MSG, "tools": [{"type": "function", "function": {}}]},
            "tools[0].function.name",
        ),
    ],
)
def test_bad_bodies_are_400_naming_the_field(gateway: Server, body: dict[str, object], param: str) -> None:
    r = post(gateway, gateway.gateway.admin_key, body)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["param"] == param and param in error["message"]


def test_bad_json_too_large_bodies_and_unknown_models(gateway: Server) -> None:
    auth = {"Authorization": f"Bearer {gateway.gateway.admin_key}", "content-type": "application/json"}
    r = httpx.post(gateway.url + "/v1/chat/completions", content=b'{"model": ', headers=auth)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    big = b'{"model": "agent", "messages": [], "x": "' + b"a" * 20_000_001 + b'"}'
    r = httpx.post(gateway.url + "/v1/chat/completions", content=big, headers=auth, timeout=60)
    assert r.status_code == 400 and r.json()["error"]["code"] == "request_too_large"
    r = post(gateway, gateway.gateway.admin_key, {"model": "nope/model", "messages": MSG})
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"


def test_keys_cli_create_list_show_revoke(tmp_path: Path) -> None:
    runner = CliRunner()
    db = ["--db", f"sqlite:///{tmp_path / 'keys.db'}"]
    created = runner.invoke(
        app,
        ["keys", "create", "--user", "dave", "--module", "m", "--models", "agent,openai/gpt-4o-mini",
         "--rpm", "5", "--budget", "2.5", "--per", "month", "--expires", "30d", "--json", *db],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    data = json.loads(created.stdout)
    assert data["key"].startswith("sk-ac-") and data["models"] == ["agent", "openai/gpt-4o-mini"]
    listed = runner.invoke(app, ["keys", "list", *db])
    assert data["id"] in listed.stdout and data["key"] not in listed.stdout and "active" in listed.stdout
    shown = json.loads(runner.invoke(app, ["keys", "show", data["id"], *db]).stdout)
    assert shown["budget_period"] == "month" and shown["rpm"] == 5
    assert runner.invoke(app, ["keys", "revoke", data["id"], *db]).exit_code == 0
    again = runner.invoke(app, ["keys", "revoke", data["id"], *db])
    assert again.exit_code == 1 and "no active key" in again.output
    bad = runner.invoke(app, ["keys", "create", "--user", "x", "--expires", "soon", *db])
    assert bad.exit_code == 2 and "30d" in bad.output


async def test_admin_key_from_the_environment(
    tmp_path: Path, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTCORE_ADMIN_KEY", "env-admin-key-123456")
    config = gateway_config(tmp_path, fake_openai.url, serve={"adminKey": None})
    for server in run_server(config):
        async with openai.AsyncOpenAI(base_url=server.url + "/v1", api_key="env-admin-key-123456") as c:
            reply = await c.chat.completions.create(model="agent", messages=MSG)  # type: ignore[arg-type]
        assert reply.choices[0].message.content == "ok"
