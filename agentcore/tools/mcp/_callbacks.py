"""The SDK callbacks of one connection: sampling, elicitation, roots and server log messages.

Requests a server sends while one of our tool calls runs are answered in that call's context
(``McpToolSource.call_contexts``), so a sampling request is logged under the tool call's trace.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from agentcore.errors import describe
from agentcore.logs import get_logger
from agentcore.tools.mcp._handlers import ElicitationReply, ElicitationRequest, SamplingRequest

if TYPE_CHECKING:
    from agentcore.tools.mcp.source import McpToolSource

log = get_logger(__name__)

# MCP's syslog levels onto the stdlib's.
_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "notice": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "alert": logging.CRITICAL,
    "emergency": logging.CRITICAL,
}


def _text(content: Any) -> str:
    blocks: list[Any] = cast(list[Any], content) if isinstance(content, list) else [content]
    out: list[str] = []
    for block in blocks:
        kind = getattr(block, "type", None)
        out.append(block.text if kind == "text" else f"[{kind} content omitted]")
    return "\n".join(out)


async def _in_call_context(source: McpToolSource, coro: Any) -> Any:
    """Run ``coro`` in the context of the tool call in flight (its trace), or here if none."""
    contexts = source.call_contexts
    if not contexts:
        return await coro
    return await asyncio.create_task(coro, context=contexts[-1])


def session_kwargs(source: McpToolSource) -> dict[str, Any]:
    """The ``ClientSession`` keyword arguments for what this source (and its hooks) can answer."""
    from mcp import types

    config = source.config
    hooks = source.hooks
    kwargs: dict[str, Any] = {"logging_callback": _logging(source)}
    if config.log_level is not None:
        kwargs["log_level"] = config.log_level

    if config.sampling.enabled and hooks.sampling is not None:
        handler = hooks.sampling

        async def sampling(context: Any, params: Any) -> Any:
            prefs = params.model_preferences
            raw_hints: list[Any] = list(prefs.hints or []) if prefs is not None else []
            hints = tuple(str(h.name) for h in raw_hints if h.name)
            limit = params.max_tokens
            if config.sampling.max_tokens is not None:
                limit = min(limit, config.sampling.max_tokens) if limit else config.sampling.max_tokens
            request = SamplingRequest(
                server=source.name,
                messages=tuple((str(m.role), _text(m.content)) for m in params.messages),
                system=params.system_prompt,
                max_tokens=limit,
                model_hints=hints,
                temperature=params.temperature,
                profile=config.sampling.profile,
            )
            try:
                reply = await _in_call_context(source, handler(request))
            except Exception as exc:
                info = describe(exc)
                log.warning("MCP sampling failed", server=source.name, error=info.message)
                return types.ErrorData(code=types.INTERNAL_ERROR, message=f"sampling failed: {info.message}")
            return types.CreateMessageResult(
                role="assistant",
                content=types.TextContent(type="text", text=reply.text),
                model=reply.model,
                stop_reason=reply.stop_reason,
            )

        kwargs["sampling_callback"] = sampling

    if True:  # always offered: where nobody can answer, the request is declined (never an error)

        async def elicitation(context: Any, params: Any) -> Any:
            mode = getattr(params, "mode", None) or "form"
            request = ElicitationRequest(
                server=source.name,
                message=params.message,
                mode="url" if mode == "url" else "form",
                schema=cast(dict[str, Any], getattr(params, "requested_schema", None) or {}),
                url=getattr(params, "url", None),
            )
            reply: ElicitationReply
            if config.elicitation != "prompt" or hooks.elicitation is None:
                reply = ElicitationReply("cancel" if config.elicitation == "cancel" else "decline")
            else:
                reply = await _in_call_context(source, hooks.elicitation(request))
            content = dict(reply.content) if reply.action == "accept" and reply.content is not None else None
            return types.ElicitResult(action=reply.action, content=content)

        kwargs["elicitation_callback"] = elicitation

    roots = source.roots()
    if roots:

        async def list_roots(context: Any) -> Any:
            return types.ListRootsResult(
                roots=[types.Root(uri=cast(Any, p.as_uri()), name=p.name or str(p)) for p in source.roots()]
            )

        kwargs["list_roots_callback"] = list_roots
    return kwargs


def _logging(source: McpToolSource) -> Any:
    async def on_log(params: Any) -> None:
        level = _LEVELS.get(str(params.level), logging.INFO)
        data = params.data
        text = data if isinstance(data, str) else repr(data)
        log.log(level, "MCP server log", server=source.name, logger=params.logger, message=text[:2000])

    return on_log


def resolve_roots(entries: list[str] | None, base: Path | None, stdio: bool) -> list[Path]:
    """Configured roots (relative ones against ``base``), or the working directory for stdio."""
    if entries is None:
        return [(base or Path.cwd()).resolve()] if stdio else []
    return [((base or Path.cwd()) / Path(e).expanduser()).resolve() for e in entries]
