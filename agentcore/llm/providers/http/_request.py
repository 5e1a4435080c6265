"""The template variables of one request, and the HTTP request its templates describe."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from agentcore.config.http_schema import HttpAuthConfig, HttpChatConfig
from agentcore.config.schema import LLMConfig
from agentcore.llm.formatters import anthropic as anthropic_fmt
from agentcore.llm.formatters import openai as openai_fmt
from agentcore.llm.providers.http._template import BASE_VARIABLES, Renderer, TemplateError
from agentcore.messages import InternalMessage
from agentcore.tools.base import ToolSpec

__all__ = ["BASE_VARIABLES", "HttpCall", "base_variables", "build", "format_messages", "format_tools"]


def format_messages(
    fmt: str, system: str | None, messages: Sequence[InternalMessage]
) -> tuple[Any, str | None]:
    """``(messages, system)`` rendered by our formatter for ``fmt`` (openai | anthropic | text)."""
    if fmt == "anthropic":
        rendered, inner = anthropic_fmt.render_messages(messages)
        joined = "\n\n".join(s for s in (system, inner) if s) or None
        return json.loads(rendered), joined
    listed: list[dict[str, Any]] = json.loads(openai_fmt.render_messages(system, messages))
    if fmt == "text":
        lines = [
            f"{m['role']}: {m['content'] if isinstance(m.get('content'), str) else ''}"
            for m in listed
            if m["role"] != "system"
        ]
        return "\n".join(lines), system
    return listed, system


def format_tools(fmt: str, tools: Sequence[ToolSpec]) -> list[dict[str, Any]] | None:
    """The tools array in ``fmt``'s shape; None when there are none (the key is then left out)."""
    if not tools or fmt == "text":
        return None
    if fmt == "anthropic":
        return [anthropic_fmt.tool_dict(t) for t in tools]
    return [openai_fmt.tool_dict(t) for t in tools]


def base_variables(
    config: LLMConfig,
    chat: HttpChatConfig,
    *,
    system: str | None,
    messages: Sequence[InternalMessage],
    tools: Sequence[ToolSpec],
    stream: bool,
    api_key: str | None,
    user: str | None,
) -> dict[str, Any]:
    """The variables of one request, before the auth step adds its own."""
    rendered, system_text = format_messages(chat.messages_format, system, messages)
    return {
        "model": config.model,
        "messages": rendered,
        "system": system_text,
        "stream": stream,
        "tools": format_tools(chat.messages_format, tools),
        "max_tokens": config.max_tokens,
        "temperature": config.temperature,
        "api_key": api_key,
        "user": user,
    }


def _field(value: Any) -> str:
    # Query and form fields are text: lists and mappings go as JSON, numbers and booleans as JSON too.
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class HttpCall:
    """One request ready to send; ``where`` names its config block for errors."""

    method: str
    url: str
    headers: dict[str, str]
    params: dict[str, str]
    content: bytes | None
    where: str


def build(
    block: HttpChatConfig | HttpAuthConfig,
    where: str,
    variables: Mapping[str, Any],
    converter: Callable[[str], Callable[[Any], Any]],
) -> HttpCall:
    """The request ``block`` describes, rendered with ``variables``; TemplateError names the key."""
    from urllib.parse import urlencode

    renderer = Renderer(variables, converter)
    url = renderer.text(block.url, f"{where}.url")
    headers = {k: renderer.text(v, f"{where}.headers.{k}") for k, v in block.headers.items()}
    raw_params: dict[str, Any] = renderer.render(block.params, f"{where}.params") or {}
    params = {str(k): _field(v) for k, v in raw_params.items()}
    content: bytes | None = None
    if block.body is not None:
        body = renderer.render(block.body, f"{where}.body")
        lowered = {k.lower() for k in headers}
        if isinstance(block, HttpAuthConfig) and block.form:
            if not isinstance(body, dict):
                raise TemplateError(f"{where}.body", "a form body must be a mapping of fields")
            fields = {str(k): _field(v) for k, v in cast(dict[str, Any], body).items()}
            content = urlencode(fields).encode()
            if "content-type" not in lowered:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            content = json.dumps(body, ensure_ascii=False).encode()
            if "content-type" not in lowered:
                headers["Content-Type"] = "application/json"
    return HttpCall(block.method, url, headers, params, content, where)
