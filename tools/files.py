"""File tools: list and read files inside one root folder, never outside it.

The root is ``$AGENTCORE_FILES_ROOT`` or, when unset, the current working directory. A path is
resolved (``..``, absolute paths and symlinks included) and refused unless it lands inside the root.
Then it is opened one folder at a time from the root, never following a symlink: if a folder is
swapped for a symlink between the check and the open, the open fails instead of leaving the root.

Names that are not valid UTF-8 are shown with ``\\xNN`` escapes (``caf\\xe9.txt``); ``read_file``
accepts them back in that form.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from agentcore import tool

_MAX_ENTRIES = 500
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO must not block the open
_BYTE_ESCAPE = re.compile(r"\\x([89a-fA-F][0-9a-fA-F])")


def _root() -> Path:
    # Read on every call so the root can be changed without reloading the tools.
    return Path(os.environ.get("AGENTCORE_FILES_ROOT") or os.getcwd()).resolve()


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def _shown(name: str) -> str:
    """``name`` as text any database can store: undecodable bytes become ``\\xNN``."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _unescape(path: str, root: Path) -> str:
    """The on-disk name for a path shown with ``\\xNN`` escapes (when the literal name does not exist)."""
    if "\\x" not in path or os.path.lexists(root / path):
        return path
    return _BYTE_ESCAPE.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), path)


def _resolve(path: str, root: Path) -> Path:
    try:
        target = (root / _unescape(path, root)).resolve()
    except OSError as exc:
        if isinstance(exc, (PermissionError, FileNotFoundError, NotADirectoryError)):
            raise
        # A link swapped for a folder between two steps of the walk (EINVAL from readlink): the
        # path is changing under us, which reads as "not there" rather than a crash.
        raise FileNotFoundError(f"{path!r} changed while it was being opened; try again") from exc
    if not _inside(target, root):
        raise PermissionError(
            f"access denied: {path!r} is outside the allowed folder; use a path relative to it"
        )
    return target


def _open(path: str, root: Path, *, folder: bool) -> int:
    """A descriptor for ``path``, opened component by component from the root without following links."""
    target = _resolve(path, root)
    if os.open not in os.supports_dir_fd or not _O_NOFOLLOW:
        return _open_checked(path, target, folder=folder)
    parts = target.relative_to(root).parts
    fd = os.open(root, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
    try:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            flags = os.O_RDONLY | _O_NOFOLLOW | _O_CLOEXEC
            flags |= _O_DIRECTORY if (folder or not last) else _O_NONBLOCK
            try:
                child = os.open(part, flags, dir_fd=fd)
            except OSError as exc:
                _explain(exc, part, fd, path, folder=folder or not last)
                raise
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


def _explain(exc: OSError, part: str, dir_fd: int, path: str, *, folder: bool) -> None:
    """Raise a clear error for a failed no-follow open (or return to re-raise ``exc`` as it is)."""
    if exc.errno == errno.ENOENT:
        raise FileNotFoundError(f"no such file or folder: {path!r}") from None
    if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
        try:
            is_link = stat.S_ISLNK(os.stat(part, dir_fd=dir_fd, follow_symlinks=False).st_mode)
        except OSError:
            is_link = False
        if is_link:
            raise PermissionError(
                f"access denied: {path!r} changed while it was opened (a symbolic link appeared); try again"
            ) from None
        if folder:
            raise NotADirectoryError(f"not a folder: {path!r}") from None


def _open_checked(path: str, target: Path, *, folder: bool) -> int:
    # Platforms without dir_fd/O_NOFOLLOW: open, then check the descriptor is the file we checked.
    fd = os.open(target, os.O_RDONLY | _O_CLOEXEC | (_O_NONBLOCK if not folder else 0))
    opened, checked = os.fstat(fd), os.stat(target)
    if (opened.st_dev, opened.st_ino) != (checked.st_dev, checked.st_ino):
        os.close(fd)
        raise PermissionError(f"access denied: {path!r} changed while it was opened; try again")
    return fd


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob (``*``, ``?``, ``[...]``, ``**/``) over ``/``-separated relative paths."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        close = pattern.find("]", i + 2) if char == "[" else -1
        if close != -1:
            body = pattern[i + 1 : close]
            body = "^" + body[1:] if body.startswith("!") else body
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = close + 1
            continue
        out.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


@tool
def list_files(path: str = ".", pattern: str = "*") -> str:
    """List files and folders (folders end with "/") inside the allowed folder.

    Args:
        path: Folder to list, relative to the allowed folder.
        pattern: Glob pattern such as "*.py"; "**/*.py" searches subfolders too.
    """
    root = _root()
    if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
        raise PermissionError("the pattern may not contain '..' or be absolute")
    folder_fd = _open(path, root, folder=True)
    base = _resolve(path, root).relative_to(root).as_posix()
    prefix = "" if base == "." else base + "/"
    matcher = _glob_regex(pattern)
    depth = None if "**" in pattern else pattern.count("/") + 1
    found: list[str] = []
    try:
        # fwalk over descriptors, never following links: a folder swapped for a symlink while we
        # walk is not entered.
        for here, dirs, files, dir_fd in os.fwalk(".", dir_fd=folder_fd, follow_symlinks=False):
            rel = "" if here == "." else here[2:] + "/"
            level = rel.count("/")
            if depth is not None and level + 1 >= depth:
                dirs_to_walk: list[str] = []
            else:
                dirs_to_walk = list(dirs)
            for name in [*dirs, *files]:
                if not matcher.fullmatch(rel + name):
                    continue
                st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode):
                    # A symlink is shown only when it leads inside the root.
                    real = (root / prefix / rel / name).resolve()
                    if not _inside(real, root):
                        continue
                    is_dir = real.is_dir()
                else:
                    is_dir = stat.S_ISDIR(st.st_mode)
                found.append(_shown(prefix + rel + name) + ("/" if is_dir else ""))
            dirs[:] = dirs_to_walk
    finally:
        os.close(folder_fd)
    if not found:
        return f"no entries match {pattern!r} in {path!r}"
    entries = sorted(found)
    if len(entries) > _MAX_ENTRIES:
        entries = entries[:_MAX_ENTRIES]
        entries.append(f"... (stopped after {_MAX_ENTRIES} entries; use a narrower pattern)")
    return "\n".join(entries)


@tool
def read_file(path: str, max_bytes: int = 100_000) -> str:
    """Read a text file inside the allowed folder.

    Args:
        path: File to read, relative to the allowed folder.
        max_bytes: Read at most this many bytes; the rest is cut with a note.
    """
    if max_bytes < 1:
        raise ValueError("max_bytes must be at least 1")
    fd = _open(path, _root(), folder=False)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(f"{path!r} is a folder; use list_files")
        if not stat.S_ISREG(info.st_mode):
            raise FileNotFoundError(f"not a regular file: {path!r}")
        os.set_blocking(handle.fileno(), True)
        data = handle.read(max_bytes)
    size = info.st_size
    if b"\x00" in data[:8192]:
        raise ValueError(f"{path!r} looks like a binary file ({size} bytes); only text files can be read")
    text = data.decode("utf-8", errors="replace")
    if size > len(data):
        text += f"\n\n[file truncated: showing {len(data)} of {size} bytes]"
    return text
