"""Checks of single config values and of the files and places they name (one ``ConfigError`` each).

The schema's validators and the start-up path (``Agent``, logging, storage) call these same functions,
and ``config check`` calls them all: what one rejects, the other rejects with the same line.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from agentcore.errors import ConfigError

MAX_TEXT_FILE_BYTES = 4 * 1024 * 1024  # a system prompt bigger than this is a wrong file, not a prompt
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
STORAGE_SCHEMES = (
    "memory",
    "sqlite",
    "sqlite+aiosqlite",
    "postgres",
    "postgresql",
    "postgresql+asyncpg",
)


# ---- pydantic field validators (a ValueError becomes the problem's message) -------------------


def check_not_blank(value: str) -> str:
    """Reject an empty or whitespace-only value."""
    if not value.strip():
        raise ValueError("must not be empty")
    return value


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def check_header_names(value: dict[str, str]) -> dict[str, str]:
    """Reject header names HTTP cannot carry (spaces, colons...), which would fail every request."""
    for name in value:
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"invalid HTTP header name '{name[:60]}' (letters, digits and - only)")
    return value


def check_path_not_empty(value: object) -> object:
    """(mode="before") Reject an empty path, which would silently mean the config's own folder."""
    items = cast(list[object], value) if isinstance(value, list) else [value]
    if any(isinstance(item, str) and not item.strip() for item in items):
        raise ValueError("a path must not be empty")
    return cast(object, value)


def check_http_url(value: str | None) -> str | None:
    """Reject anything but an absolute http(s) URL with a host (and a valid port)."""
    if value is None:
        return None
    problem = _url_problem(value, ("http", "https"))
    if problem:
        raise ValueError(f"invalid URL '{_shown_url(value)}': {problem} (e.g. https://api.example.com/v1)")
    return value


def check_storage_url(value: str | None) -> str | None:
    """Reject storage URLs no supported database can open."""
    if value is None:
        return None
    scheme = value.partition("://")[0].lower() if "://" in value else ""
    if scheme not in STORAGE_SCHEMES:
        raise ValueError(
            f"unsupported storage URL '{_shown_url(value)}' "
            "(use sqlite:///path/to/file.db, postgresql://user@host/db or memory://)"
        )
    if scheme.startswith("postgres"):
        problem = _url_problem(value, (scheme,))
        if problem:
            raise ValueError(f"invalid storage URL '{_shown_url(value)}': {problem}")
    return value


def _shown_url(url: str) -> str:
    from agentcore._redact import redact_text

    return redact_text(url)[:80]


def _url_problem(value: str, schemes: tuple[str, ...]) -> str | None:
    if any(c.isspace() for c in value):
        return "it contains spaces"
    try:
        parts = urlsplit(value)
        port = parts.port  # raises for a port that is not a number in 0-65535
    except ValueError as exc:
        return "the port must be a number from 1 to 65535" if "Port" in str(exc) else "it is not a valid URL"
    if parts.scheme.lower() not in schemes:
        return "it must start with " + " or ".join(f"{s}://" for s in schemes)
    if not parts.hostname:
        return "it has no host"
    if port == 0:
        return "the port must be a number from 1 to 65535"
    return None


# ---- whole-document checks ----------------------------------------------------------------------


def control_characters(
    data: Any, path: tuple[str | int, ...] = ()
) -> list[tuple[tuple[str | int, ...], str]]:
    """(key path, first bad character as ``U+XXXX``) for each key or text value holding a control
    character (NUL, ESC...) or a lone surrogate.

    Tabs and newlines are allowed; everything else of that kind is a pasted or hostile byte that
    would reach file names, HTTP headers or the terminal.
    """
    found: list[tuple[tuple[str | int, ...], str]] = []
    if isinstance(data, str):
        if match := _CONTROL.search(data):
            found.append((path, f"U+{ord(match.group()):04X}"))
    elif isinstance(data, dict):
        for key, value in cast(dict[Any, Any], data).items():
            if not isinstance(key, str):
                found.append(((*path, str(key)), "a key that is not text"))
            elif match := _CONTROL.search(key):
                found.append(((*path, key), f"U+{ord(match.group()):04X}"))
            else:
                found.extend(control_characters(value, (*path, str(key))))
    elif isinstance(data, list):
        for index, value in enumerate(cast(list[Any], data)):
            found.extend(control_characters(value, (*path, index)))
    return found


# ---- files and places named by the config ------------------------------------------------------


def read_text_file(
    path: Path,
    *,
    what: str,
    key_path: str,
    file: str | None,
    line: int | None = None,
) -> str:
    """The UTF-8 text of ``path``; a missing, unreadable, binary or huge file is a ``ConfigError``."""

    def fail(message: str, hint: str | None = None) -> ConfigError:
        return ConfigError(message, key_path=key_path, file=file, line=line, hint=hint)

    try:
        if path.is_dir():
            raise fail(f"the {what} {path} is a folder, not a file")
        data = read_bounded(path, MAX_TEXT_FILE_BYTES)
        if data is None:
            raise fail(f"the {what} {path} is over the {MAX_TEXT_FILE_BYTES // 1024} KiB limit")
    except ValueError:  # a NUL in the path itself
        raise fail(f"the {what} path contains a control character") from None
    except OSError as exc:
        raise fail(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    if b"\x00" in data:
        raise fail(f"the {what} {path} is a binary file, not text", hint="point it at a text (.md) file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(
            f"the {what} {path} is not UTF-8 text (bad byte at offset {exc.start})",
            hint="save it as UTF-8",
        ) from None


def read_bounded(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path``, or None when it holds more than ``limit`` (a device such as /dev/zero too)."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    return None if len(data) > limit else data


def check_writable_file(path: Path, *, what: str, key_path: str | None, file: str | None = None) -> None:
    """Raise ``ConfigError`` unless ``path`` can be opened for appending (its folder is created)."""
    try:
        if path.is_dir():
            raise ConfigError(f"the {what} {path} is a folder, not a file", key_path=key_path, file=file)
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise ConfigError(
                f"cannot write the {what} {path}: {folder} is not a folder",
                key_path=key_path,
                file=file,
                hint="choose a writable path",
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
    except ValueError:
        raise ConfigError(
            f"the {what} path contains a control character", key_path=key_path, file=file
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot write the {what} {path}: {exc.strerror or exc}",
            key_path=key_path,
            file=file,
            hint="choose a writable path",
        ) from None


def check_storage_target(url: str | None, *, key_path: str, file: str | None = None) -> None:
    """Raise ``ConfigError`` when the database at ``url`` cannot work (without connecting to it)."""
    if not url:
        return
    try:
        check_storage_url(url)
    except ValueError as exc:
        raise ConfigError(str(exc), key_path=key_path, file=file) from None
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    if scheme.startswith("postgres"):
        import importlib.util

        if importlib.util.find_spec("asyncpg") is None:
            raise ConfigError(
                "PostgreSQL storage needs the 'asyncpg' package",
                key_path=key_path,
                file=file,
                hint="install it with: pip install 'agentcore[postgres]'",
            )
        return
    if not scheme.startswith("sqlite") or not rest.startswith("/"):
        return  # memory:// and in-memory SQLite need no file
    target = Path(rest[1:].split("?", 1)[0]).expanduser()
    if not str(target) or str(target) == ".":
        return
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if target.is_dir():
        problem = f"the database path {target} is a folder"
    elif not folder.is_dir():
        problem = f"cannot create the database {target}: {folder} is not a folder"
    elif not os.access(folder if not target.exists() else target, os.W_OK):
        problem = f"cannot write the database {target}: permission denied"
    else:
        return
    raise ConfigError(problem, key_path=key_path, file=file, hint="choose a writable path")
