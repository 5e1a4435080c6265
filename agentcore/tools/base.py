"""What a tool is, to the loop: a spec the model sees and a source that runs it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from agentcore.messages import Content


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool as the model sees it (``name`` is the exposed, provider-safe name)."""

    name: str
    description: str
    parameters: dict[str, Any]
    source: str = "local"
    original_name: str | None = None
    origin: str = ""

    @property
    def call_name(self) -> str:
        """The name the tool's own source knows it by."""
        return self.original_name or self.name


@dataclass(frozen=True, slots=True)
class ToolOutput:
    """What a tool returned: text or parts (images), an error flag, and structured data if any."""

    content: Content
    is_error: bool = False
    structured: Any = None
    meta: dict[str, Any] = field(default_factory=dict[str, Any])


class ToolSource(Protocol):
    """A provider of tools: the local Python tools, or one MCP server."""

    name: str

    async def start(self) -> None: ...

    async def list_tools(self) -> list[ToolSpec]: ...

    async def call(self, spec: ToolSpec, arguments: dict[str, Any], timeout: float) -> ToolOutput: ...

    async def close(self) -> None: ...


ToolsChanged = Callable[[], Awaitable[None] | None]
