"""``agentcore sessions``: list, show, export, rename, reset and delete stored conversations."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from agentcore.cli._common import fail, user_errors

if TYPE_CHECKING:
    from agentcore.context.store import SessionStore
    from agentcore.messages import InternalMessage

T = TypeVar("T")

sessions_app = typer.Typer(
    help="Stored conversations (agentcore run --session / chat).", no_args_is_help=True
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="cipher.yml whose storage.url to use (default: the usual lookup)"),
]
DbOpt = Annotated[
    str | None, typer.Option("--db", help="database URL (overrides storage.url and $AGENTCORE_DB_URL)")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def _store(config: Path | None, db: str | None) -> SessionStore:
    from agentcore.config.loader import load_config
    from agentcore.context.store import SessionStore
    from agentcore.errors import ConfigNotFound
    from agentcore.storage.db import resolve_url

    if db:
        return SessionStore(resolve_url(db))
    try:
        url = load_config(config).storage.url
    except ConfigNotFound:
        if config is not None:
            raise
        url = None  # no cipher.yml: the default database (or $AGENTCORE_DB_URL)
    return SessionStore(resolve_url(url))


def _run(config: Path | None, db: str | None, work: Callable[[SessionStore], Awaitable[T]]) -> T:
    async def main() -> T:
        from agentcore.storage.db import dispose_engines

        try:
            return await work(_store(config, db))
        finally:
            await dispose_engines()

    with user_errors():
        import asyncio

        return asyncio.run(main())


def message_data(msg: InternalMessage) -> dict[str, Any]:
    """One stored message as plain data (images as a count)."""
    out: dict[str, Any] = {"seq": msg.cache.get("seq"), "role": msg.role, "content": msg.text}
    if msg.images:
        out["images"] = len(msg.images)
    if msg.tool_calls:
        out["tool_calls"] = [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in msg.tool_calls]
    if msg.role == "tool":
        out["tool_call_id"] = msg.tool_call_id
        out["name"] = msg.name
        out["is_error"] = msg.is_error
    return out


async def _history(store: SessionStore, name: str) -> tuple[dict[str, Any], list[InternalMessage]]:
    info = await store.find(name)
    if info is None:
        fail(f"no session named '{name}' (agentcore sessions list shows them)")
    loaded = await store.load(info.id)
    return info.as_dict(), loaded.messages


@sessions_app.command("list")
def list_(
    config: ConfigOpt = None,
    db: DbOpt = None,
    kind: Annotated[str | None, typer.Option("--kind", help="only run, chat or api sessions")] = None,
    json_out: JsonOpt = False,
) -> None:
    """List sessions, most recently used first."""
    sessions = _run(config, db, lambda store: store.list_sessions(kind))
    if json_out:
        import json

        sys.stdout.write(json.dumps([s.as_dict() for s in sessions], indent=2) + "\n")
        return
    if not sessions:
        print("no sessions yet (agentcore chat, or agentcore run --session NAME, creates one)")
        return
    width = max(len(s.name) for s in sessions)
    print(f"{'NAME':<{width}}  {'KIND':<5} {'MESSAGES':>8}  LAST USED")
    for s in sessions:
        when = s.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")
        print(f"{s.name:<{width}}  {s.kind:<5} {s.message_count:>8}  {when}")


@sessions_app.command()
def show(
    name: Annotated[str, typer.Argument(help="session name")],
    config: ConfigOpt = None,
    db: DbOpt = None,
    last: Annotated[int | None, typer.Option("--last", "-n", help="only the last N messages")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Print a session's messages."""
    info, messages = _run(config, db, lambda store: _history(store, name))
    if last is not None:
        messages = messages[-last:] if last > 0 else []
    if json_out:
        data = {"session": info, "messages": [message_data(m) for m in messages]}
        import json

        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    print(f"session {info['name']} · {info['kind']} · {info['messages']} messages")
    for msg in messages:
        print(_line(msg))


def _line(msg: InternalMessage) -> str:
    seq = msg.cache.get("seq", "")
    if msg.role == "tool":
        flag = " (error)" if msg.is_error else ""
        return f"[{seq}] tool {msg.name}{flag}: {msg.text}"
    text = msg.text
    for call in msg.tool_calls:
        text += f"\n      -> {call.name}({call.arguments})"
    if msg.images:
        text += f" [{len(msg.images)} image(s)]"
    return f"[{seq}] {msg.role}: {text}"


@sessions_app.command()
def export(
    name: Annotated[str, typer.Argument(help="session name")],
    config: ConfigOpt = None,
    db: DbOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="json or markdown")] = "json",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Export a session as JSON (default) or Markdown."""
    if json_out:
        fmt = "json"
    if fmt not in ("json", "markdown", "md"):
        fail(f"unknown format '{fmt}': use json or markdown", 2)
    info, messages = _run(config, db, lambda store: _history(store, name))
    if fmt == "json":
        data = {"session": info, "messages": [message_data(m) for m in messages]}
        import json

        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    else:
        parts = [f"# Session {info['name']}\n"]
        for msg in messages:
            parts.append(f"## {msg.role}\n\n{_line(msg).split(': ', 1)[-1]}\n")
        text = "\n".join(parts)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"exported {len(messages)} messages to {output}")


@sessions_app.command()
def delete(
    names: Annotated[list[str], typer.Argument(help="session name(s)")],
    config: ConfigOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Delete sessions with all their messages."""

    async def work(store: SessionStore) -> dict[str, bool]:
        return {n: await store.delete(n) for n in names}

    result = _run(config, db, work)
    if json_out:
        import json

        sys.stdout.write(json.dumps({"deleted": [n for n, ok in result.items() if ok],
                                     "missing": [n for n, ok in result.items() if not ok]}) + "\n")  # fmt: skip
    else:
        for n, ok in result.items():
            print(f"deleted {n}" if ok else f"no session named '{n}'", file=sys.stdout if ok else sys.stderr)
    if not all(result.values()):
        raise typer.Exit(1)


@sessions_app.command()
def rename(
    old: Annotated[str, typer.Argument(help="current name")],
    new: Annotated[str, typer.Argument(help="new name")],
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Rename a session."""
    _run(config, db, lambda store: store.rename(old, new))
    print(f"renamed {old} to {new}")


@sessions_app.command()
def reset(
    name: Annotated[str, typer.Argument(help="session name")],
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Empty a session (its messages are deleted; the name stays)."""

    async def work(store: SessionStore) -> bool:
        info = await store.find(name)
        if info is None:
            return False
        await store.reset(info.id)
        return True

    if not _run(config, db, work):
        fail(f"no session named '{name}' (agentcore sessions list shows them)")
    print(f"session {name} emptied")
