"""What ``chat`` and ``run`` do with no usable config: a local server if one listens, else the built-in
model, else explain how to configure one."""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from agentcore.agent import Agent

LOCAL_SERVERS = (
    ("ollama", "OLLAMA_BASE_URL", "http://127.0.0.1:11434/v1"),
    ("lmstudio", "LMSTUDIO_BASE_URL", "http://127.0.0.1:1234/v1"),
    ("llamacpp", "LLAMACPP_BASE_URL", "http://127.0.0.1:8080/v1"),
)


def local_servers() -> tuple[tuple[str, str], ...]:
    """(name, base URL) of the local servers to look for; ``*_BASE_URL`` variables move them."""
    import os

    found: list[tuple[str, str]] = []
    for name, env, default in LOCAL_SERVERS:
        url = (os.environ.get(env) or default).rstrip("/")
        found.append((name, url if url.endswith("/v1") else url + "/v1"))
    return tuple(found)


def server_llm(server: LocalServer) -> dict[str, Any]:
    """The ``llm:`` block for a found server (llama.cpp's own server speaks plain OpenAI)."""
    if server.provider == "llamacpp":
        return {"provider": "openai", "model": server.model, "baseURL": server.base_url, "apiKey": "none"}
    return {"provider": server.provider, "model": server.model, "baseURL": server.base_url}


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
    servers: tuple[tuple[str, str], ...] | None = None, timeout: float = 0.3
) -> LocalServer | None:
    """The first local server that answers ``/models`` with at least one model."""
    for provider, url in servers if servers is not None else local_servers():
        model = _first_model(url, timeout)
        if model:
            return LocalServer(provider, url, model)
    return None


BUILTIN_NOTICE = (
    "note: no model is configured: using the built-in local model {model} (tiny, to try things out);"
    " for a real one run `agentcore init` or export OPENAI_API_KEY (or another provider's key)"
)


def builtin_llm() -> dict[str, Any]:
    """The ``llm:`` block of the built-in model: tools through the prompt (it has no native tool calling)."""
    from agentcore.llm.local import DEFAULT_MODEL

    # maxTokens: a 135M model can ramble on to the end of its window
    return {"provider": "local", "model": DEFAULT_MODEL, "maxTokens": 512, "toolCalling": "prompt"}


def load_or_fallback(
    config: Path | None, flags: dict[str, Any], choice: tuple[str | None, str | None]
) -> Agent:
    """The configured agent; with nothing usable configured (no cipher.yml, or no key for its provider)
    and no model named on the command line: a local server that answers, else the built-in model,
    with a one-line notice. Without either: the onboarding text and exit code 2."""
    from agentcore.cli._common import cli_agent, load_agent
    from agentcore.config.loader import load_config, load_config_from_dict
    from agentcore.errors import ConfigError, ConfigNotFound
    from agentcore.llm import local

    try:
        return load_agent(config, flags, choice)
    except ConfigError as exc:
        missing = exc.key_path == "llm.apiKey" or isinstance(exc, ConfigNotFound)
        if config is not None or not missing or flags.get("llm") or any(choice):
            raise
        from agentcore._redact import redact_text

        server = find_local_server()
        if server is not None:
            llm = server_llm(server)
            sys.stderr.write(
                f"note: no model is configured: using {server.provider} at {server.base_url}, model"
                f" '{server.model}' (run `agentcore init` to keep this in cipher.yml)\n"
            )
        elif local.available() and os.environ.get("AGENTCORE_BUILTIN_MODEL", "on") != "off":
            llm = builtin_llm()
            sys.stderr.write(BUILTIN_NOTICE.format(model=llm["model"]) + "\n")
        else:
            sys.stderr.write(f"{redact_text(str(exc))}\n\n{HELP}\n")
            raise SystemExit(2) from None
        rest = {k: v for k, v in flags.items() if k != "llm"}  # e.g. --system
        if not isinstance(exc, ConfigNotFound):
            try:  # keep the file's prompt, tools and storage; only the model changes
                return cli_agent(load_config(None, overrides={**rest, "llm": llm}))
            except ConfigError:
                pass
        return cli_agent(load_config_from_dict({**rest, "llm": llm}))
