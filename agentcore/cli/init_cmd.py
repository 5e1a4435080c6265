"""``agentcore init``: a working cipher.yml, prompts/default.md and tools/ for what this machine has."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from agentcore.cli.app import app

#: provider -> (the variable its key is read from, a sensible first model)
KEYED: tuple[tuple[str, str, str], ...] = (
    ("openai", "OPENAI_API_KEY", "gpt-4o-mini"),
    ("anthropic", "ANTHROPIC_API_KEY", "claude-sonnet-4-5"),
    ("gemini", "GEMINI_API_KEY", "gemini-2.5-flash"),
    ("openrouter", "OPENROUTER_API_KEY", "openai/gpt-4o-mini"),
    ("deepseek", "DEEPSEEK_API_KEY", "deepseek-chat"),
    ("qwen", "DASHSCOPE_API_KEY", "qwen-plus"),
)
DEFAULT_MODELS = {p: m for p, _, m in KEYED} | {"ollama": "llama3.2", "lmstudio": "local-model"}

PROMPT = """You are a capable assistant running inside agentcore.

- Answer directly and concisely; use tools when they give a better answer than memory.
- When a tool returns an error, read it, fix the arguments and try again, or explain what went wrong.
- Never invent tool results.
"""

EXAMPLE_TOOL = '''"""An example tool: every @tool function in tools/*.py is offered to the model.

The docstring is the description the model reads; the type hints become the argument schema.
"""

from __future__ import annotations

from agentcore import tool


@tool
def word_count(text: str) -> int:
    """Count the words in a text.

    Args:
        text: The text to count the words of.
    """
    return len(text.split())
'''


@dataclass(frozen=True)
class Choice:
    """The model the config will use, and why."""

    llm: dict[str, Any]
    reason: str


def detect(provider: str | None, model: str | None) -> Choice:
    """``--provider/--model`` when given; else a key in the environment; else a local server that
    answers; else the built-in model."""
    from agentcore.cli._onboard import builtin_llm, find_local_server, server_llm

    if provider is not None:
        if provider == "local":
            return Choice({**builtin_llm(), **({"model": model} if model else {})}, "--provider local")
        return Choice(
            {"provider": provider, "model": model or DEFAULT_MODELS.get(provider, "MODEL")}, "--provider"
        )
    for name, env, first in KEYED:
        if os.environ.get(env):
            return Choice({"provider": name, "model": model or first}, f"{env} is set")
    server = find_local_server()
    if server is not None:
        llm = server_llm(server)
        if model:
            llm["model"] = model
        return Choice(llm, f"{server.provider} answers at {server.base_url}")
    from agentcore.llm import local

    if local.available():
        return Choice(builtin_llm(), "no key and no local server: the built-in model")
    return Choice(
        {"provider": "openai", "model": model or "gpt-4o-mini"},
        "nothing found: set OPENAI_API_KEY before running",
    )


def render_config(choice: Choice) -> str:
    """cipher.yml's text: the chosen model, the prompt file and the tools folder."""
    import json

    llm = "\n".join(f"  {key}: {json.dumps(value)}" for key, value in choice.llm.items())
    key_note = (
        "  # apiKey: read from the provider's usual variable (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...)\n"
        if "apiKey" not in choice.llm and choice.llm["provider"] not in ("ollama", "lmstudio", "local")
        else ""
    )
    return (
        f"# agentcore configuration, written by `agentcore init` ({choice.reason}).\n"
        "# `agentcore config check` validates it; docs/cli.md lists every command.\n\n"
        f"llm:\n{llm}\n{key_note}  maxIterations: 10\n\n"
        "systemPrompt:\n  file: prompts/default.md\n\n"
        "localTools:\n  - ./tools\n"
    )


def _may_write(path: Path, force: bool) -> bool:
    if not path.exists() or force:
        return True
    if not sys.stdin.isatty():
        answer = sys.stdin.readline().strip().lower()  # a scripted answer, if any
        typer.echo(f"{path} exists: overwrite? [y/N] {answer}")
        return answer in ("y", "yes")
    return typer.confirm(f"{path} exists: overwrite?", default=False)


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="where to write the files (default: here)")] = Path(),
    provider: Annotated[
        str | None, typer.Option("--provider", help="use this provider instead of detecting one")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="use this model")] = None,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="overwrite existing files without asking")
    ] = False,
) -> None:
    """Write cipher.yml, prompts/default.md and tools/example.py for the keys and local servers found."""
    from agentcore.cli._common import fail
    from agentcore.config.schema import PROVIDERS

    if provider is not None and provider not in PROVIDERS:
        fail(f"unknown provider '{provider}' (known: {', '.join(PROVIDERS)})", 2)
    choice = detect(provider, model)
    files = {
        folder / "cipher.yml": render_config(choice),
        folder / "prompts" / "default.md": PROMPT,
        folder / "tools" / "example.py": EXAMPLE_TOOL,
    }
    written: list[Path] = []
    for path, text in files.items():
        if path.is_file() and path.read_text(encoding="utf-8", errors="replace") == text:
            continue  # already as it would be written: nothing to ask
        if not _may_write(path, force):
            typer.echo(f"kept {path}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    llm = choice.llm
    typer.echo(f"model: {llm['provider']}/{llm['model']} ({choice.reason})")
    for path in written:
        typer.echo(f"wrote {path}")
    typer.echo('next: agentcore chat   (or: agentcore run "hello")')
