"""File tools: list and read files inside one root folder, never outside it.

The root is ``$AGENTCORE_FILES_ROOT`` or, when unset, the current working directory. Every path is
resolved (``..``, absolute paths and symlinks included) and refused unless it lands inside the root.
"""

from __future__ import annotations

import os
from pathlib import Path

from agentcore import tool

_MAX_ENTRIES = 500


def _root() -> Path:
    # Read on every call so the root can be changed without reloading the tools.
    return Path(os.environ.get("AGENTCORE_FILES_ROOT") or os.getcwd()).resolve()


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def _resolve(path: str, root: Path) -> Path:
    target = (root / path).resolve()
    if not _inside(target, root):
        raise PermissionError(
            f"access denied: {path!r} is outside the allowed folder; use a path relative to it"
        )
    return target


@tool
def list_files(path: str = ".", pattern: str = "*") -> str:
    """List files and folders (folders end with "/") inside the allowed folder.

    Args:
        path: Folder to list, relative to the allowed folder.
        pattern: Glob pattern such as "*.py"; "**/*.py" searches subfolders too.
    """
    root = _root()
    folder = _resolve(path, root)
    if not folder.is_dir():
        raise NotADirectoryError(f"not a folder: {path!r}")
    if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
        raise PermissionError("the pattern may not contain '..' or be absolute")
    entries: list[str] = []
    more = False
    for entry in sorted(folder.glob(pattern)):
        # A symlink may point outside the root: such entries are not shown at all.
        if not _inside(entry.resolve(), root):
            continue
        if len(entries) == _MAX_ENTRIES:
            more = True
            break
        name = entry.relative_to(root).as_posix()
        entries.append(name + "/" if entry.is_dir() else name)
    if not entries:
        return f"no entries match {pattern!r} in {path!r}"
    if more:
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
    target = _resolve(path, _root())
    if target.is_dir():
        raise IsADirectoryError(f"{path!r} is a folder; use list_files")
    if not target.is_file():
        raise FileNotFoundError(f"no such file: {path!r}")
    size = target.stat().st_size
    with target.open("rb") as handle:
        data = handle.read(max_bytes)
    if b"\x00" in data[:8192]:
        raise ValueError(f"{path!r} looks like a binary file ({size} bytes); only text files can be read")
    text = data.decode("utf-8", errors="replace")
    if size > len(data):
        text += f"\n\n[file truncated: showing {len(data)} of {size} bytes]"
    return text
