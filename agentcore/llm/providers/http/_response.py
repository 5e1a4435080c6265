"""Mapping an answer (or one streamed chunk) onto our message model by dotted paths."""

from __future__ import annotations

import json
import os
from typing import Any, cast

from agentcore.config.http_schema import (
    HttpErrorMapping,
    HttpResponseMapping,
    HttpToolCallsMapping,
    HttpUsageMapping,
)
from agentcore.errors import ConfigError
from agentcore.llm.events import TurnComplete
from agentcore.llm.providers.http._paths import MISSING, describe_keys, get_path
from agentcore.messages import InternalMessage, ToolCall, Usage


class HttpCallError(Exception):
    """The API answered with an error (a status, or an error body with status 200)."""

    def __init__(
        self,
        status: int | None,
        message: str,
        code: str | None = None,
        *,
        auth: bool = False,
        retry_after: float | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.auth = auth or status == 401
        self.retry_after = retry_after
        self.request_id = request_id


def absent(provider: str, path: str, key_path: str, data: Any) -> ConfigError:
    """The error for a mapping path the answer does not have."""
    return ConfigError(
        f"{provider}: the path '{path}' is not in the answer ({describe_keys(data)})",
        key_path=key_path,
        hint="fix the path; `agentcore providers test` shows what each mapping extracts",
    )


def text_value(value: Any) -> str | None:
    """A text field's value as text (None and absent stay None)."""
    if value is MISSING or value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def arguments_text(value: Any) -> str:
    """Tool arguments as JSON text; some APIs (Ollama) send an object, most a string."""
    if value is MISSING or value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def new_call_id() -> str:
    """An id for an API that gives its tool calls none (the history needs one to pair results)."""
    return "call_" + os.urandom(6).hex()


def tool_call_items(data: Any, mapping: HttpToolCallsMapping) -> list[Any]:
    """The list of tool-call elements at ``mapping.path`` (empty when absent or null)."""
    value = get_path(data, mapping.path)
    if isinstance(value, list):
        return cast(list[Any], value)
    if isinstance(value, dict):
        return [value]
    return []


def tool_calls(data: Any, mapping: HttpToolCallsMapping | None) -> tuple[ToolCall, ...]:
    """Complete tool calls of a non-streamed answer."""
    if mapping is None:
        return ()
    calls: list[ToolCall] = []
    for item in tool_call_items(data, mapping):
        name = get_path(item, mapping.name)
        if not isinstance(name, str) or not name:
            continue
        call_id = get_path(item, mapping.id) if mapping.id else MISSING
        calls.append(
            ToolCall(
                str(call_id) if call_id not in (MISSING, None, "") else new_call_id(),
                name,
                arguments_text(get_path(item, mapping.arguments)) or "{}",
            )
        )
    return tuple(calls)


def usage(data: Any, mapping: HttpUsageMapping | None) -> Usage | None:
    """The usage the answer reports, or None when no configured path is present."""
    if mapping is None:
        return None
    found: dict[str, int] = {}
    for field in ("prompt", "completion", "cached", "total"):
        path: str | None = getattr(mapping, field)
        if path is None:
            continue
        value = get_path(data, path)
        if isinstance(value, int | float) and not isinstance(value, bool):
            found[field] = int(value)
    if not found:
        return None
    return Usage(
        found.get("prompt", 0),
        found.get("completion", 0),
        found.get("cached", 0),
        provider_total=found.get("total"),
    )


def error_fields(data: Any, mapping: HttpErrorMapping) -> tuple[str | None, str | None]:
    """``(message, code)`` of an error answer: the configured paths, else the usual places."""
    message = text_value(get_path(data, mapping.message)) if mapping.message else None
    code = text_value(get_path(data, mapping.code)) if mapping.code else None
    if message is None and isinstance(data, dict):
        for path in ("error.message", "message", "error_msg", "error", "detail"):
            value = get_path(data, path)
            if isinstance(value, str) and value:
                message = value
                break
    return message, code


def is_auth_code(code: str | None, mapping: HttpErrorMapping) -> bool:
    """Whether ``code`` is one the API uses for an expired or invalid token."""
    return code is not None and code in {str(c) for c in mapping.auth_codes}


def map_answer(data: Any, mapping: HttpResponseMapping, provider: str) -> TurnComplete:
    """The assistant message of a complete answer; an absent text path is an error naming it."""
    calls = tool_calls(data, mapping.tool_calls)
    text: str | None = None
    if mapping.text is not None:
        value = get_path(data, mapping.text)
        if value is MISSING and not calls:
            raise absent(provider, mapping.text, "llm.http.response.text", data)
        text = text_value(value)
    finish = text_value(get_path(data, mapping.finish_reason)) if mapping.finish_reason else None
    found = usage(data, mapping.usage)
    return TurnComplete(
        InternalMessage.assistant(text or None, calls),
        found if found is not None else Usage(reported=False),
        finish,
    )
