"""The HTTP provider as a user meets it: ``agentcore run``, ``config check``, ``providers test``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli.test_run_cli import run_cli
from tests.conftest import SCANNED_DATABASES
from tests.llm.http._fakes import FakeOllama, FakeSseApi, FakeTokenApi
from tests.llm.http.conftest import agent_data, ollama_llm, sse_llm, token_llm


def write(tmp_path: Path, llm: dict[str, Any], **kw: Any) -> Path:
    data = agent_data(llm, tmp_path, **kw)
    path = tmp_path / "cipher.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def call_rows(tmp_path: Path) -> list[tuple[str, str, int, int, str]]:
    db = tmp_path / "calls.db"
    SCANNED_DATABASES.append(db)
    with sqlite3.connect(db) as conn:
        query = "SELECT provider, model, prompt_tokens, completion_tokens, status FROM llm_call_logs ORDER BY created_at"
        return [tuple(r) for r in conn.execute(query)]  # type: ignore[misc]


@pytest.mark.parametrize("json_out", [False, True])
def test_run_against_the_token_api(token_api: FakeTokenApi, tmp_path: Path, json_out: bool) -> None:
    token_api.push("Hello from ERNIE")
    config = write(tmp_path, token_llm(token_api.url), db=True)
    args = ["run", "-c", str(config), *(["--json"] if json_out else []), "hi"]
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    if json_out:  # not streamed
        out = json.loads(proc.stdout)
        assert out["answer"] == "Hello from ERNIE"
        assert (out["usage"]["prompt_tokens"], out["usage"]["completion_tokens"]) == (11, 3)
    else:  # streamed
        assert proc.stdout.strip() == "Hello from ERNIE"
    assert token_api.chat_requests()[0].json()["stream"] is (not json_out)
    assert call_rows(tmp_path) == [("http:ernie", "ernie-4.0", 11, 3, "success")]


@pytest.mark.parametrize("json_out", [False, True])
def test_run_tool_loop_against_ollama(ollama: FakeOllama, tmp_path: Path, json_out: bool) -> None:
    ollama.push({"name": "calculate", "arguments": {"expression": "2**10"}}, "It is 1024")
    config = write(tmp_path, ollama_llm(ollama.url), tools=True, db=True)
    proc = run_cli("run", "-c", str(config), *(["--json"] if json_out else []), "2**10?")
    assert proc.returncode == 0, proc.stderr
    if json_out:
        out = json.loads(proc.stdout)
        assert out["answer"] == "It is 1024" and out["tool_calls"][0]["result"] == "1024"
    else:
        assert proc.stdout.strip() == "It is 1024"
        assert "calculate" in proc.stderr
    assert [r[:4] for r in call_rows(tmp_path)] == [("http:ollama-native", "llama3.2", 26, 7)] * 2


@pytest.mark.parametrize("json_out", [False, True])
def test_run_against_the_sse_api(sse_api: FakeSseApi, tmp_path: Path, json_out: bool) -> None:
    sse_api.push("Bonjour")
    config = write(tmp_path, sse_llm(sse_api.url), db=True)
    env = {"GATEWAY_KEY": FakeSseApi.API_KEY}
    proc = run_cli("run", "-c", str(config), *(["--json"] if json_out else []), "hello?", env=env)
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)["answer"] if json_out else proc.stdout.strip()
    assert answer == "Bonjour"
    assert [r[:4] for r in call_rows(tmp_path)] == [("http:gateway", "gw-1", 9, 4)]


def test_run_with_an_absent_path_names_it(ollama: FakeOllama, tmp_path: Path) -> None:
    llm = ollama_llm(ollama.url)
    llm["http"]["response"]["text"] = "message.txt"
    config = write(tmp_path, llm)
    proc = run_cli("run", "-c", str(config), "--json", "hi")
    assert proc.returncode == 2
    assert "llm.http.response.text" in proc.stderr and "'message.txt' is not in the answer" in proc.stderr
    assert "Traceback" not in proc.stderr


# ---- config check -----------------------------------------------------------------------------


def check(tmp_path: Path, llm: dict[str, Any]) -> tuple[int, str]:
    proc = run_cli("config", "check", "-c", str(write(tmp_path, llm)))
    return proc.returncode, proc.stderr + proc.stdout


def test_config_check_accepts_the_examples(tmp_path: Path) -> None:
    code, out = check(tmp_path, token_llm("http://127.0.0.1:1"))
    assert code == 0, out
    assert "/chat/{{model}}" in out


def test_config_check_names_the_env_syntax_confusion(tmp_path: Path) -> None:
    llm = token_llm("http://x")
    llm["http"]["chat"]["body"]["model"] = "${model}"
    code, out = check(tmp_path, llm)
    assert code == 2
    assert "llm.http.chat.body.model" in out and "written {{model}}" in out
    assert "cipher.yml:" in out  # with the line


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda h: h["chat"]["body"].update(m="{{modle}}"), ("llm.http.chat.body.m", "did you mean 'model'")),
        (
            lambda h: h["auth"]["params"].update(t="{{access_token}}"),
            ("llm.http.auth.params.t", "chat request only"),
        ),
        (
            lambda h: h["stream"].update(chunkMatch="data: (.*"),
            ("llm.http.stream.chunkMatch", "bad regular expression"),
        ),
        (lambda h: h["response"].update(text="result..x"), ("llm.http.response.text", "empty segment")),
        (
            lambda h: h["stream"].update(chunkFilter=[{"path": "a", "op": "in", "value": 3}]),
            ("chunkFilter[0]", "needs a list"),
        ),
    ],
)
def test_config_check_finds_mistakes_with_the_key_path(
    tmp_path: Path, change: Any, expected: tuple[str, str]
) -> None:
    llm = token_llm("http://x")
    change(llm["http"])
    code, out = check(tmp_path, llm)
    assert code == 2, out
    assert expected[0] in out and expected[1] in out


def test_config_check_needs_the_http_block(tmp_path: Path) -> None:
    code, out = check(tmp_path, {"provider": "http", "model": "m"})
    assert code == 2 and "no 'http:' block" in out


# ---- providers test ---------------------------------------------------------------------------


def test_providers_test_prints_each_mapping(token_api: FakeTokenApi, tmp_path: Path) -> None:
    token_api.push("OK")
    proc = run_cli("providers", "test", "ernie", "-c", str(write(tmp_path, token_llm(token_api.url))))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "auth: ok; set access_token (values hidden)" in out
    assert "response.text: result -> OK" in out
    assert "response.usage.prompt: usage.prompt_tokens -> 11" in out
    assert "response.error.message: error_msg -> (absent)" in out
    assert "tok-1" not in out and "sk-test-ernie" not in out


def test_providers_test_streaming_shows_chunks(sse_api: FakeSseApi, tmp_path: Path) -> None:
    sse_api.push("Bonjour")
    config = write(tmp_path, sse_llm(sse_api.url))
    proc = run_cli(
        "providers", "test", "gateway", "--stream", "-c", str(config), env={"GATEWAY_KEY": FakeSseApi.API_KEY}
    )
    assert proc.returncode == 0, proc.stderr
    assert "text: Bonjour" in proc.stdout
    assert "stream.text: choices.0.delta.content -> " in proc.stdout
    assert "usage: prompt 9, completion 4" in proc.stdout


def test_providers_test_unknown_name(tmp_path: Path) -> None:
    proc = run_cli("providers", "test", "nope", "-c", str(write(tmp_path, token_llm("http://x"))))
    assert proc.returncode == 2 and "no http provider named 'nope'" in proc.stderr and "ernie" in proc.stderr


def test_providers_test_reads_the_users_key_from_the_keys_table(ollama: FakeOllama, tmp_path: Path) -> None:
    import asyncio

    from agentcore.serve.upstream_keys import UpstreamKeyStore
    from agentcore.storage.db import dispose_engines, resolve_url

    llm = ollama_llm(ollama.url)
    llm["http"]["chat"]["headers"] = {"Authorization": "Bearer {{api_key}}"}
    llm["http"]["userKeys"] = {"table": True, "fallback": False}
    config = write(tmp_path, llm, db=True)
    secret = "cli-keys-secret-0001"

    async def store() -> None:
        await UpstreamKeyStore(resolve_url(f"sqlite:///{tmp_path / 'calls.db'}"), secret=secret).set(
            "ann", "ollama-native", "sk-upstream-ann-cli-0001"
        )
        await dispose_engines()

    asyncio.run(store())
    ollama.push("OK")
    env = {"AGENTCORE_KEYS_SECRET": secret}
    proc = run_cli("providers", "test", "ollama-native", "--user", "ann", "-c", str(config), env=env)
    assert proc.returncode == 0, proc.stderr
    assert "response.text: message.content -> OK" in proc.stdout
    assert ollama.requests[-1].headers.get("authorization") == "Bearer sk-upstream-ann-cli-0001"
    assert "sk-upstream-ann" not in proc.stdout + proc.stderr
    # A user without a stored key is told so, with the key path.
    proc = run_cli("providers", "test", "ollama-native", "--user", "bob", "-c", str(config), env=env)
    assert proc.returncode != 0 and "no API key for user 'bob'" in proc.stdout + proc.stderr
