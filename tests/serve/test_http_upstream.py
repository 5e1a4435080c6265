"""HTTP providers behind the gateway: per-user upstream keys from the keys table, and auth tokens
shared between two gateway instances through Redis."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from agentcore.config.loader import load_config_from_dict
from agentcore.config.schema import AgentConfig
from agentcore.serve.upstream_keys import SECRET_ENV, UpstreamKeyStore
from tests.helpers import require_redis
from tests.llm.http._fakes import FakeOllama, FakeTokenApi
from tests.llm.http.conftest import ollama_llm, token_llm
from tests.serve.conftest import ADMIN, Server, run_server

MSG = [{"role": "user", "content": "hi"}]
REDIS = os.environ.get("AGENTCORE_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def ollama() -> Iterator[FakeOllama]:
    fake = FakeOllama()
    yield fake
    fake.close()


@pytest.fixture
def token_api() -> Iterator[FakeTokenApi]:
    fake = FakeTokenApi()
    yield fake
    fake.close()


def _client(server: Server, key: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=server.url + "/v1", max_retries=0)


def _ask(server: Server, key: str, model: str, *, stream: bool = False) -> str:
    """The answer's text, through the OpenAI SDK (streamed or not)."""
    client: Any = _client(server, key)
    if stream:
        chunks: Any = client.chat.completions.create(model=model, messages=MSG, stream=True)
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    reply: Any = client.chat.completions.create(model=model, messages=MSG)
    return str(reply.choices[0].message.content or "")


def _user_key(server: Server, user: str) -> str:
    secret, _ = server.call(server.gateway.keys.create(user))
    return secret


def _config(tmp_path: Path, llm: dict[str, Any], redis: str | None = None) -> AgentConfig:
    data: dict[str, Any] = {
        "llm": llm,
        "localTools": [],
        "storage": {"url": f"sqlite:///{tmp_path / 'gateway.db'}", "redis": redis},
        "serve": {"adminKey": ADMIN, "keyCacheSeconds": 0},
    }
    return load_config_from_dict(data, base_dir=tmp_path)


@pytest.mark.parametrize("stream", [False, True])
def test_each_gateway_user_calls_upstream_with_their_stored_key(
    tmp_path: Path, ollama: FakeOllama, monkeypatch: pytest.MonkeyPatch, stream: bool
) -> None:
    monkeypatch.setenv(SECRET_ENV, "test-keys-secret-" + os.urandom(8).hex())
    llm = ollama_llm(ollama.url)
    llm["http"]["chat"]["headers"] = {"Authorization": "Bearer {{api_key}}"}
    llm["http"]["userKeys"] = {"table": True, "fallback": False}
    for server in run_server(_config(tmp_path, llm)):
        ann, bob, eve = (_user_key(server, u) for u in ("ann", "bob", "eve"))
        upstream = UpstreamKeyStore(server.gateway.db_url)
        server.call(upstream.set("ann", "ollama-native", "sk-upstream-ann-000111"))
        server.call(upstream.set("bob", "ollama-native", "sk-upstream-bob-000222"))
        ollama.push("for ann", "for bob")
        answers = [_ask(server, key, "llama3.2", stream=stream) for key in (ann, bob)]
        assert answers == ["for ann", "for bob"]
        sent = [r.headers.get("authorization") for r in ollama.requests]
        assert sent == ["Bearer sk-upstream-ann-000111", "Bearer sk-upstream-bob-000222"]
        # A user without a stored key (and no fallback) gets a clear error, not someone else's key.
        with pytest.raises(openai.APIStatusError) as info:
            _ask(server, eve, "llama3.2")
        assert "no API key for user 'eve'" in str(info.value)
        assert len(ollama.requests) == 2
        # Stored encrypted: the database holds no key.
        import sqlite3

        raw = (
            sqlite3.connect(tmp_path / "gateway.db")
            .execute("SELECT * FROM agentcore_upstream_keys")
            .fetchall()
        )
        assert len(raw) == 2 and "sk-upstream" not in repr(raw)


def test_two_gateways_share_one_auth_token_through_redis(tmp_path: Path, token_api: FakeTokenApi) -> None:
    require_redis()
    llm = token_llm(token_api.url)
    llm["http"]["name"] = "ernie-" + os.urandom(6).hex()  # its own Redis key: runs never collide
    servers: list[Server] = []
    try:
        for i in range(2):
            folder = tmp_path / f"gw{i}"
            folder.mkdir()
            servers.append(Server(_config(folder, llm, REDIS)).start())
        token_api.push("one", "two", "three")
        answers = [_ask(server, ADMIN, "ernie-4.0") for server in servers]
        assert answers == ["one", "two"]
        assert token_api.issued == ["tok-1"]  # the second gateway found the token in Redis
        # A 401 on the second gateway refreshes once, and the first one then uses the new token.
        token_api.revoke()
        assert _ask(servers[1], ADMIN, "ernie-4.0", stream=True) == "three"
        token_api.push("four")
        assert _ask(servers[0], ADMIN, "ernie-4.0") == "four"
        assert token_api.issued == ["tok-1", "tok-2"]
        tokens = [r.query["access_token"] for r in token_api.chat_requests()]
        # gateway 0 still held tok-1 in memory: its 401 sends it to Redis, where tok-2 is waiting
        assert tokens == ["tok-1", "tok-1", "tok-1", "tok-2", "tok-1", "tok-2"]
    finally:
        for server in servers:
            server.stop()


def test_keys_upstream_cli_set_list_remove(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from typer.testing import CliRunner

    from agentcore.cli.app import app

    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    db = ["--db", url]
    monkeypatch.delenv(SECRET_ENV, raising=False)
    missing = runner.invoke(
        app, ["keys", "upstream", "set", "--user", "ann", "--provider", "ernie", *db], input="k\n"
    )
    assert missing.exit_code != 0 and SECRET_ENV in missing.output
    monkeypatch.setenv(SECRET_ENV, "cli-secret-0001")
    args = ["keys", "upstream", "set", "--user", "ann", "--provider", "ernie", *db]
    done = runner.invoke(app, args, input="sk-upstream-ann-cli-01\n")
    assert done.exit_code == 0, done.output
    assert "sk-upstream-ann-cli-01" not in done.output  # the prompt hides it
    listed = runner.invoke(app, ["keys", "upstream", "list", "--user", "ann", *db])
    assert listed.stdout.split() == ["ernie"]
    from agentcore.storage.db import resolve_url

    stored = asyncio.run(UpstreamKeyStore(resolve_url(url)).upstream_key("ann", "ernie"))
    assert stored == "sk-upstream-ann-cli-01"
    remove = ["keys", "upstream", "remove", "--user", "ann", "--provider", "ernie", *db]
    assert runner.invoke(app, remove).exit_code == 0
    again = runner.invoke(app, remove)
    assert again.exit_code == 1 and "no stored key" in again.output
