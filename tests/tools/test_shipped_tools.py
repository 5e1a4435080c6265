"""The tools shipped in the repository's top-level ``tools/`` folder."""

import os
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from agentcore.messages import ToolCall
from agentcore.tools.decorator import LocalTool
from agentcore.tools.local import LocalToolSource, load_local_tools
from agentcore.tools.manager import UnifiedToolManager

TOOLS_DIR = Path(__file__).resolve().parents[2] / "tools"


@pytest.fixture(scope="module")
def shipped() -> dict[str, LocalTool[..., Any]]:
    return {t.name: t for t in load_local_tools([TOOLS_DIR])}


def test_all_shipped_tools_load(shipped: dict[str, LocalTool[..., Any]]) -> None:
    assert {"current_time", "list_files", "read_file", "calculate"} <= set(shipped)
    for item in shipped.values():
        assert item.description, item.name


def test_shipped_tools_import_only_agentcore_tool() -> None:
    for file in TOOLS_DIR.glob("*.py"):
        lines = [line for line in file.read_text().splitlines() if "agentcore" in line and "import" in line]
        assert lines == ["from agentcore import tool"], file


def test_current_time(shipped: dict[str, LocalTool[..., Any]]) -> None:
    text = shipped["current_time"]("Asia/Tokyo")
    stamp = datetime.fromisoformat(text.split(" ")[0])
    assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 9 * 3600  # type: ignore[union-attr]
    assert "UTC" in shipped["current_time"]()


def test_current_time_unknown_zone(shipped: dict[str, LocalTool[..., Any]]) -> None:
    with pytest.raises(ValueError, match=r"unknown time zone 'Europe/Berln'.*Europe/Berlin"):
        shipped["current_time"]("Europe/Berln")
    with pytest.raises(ValueError, match="unknown time zone"):
        shipped["current_time"]("../../etc/passwd")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + 2 * 3", "7"),
        ("(2 + 3) * sqrt(16) / 5", "4"),
        ("2 ** 10", "1024"),
        ("-7 // 2", "-4"),
        ("10 / 4", "2.5"),
    ],
)
def test_calculate(shipped: dict[str, LocalTool[..., Any]], expression: str, expected: str) -> None:
    assert shipped["calculate"](expression) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os')", "unknown function"),
        ("__import__('os').system('echo hi')", "unsupported syntax"),
        ("().__class__", "unsupported syntax"),
        ("9 ** 9 ** 9", "too large"),
        ("1 / 0", "division by zero"),
        ("1 +", "not a valid expression"),
        ("factorial(100000)", "factorial"),
        ("x + 1", "unknown name"),
    ],
)
def test_calculate_refuses(shipped: dict[str, LocalTool[..., Any]], expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        shipped["calculate"](expression)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    base = tmp_path / "root"
    (base / "sub").mkdir(parents=True)
    (base / "a.txt").write_text("alpha")
    (base / "sub" / "b.py").write_text("print('b')")
    (base / "bin.dat").write_bytes(b"\x00\x01\x02")
    (tmp_path / "secret.txt").write_text("top secret")
    (base / "escape").symlink_to(tmp_path / "secret.txt")
    (base / "escape_dir").symlink_to(tmp_path)
    monkeypatch.setenv("AGENTCORE_FILES_ROOT", str(base))
    return base


def test_list_files(shipped: dict[str, LocalTool[..., Any]], root: Path) -> None:
    listing = shipped["list_files"]().splitlines()
    assert listing == ["a.txt", "bin.dat", "sub/"]  # symlinks leading outside are hidden
    assert shipped["list_files"]("sub") == "sub/b.py"
    assert shipped["list_files"](".", "**/*.py") == "sub/b.py"


def test_read_file(shipped: dict[str, LocalTool[..., Any]], root: Path) -> None:
    assert shipped["read_file"]("a.txt") == "alpha"
    assert shipped["read_file"]("sub/../a.txt") == "alpha"
    assert shipped["read_file"](str(root / "a.txt")) == "alpha"  # absolute, but inside
    cut = shipped["read_file"]("a.txt", max_bytes=2)
    assert cut.startswith("al") and "showing 2 of 5 bytes" in cut
    with pytest.raises(ValueError, match="binary"):
        shipped["read_file"]("bin.dat")
    with pytest.raises(FileNotFoundError):
        shipped["read_file"]("missing.txt")


@pytest.mark.parametrize(
    "path", ["../secret.txt", "escape", "escape_dir/secret.txt", "/etc/passwd", "sub/../../secret.txt"]
)
def test_path_escape_refused(shipped: dict[str, LocalTool[..., Any]], root: Path, path: str) -> None:
    with pytest.raises(PermissionError, match="outside the allowed folder"):
        shipped["read_file"](path)


def test_list_escape_refused(shipped: dict[str, LocalTool[..., Any]], root: Path) -> None:
    with pytest.raises(PermissionError):
        shipped["list_files"]("..")
    with pytest.raises(PermissionError):
        shipped["list_files"](".", "../*")


def test_root_defaults_to_cwd(
    shipped: dict[str, LocalTool[..., Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AGENTCORE_FILES_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "here.txt").write_text("here")
    assert os.getcwd() == str(tmp_path)
    assert shipped["read_file"]("here.txt") == "here"


async def test_escape_through_manager_is_an_error_result(root: Path) -> None:
    async with UnifiedToolManager([LocalToolSource(paths=[TOOLS_DIR])]) as manager:
        result = await manager.execute(ToolCall("1", "read_file", '{"path": "../secret.txt"}'))
    assert result.is_error
    assert result.text.startswith("read_file raised PermissionError: access denied")
    assert "top secret" not in result.text


_SWAP = """
import os, sys
sub, outside = sys.argv[1], sys.argv[2]
while True:
    os.rename(sub, sub + ".real")
    os.symlink(outside, sub)
    os.unlink(sub)
    os.rename(sub + ".real", sub)
"""


def test_folder_swapped_for_a_symlink_mid_read_never_leaks(
    shipped: dict[str, LocalTool[..., Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "root"
    (base / "sub").mkdir(parents=True)
    (base / "sub" / "file.txt").write_text("inside")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "file.txt").write_text("SECRET")
    monkeypatch.setenv("AGENTCORE_FILES_ROOT", str(base))
    # Another process swaps sub for a symlink leading outside the root, and back, as fast as it can.
    swapper = subprocess.Popen([sys.executable, "-c", _SWAP, str(base / "sub"), str(outside)])
    outcomes: Counter[str] = Counter()
    listings: list[str] = []
    try:
        for i in range(3000):
            try:
                outcomes[shipped["read_file"]("sub/file.txt")] += 1
                if i % 10 == 0:
                    listings.append(shipped["list_files"]("sub", "**"))
            except (PermissionError, FileNotFoundError, NotADirectoryError):
                outcomes["refused"] += 1
    finally:
        swapper.kill()
        swapper.wait()
    assert not [text for text in listings if "outside" in text or "SECRET" in text]
    assert outcomes["SECRET"] == 0, outcomes
    assert outcomes["inside"] > 0, outcomes  # the race really ran both ways


def test_list_files_escapes_non_utf8_names_and_read_file_takes_them_back(
    shipped: dict[str, LocalTool[..., Any]], root: Path
) -> None:
    raw = os.path.join(os.fsencode(root), b"caf\xe9.txt")
    with open(raw, "wb") as handle:
        handle.write(b"coffee")
    listing = shipped["list_files"]()
    assert "caf\\xe9.txt" in listing.splitlines()
    listing.encode("utf-8")  # no lone surrogates: any database can store it
    assert shipped["read_file"]("caf\\xe9.txt") == "coffee"


def test_read_file_refuses_a_fifo_without_blocking(
    shipped: dict[str, LocalTool[..., Any]], root: Path
) -> None:
    os.mkfifo(root / "pipe")
    with pytest.raises(FileNotFoundError, match="not a regular file"):
        shipped["read_file"]("pipe")


def test_list_files_patterns(shipped: dict[str, LocalTool[..., Any]], root: Path) -> None:
    (root / "sub" / "deeper").mkdir()
    (root / "sub" / "deeper" / "c.py").write_text("")
    assert shipped["list_files"](".", "**/*.py").splitlines() == ["sub/b.py", "sub/deeper/c.py"]
    assert shipped["list_files"](".", "sub/*").splitlines() == ["sub/b.py", "sub/deeper/"]
    assert shipped["list_files"](".", "[ab]*").splitlines() == ["a.txt", "bin.dat"]
    assert shipped["list_files"]("sub", "*.py") == "sub/b.py"
