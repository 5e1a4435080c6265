"""What ``agentcore chat`` does with no usable config: explain, and use a local server if one listens."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from typing import Any, cast

LOCAL_SERVERS = (
    ("ollama", "http://127.0.0.1:11434/v1"),
    ("lmstudio", "http://127.0.0.1:1234/v1"),
)

HELP = """No model is configured yet. Either:
  • set a key and provider:  export OPENAI_API_KEY=sk-...   (or ANTHROPIC_API_KEY with llm.provider: anthropic)
  • or run a local OpenAI-compatible server: Ollama (ollama serve) or LM Studio (port 1234)
  • then copy the example cipher.yml (or pass --config PATH) and run: agentcore chat"""


@dataclass(frozen=True)
class LocalServer:
    """An OpenAI-compatible server found on localhost."""

    provider: str
    base_url: str
    model: str


def _first_model(base_url: str, timeout: float) -> str | None:
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=timeout) as resp:
            payload: Any = json.loads(resp.read())
    except (OSError, ValueError):
        return None
    try:
        ident = cast(str, payload["data"][0]["id"])
    except (KeyError, IndexError, TypeError):
        return None
    return str(ident) if ident else None


def find_local_server(
    servers: tuple[tuple[str, str], ...] = LOCAL_SERVERS, timeout: float = 0.3
) -> LocalServer | None:
    """The first local server that answers ``/models`` with at least one model."""
    for provider, url in servers:
        model = _first_model(url, timeout)
        if model:
            return LocalServer(provider, url, model)
    return None
