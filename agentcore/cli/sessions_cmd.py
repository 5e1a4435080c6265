"""``agentcore sessions``: list, show, export, rename, reset and delete stored conversations."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from agentcore.cli._common import fail, user_errors

if TYPE_CHECKING:
    from agentcore.context.store import SessionInfo, SessionStore
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


_CONTROL = dict.fromkeys([*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)])


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` safe for a terminal: control characters (escape sequences among them) are shown as
    ``\\xNN`` escapes, lone surrogates as U+FFFD. Names and stored content are printed through this."""
    if text.isprintable() and text.isascii():
        return text
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if keep_newlines and ch in "\n\t":
            out.append(ch)
        elif code in _CONTROL or ch in "\u2028\u2029":
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def _json(data: Any) -> str:
    """Indented JSON, UTF-8 as is unless it holds lone surrogates (then ASCII-escaped, still lossless)."""
    import json

    text = json.dumps(data, ensure_ascii=False, indent=2)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, ensure_ascii=True, indent=2)
    return text + "\n"


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
        fail(f"no session named '{printable(name)}' (agentcore sessions list shows them)")
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
    names = [printable(s.name) for s in sessions]
    width = max(len(n) for n in names)
    print(f"{'NAME':<{width}}  {'KIND':<5} {'MESSAGES':>8}  LAST USED")
    for s, name in zip(sessions, names, strict=True):
        when = s.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")
        print(f"{name:<{width}}  {printable(s.kind):<5} {s.message_count:>8}  {when}")


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
        sys.stdout.write(_json(data))
        return
    print(f"session {printable(info['name'])} · {printable(info['kind'])} · {info['messages']} messages")
    for msg in messages:
        print(printable(_line(msg), keep_newlines=True))


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
        text = _json(data)
    else:
        parts = [f"# Session {info['name']}\n"]
        for msg in messages:
            parts.append(f"## {msg.role}\n\n{_line(msg).split(': ', 1)[-1]}\n")
        text = "\n".join(parts)
    if output is None:
        sys.stdout.write(text if fmt == "json" else printable(text, keep_newlines=True))
    else:
        # surrogateescape: undecodable bytes a tool returned are written back as those bytes.
        output.write_text(text, encoding="utf-8", errors="surrogateescape")
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
        deleted = {n: await store.delete(n) for n in names}
        if store.sqlite_path is not None:
            from agentcore.storage.locks import remove_lock_files

            remove_lock_files(store.sqlite_path, [n for n, ok in deleted.items() if ok])
        return deleted

    result = _run(config, db, work)
    if json_out:
        import json

        sys.stdout.write(json.dumps({"deleted": [n for n, ok in result.items() if ok],
                                     "missing": [n for n, ok in result.items() if not ok]}) + "\n")  # fmt: skip
    else:
        for n, ok in result.items():
            shown = printable(n)
            print(
                f"deleted {shown}" if ok else f"no session named '{shown}'",
                file=sys.stdout if ok else sys.stderr,
            )
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
    print(f"renamed {printable(old)} to {printable(new)}")


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
        fail(f"no session named '{printable(name)}' (agentcore sessions list shows them)")
    print(f"session {printable(name)} emptied")


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``2w``, ``45s`` as a timedelta; a ``BadParameter`` otherwise."""
    value = text.strip().lower()
    unit = value[-1:] if value[-1:] in _UNITS else ""
    try:
        amount = float(value[:-1] if unit else value)
    except ValueError:
        amount = -1.0
    if not unit or not 0 <= amount <= 1e6:  # also refuses nan
        raise typer.BadParameter(f"'{text}' is not an age: use a number and a unit, e.g. 30d, 12h, 90m, 2w")
    return timedelta(seconds=amount * _UNITS[unit])


@sessions_app.command()
def prune(
    older_than: Annotated[
        str | None, typer.Option("--older-than", help="delete sessions unused for this long (30d, 12h, 2w)")
    ] = None,
    empty: Annotated[bool, typer.Option("--empty", help="delete sessions without messages")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only show what would be deleted")] = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Delete old and/or empty sessions (either condition when both are given)."""
    if older_than is None and not empty:
        fail("say what to prune: --older-than AGE (e.g. 30d) and/or --empty", 2)
    age = parse_age(older_than) if older_than is not None else None

    async def work(store: SessionStore) -> list[SessionInfo]:
        pruned = await store.prune(older_than=age, empty=empty, dry_run=dry_run)
        if not dry_run and store.sqlite_path is not None:
            from agentcore.storage.locks import remove_lock_files

            remove_lock_files(store.sqlite_path, [s.name for s in pruned])
        return pruned

    pruned = _run(config, db, work)
    if json_out:
        import json

        key = "would_delete" if dry_run else "deleted"
        sys.stdout.write(json.dumps({key: [s.name for s in pruned]}) + "\n")
        return
    verb = "would delete" if dry_run else "deleted"
    for s in pruned:
        print(f"{verb} {printable(s.name)} ({s.message_count} messages)")
    print(f"{verb} {len(pruned)} session(s)")
