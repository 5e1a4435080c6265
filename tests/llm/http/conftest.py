"""The three fake APIs and the ``llm:`` blocks that describe them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.llm.http._fakes import FakeOllama, FakeSseApi, FakeTokenApi

REPO_TOOLS = str(Path(__file__).resolve().parents[3] / "tools")


@pytest.fixture
def token_api() -> Iterator[FakeTokenApi]:
    fake = FakeTokenApi()
    yield fake
    fake.close()


@pytest.fixture
def ollama() -> Iterator[FakeOllama]:
    fake = FakeOllama()
    yield fake
    fake.close()


@pytest.fixture
def sse_api() -> Iterator[FakeSseApi]:
    fake = FakeSseApi()
    yield fake
    fake.close()


def token_llm(url: str, **http: Any) -> dict[str, Any]:
    """ERNIE-style: client id/secret for a token, ``?access_token=`` on the chat URL, NDJSON."""
    block: dict[str, Any] = {
        "name": "ernie",
        "auth": {
            "url": url + "/oauth/2.0/token",
            "params": {
                "grant_type": "client_credentials",
                "client_id": FakeTokenApi.CLIENT_ID,
                "client_secret": "{{api_key}}",
            },
            "setData": {"access_token": "access_token"},
            "expiresIn": "expires_in",
        },
        "chat": {
            "url": url + "/chat/{{model}}",
            "params": {"access_token": "{{access_token}}"},
            "body": {"messages": "{{messages}}", "system": "{{system}}", "stream": "{{stream}}"},
        },
        "response": {
            "text": "result",
            "usage": {"prompt": "usage.prompt_tokens", "completion": "usage.completion_tokens"},
            "error": {"message": "error_msg", "code": "error_code", "authCodes": [110, 111]},
        },
        "stream": {"framing": "ndjson", "done": "is_end"},
        **http,
    }
    return {"provider": "http", "model": "ernie-4.0", "apiKey": "sk-test-ernie-secret-0001", "http": block}


def ollama_llm(url: str, **http: Any) -> dict[str, Any]:
    """Ollama's native /api/chat with native tools."""
    block: dict[str, Any] = {
        "name": "ollama-native",
        "chat": {
            "url": url + "/api/chat",
            "body": {
                "model": "{{model}}",
                "messages": "{{messages}}",
                "stream": "{{stream}}",
                "tools": "{{tools}}",
                "options": {"temperature": "{{temperature}}"},
            },
        },
        "response": {
            "text": "message.content",
            "finishReason": "done_reason",
            "toolCalls": {
                "path": "message.tool_calls",
                "name": "function.name",
                "arguments": "function.arguments",
            },
            "usage": {"prompt": "prompt_eval_count", "completion": "eval_count"},
            "error": {"message": "error"},
        },
        "stream": {"framing": "ndjson", "done": "done"},
        **http,
    }
    return {"provider": "http", "model": "llama3.2", "http": block}


def sse_llm(url: str, **http: Any) -> dict[str, Any]:
    """An SSE API needing chunkMatch (comment, event and junk lines) and chunkFilter (system echo)."""
    block: dict[str, Any] = {
        "name": "gateway",
        "apiKeyEnv": "GATEWAY_KEY",
        "chat": {
            "url": url + "/v2/generate",
            "headers": {"X-Api-Key": "{{api_key}}"},
            "body": {
                "prompt": "{{messages | last_user_text}}",
                "history": "{{messages | join_text}}",
                "system": "{{system}}",
                "stream": "{{stream}}",
            },
            "messagesFormat": "openai",
        },
        "response": {
            "text": "output.text",
            "finishReason": "stop",
            "usage": {"prompt": "usage.in", "completion": "usage.out"},
        },
        "stream": {
            "framing": "lines",
            "chunkMatch": "^data: (.*)$",
            "doneMarker": "[DONE]",
            "chunkFilter": [{"path": "choices.0.delta.role", "op": "==", "value": "system"}],
            "text": "choices.0.delta.content",
            "finishReason": "choices.0.stop",
        },
        **http,
    }
    return {"provider": "http", "model": "gw-1", "http": block}


def agent_data(
    llm: dict[str, Any], tmp_path: Path, *, tools: bool = False, db: bool = False
) -> dict[str, Any]:
    return {
        "llm": llm,
        "localTools": [REPO_TOOLS] if tools else [],
        "storage": {"url": f"sqlite:///{tmp_path / 'calls.db'}" if db else "memory://"},
        "systemPrompt": "You are terse.",
    }
