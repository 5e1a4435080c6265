"""A server's resources and prompts (listing, reading, rendering), for ``McpToolSource``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from agentcore.tools.mcp._convert import prompt_messages, resource_text

if TYPE_CHECKING:
    from agentcore.tools.mcp.source import McpToolSource

__all__ = ["PromptInfo", "ResourceInfo", "get_prompt", "list_prompts", "list_resources", "read_resource"]


@dataclass(frozen=True, slots=True)
class ResourceInfo:
    """A resource a server offers."""

    server: str
    uri: str
    name: str
    description: str = ""
    mime_type: str | None = None


@dataclass(frozen=True, slots=True)
class PromptInfo:
    """A prompt a server offers, with its arguments (name, required)."""

    server: str
    name: str
    description: str = ""
    arguments: list[tuple[str, bool]] = field(default_factory=list[tuple[str, bool]])


async def list_resources(source: McpToolSource) -> list[ResourceInfo]:
    """The server's resources (empty when it offers none)."""

    async def run(session: Any) -> Any:
        return await session.list_resources()

    if not source.has_capability("resources"):
        return []
    result = await source.request("resources/list", run)
    return [
        ResourceInfo(source.name, str(r.uri), r.name, r.description or "", r.mime_type)
        for r in result.resources
    ]


async def read_resource(source: McpToolSource, uri: str) -> str:
    """The text of resource ``uri``."""

    async def run(session: Any) -> Any:
        return await session.read_resource(uri)

    return resource_text(await source.request("resources/read", run))


async def list_prompts(source: McpToolSource) -> list[PromptInfo]:
    """The server's prompts (empty when it offers none)."""

    async def run(session: Any) -> Any:
        return await session.list_prompts()

    if not source.has_capability("prompts"):
        return []
    result = await source.request("prompts/list", run)
    return [
        PromptInfo(
            source.name,
            p.name,
            p.description or "",
            [(str(a.name), bool(a.required)) for a in cast(list[Any], p.arguments or [])],
        )
        for p in result.prompts
    ]


async def get_prompt(
    source: McpToolSource, name: str, arguments: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """Prompt ``name`` rendered with ``arguments``, as ``(role, text)`` messages."""

    async def run(session: Any) -> Any:
        return await session.get_prompt(name, arguments or {})

    return prompt_messages(await source.request("prompts/get", run))
