"""The hostile ``agentcore run`` corpus: tool behaviours, byte strings, paths and images.

Each case is one ``agentcore run`` in its own folder, with ``systemPrompt: case <name>`` so the shared
fake server knows which script to answer with: the case's tool calls first (if any), then ``done``.
``expect`` lists the exact stderr lines; ``{ms}`` stands for a duration in milliseconds and ``{ts}``
for a log timestamp. ``stored`` is the session as agentcore must read it back, ``(role, text)`` per
message, for the cases whose point is what gets stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.hostile._cli import KEY

PNG = (  # a real 1x1 PNG
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00"
    b"IEND\xaeB`\x82"
)

TOOLS = b'''
import asyncio
import sys
import threading

from agentcore import tool


@tool
def stuck() -> str:
    """Never returns."""
    threading.Event().wait()
    return "unreachable"


@tool
async def stubborn() -> str:
    """Swallows every cancellation."""
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass


@tool
def quits() -> str:
    """Calls sys.exit."""
    sys.exit(7)


@tool
def interrupts() -> str:
    """Raises KeyboardInterrupt."""
    raise KeyboardInterrupt


@tool
def odd_text() -> str:
    """Returns a lone surrogate and a NUL."""
    return "caf\\udce9 and nul\\x00end"


@tool
def leaky() -> str:
    """Fails quoting the API key."""
    raise RuntimeError("upstream refused key KEY")
'''.replace(b"KEY", KEY.encode())

Call = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class RunCase:
    """One ``agentcore run`` and everything a user would notice about it."""

    name: str
    expect: tuple[str, ...]
    code: int = 0
    stdout: str = "done\n"
    args: tuple[str, ...] = ("go",)
    stdin: bytes | None = None
    session: str | None = None  # default: the case name
    calls: tuple[Call, ...] = ()
    stored: tuple[tuple[str, str], ...] | None = None
    image: bytes | None = None  # the image the stored user message must carry
    files: dict[str, bytes] = field(default_factory=dict[str, bytes])
    links: dict[str, str] = field(default_factory=dict[str, str])  # symlink -> target
    llm: str = ""  # extra lines under llm:
    tools: str = "hostile"  # "hostile": TOOLS above; "shipped": the repository's tools/

    @property
    def session_name(self) -> str:
        return self.session or f"hostile-{self.name}"


def _tool(name: str, result: str, failed: bool = True) -> tuple[str, str]:
    return f"→ {name} …", f"← {name} {'failed' if failed else 'done'} ({{ms}} ms): {result}"


TIMED_OUT = "'{0}' timed out after 1 s and was stopped (abandoned)."

TOOL_CASES: tuple[RunCase, ...] = (
    RunCase("sync-tool-never-returns", _tool("stuck", TIMED_OUT.format("stuck")), calls=(("stuck", {}),)),
    RunCase(
        "async-tool-swallows-cancellation",
        (
            *_tool("stubborn", TIMED_OUT.format("stubborn")),
            "{ts} [warning  ] a tool ignores cancellation; closing it [agentcore.tools.manager] task=tool-stubborn",
        ),
        calls=(("stubborn", {}),),
    ),
    RunCase(
        "tool-raises-system-exit",
        _tool("quits", "quits: the tool raised SystemExit(7)"),
        calls=(("quits", {}),),
    ),
    RunCase(
        "tool-raises-keyboard-interrupt",
        _tool("interrupts", "interrupts: the tool raised KeyboardInterrupt"),
        calls=(("interrupts", {}),),
    ),
    RunCase(
        "tool-returns-surrogate-and-nul",
        _tool("odd_text", "caf  and nul end", failed=False),
        calls=(("odd_text", {}),),
        stored=(
            ("user", "go"),
            ("assistant", ""),
            ("tool", "caf\udce9 and nul\x00end"),
            ("assistant", "done"),
        ),
    ),
    RunCase(
        "tool-error-quotes-the-api-key",
        _tool("leaky", "leaky raised RuntimeError: upstream refused key ***"),
        calls=(("leaky", {}),),
        stored=(
            ("user", "go"),
            ("assistant", ""),
            ("tool", "leaky raised RuntimeError: upstream refused key ***"),
            ("assistant", "done"),
        ),
    ),
)

BYTE_CASES: tuple[RunCase, ...] = (
    RunCase(
        "invalid-utf8-on-stdin",
        (),
        args=("-",),
        stdin=b"bad \xff\xfe bytes",
        stored=(("user", "bad \udcff\udcfe bytes"), ("assistant", "done")),
    ),
    RunCase(
        "nul-on-stdin",
        (),
        args=("-",),
        stdin=b"before\x00after",
        stored=(("user", "before\x00after"), ("assistant", "done")),
    ),
    RunCase(
        "lone-surrogate-in-the-prompt",
        (),
        args=("caf\udce9 ?",),
        stored=(("user", "caf\udce9 ?"), ("assistant", "done")),
    ),
    RunCase(
        "session-name-with-escape-sequence",
        (),
        session="s\x1b[2J\x07name",
        stored=(("user", "go"), ("assistant", "done")),
    ),
    RunCase(
        "over-long-session-name",
        ("error: session name too long (201 characters, at most 200): '" + "n" * 40 + "...'",),
        code=2,
        stdout="",
        session="n" * 201,
    ),
)

_ROOT_FILES = {"root/a.txt": b"alpha", "secret.txt": b"top secret"}
_ROOT_LINKS = {"root/escape": "../secret.txt", "root/escape_dir": ".."}


def _shown(text: str, width: int = 100) -> str:
    """A tool result as the terminal shows it: one line of at most ``width`` characters."""
    return text if len(text) <= width else text[: width - 3] + "..."


def _path_case(name: str, tool: str, path: str, result: str) -> RunCase:
    """The shipped file tool refuses ``path`` with ``result``: shown cut, stored (and sent) whole."""
    return RunCase(
        name,
        _tool(tool, _shown(result)),
        calls=((tool, {"path": path}),),
        files=_ROOT_FILES,
        links=_ROOT_LINKS,
        tools="shipped",
        stored=(("user", "go"), ("assistant", ""), ("tool", result), ("assistant", "done")),
    )


def _outside(tool: str, path: str) -> str:
    return (
        f"{tool} raised PermissionError: access denied: {path!r} is outside the allowed folder; "
        "use a path relative to it"
    )


PATH_CASES: tuple[RunCase, ...] = (
    _path_case("dot-dot", "read_file", "../secret.txt", _outside("read_file", "../secret.txt")),
    _path_case("absolute", "read_file", "/etc/passwd", _outside("read_file", "/etc/passwd")),
    _path_case("symlink-to-a-file-outside", "read_file", "escape", _outside("read_file", "escape")),
    _path_case(
        "symlink-to-a-folder-outside",
        "read_file",
        "escape_dir/secret.txt",
        _outside("read_file", "escape_dir/secret.txt"),
    ),
    _path_case(
        "nul-in-path", "read_file", "a.txt\x00.png", "read_file raised ValueError: embedded null byte"
    ),
    _path_case(
        "very-long-name",
        "read_file",
        "x" * 5000,
        f"read_file raised OSError: [Errno 36] File name too long: {'x' * 5000!r}",
    ),
    _path_case("list-the-parent", "list_files", "..", _outside("list_files", "..")),
)

IMAGE_CASES: tuple[RunCase, ...] = (
    RunCase(
        "image-that-is-not-an-image",
        ("error: image file notes.png is not an image (PNG, JPEG, GIF or WebP expected)",),
        code=1,
        stdout="",
        args=("--image", "notes.png", "what is it?"),
        files={"notes.png": b"just some text, not an image"},
    ),
    RunCase(
        "image-over-max-image-bytes",
        (
            "error: image file big.png is 2,070 bytes, over the limit of 1,000 bytes "
            "(llm.maxImageBytes; scale the image down or raise the limit)",
        ),
        code=1,
        stdout="",
        args=("--image", "big.png", "what is it?"),
        files={"big.png": PNG + b"\x00" * 2_000},
        llm="  maxImageBytes: 1000\n",
    ),
    RunCase(
        "small-png-accepted",
        (),
        args=("--image", "small.png", "what is it?"),
        files={"small.png": PNG},
        stored=(("user", "what is it?"), ("assistant", "done")),
        image=PNG,
    ),
)

FAMILIES: dict[str, tuple[RunCase, ...]] = {
    "tools": TOOL_CASES,
    "bytes": BYTE_CASES,
    "paths": PATH_CASES,
    "images": IMAGE_CASES,
}
