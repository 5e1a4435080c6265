"""``agentcore providers test NAME``: one tiny request, and what each mapping path extracted."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from agentcore._redact import redact_text
from agentcore.config.schema import AgentConfig, LLMConfig
from agentcore.errors import AgentcoreError, ConfigError
from agentcore.llm.events import TextDelta, TurnComplete
from agentcore.llm.providers.http._paths import MISSING, get_path
from agentcore.llm.providers.http.check import mapping_paths
from agentcore.llm.providers.http.host import Host, current_host, hosted
from agentcore.messages import InternalMessage
from agentcore.tracing.context import call_context


def find_http(config: AgentConfig, name: str) -> LLMConfig:
    """The LLM config whose ``http.name`` is ``name`` (``llm`` or any nested LLM config)."""
    found: list[LLMConfig] = []

    def walk(value: Any) -> None:
        if isinstance(value, LLMConfig):
            if value.http is not None:
                found.append(value)
        elif isinstance(value, BaseModel):
            for field in type(value).model_fields:
                walk(getattr(value, field))
        elif isinstance(value, dict):
            for item in value.values():  # pyright: ignore[reportUnknownVariableType]
                walk(item)
        elif isinstance(value, list):
            for item in value:  # pyright: ignore[reportUnknownVariableType]
                walk(item)

    walk(config)
    for llm in found:
        assert llm.http is not None
        if llm.http.name == name:
            return llm
    names = ", ".join(llm.http.name for llm in found if llm.http is not None) or "none"
    raise ConfigError(f"no http provider named '{name}'", key_path="llm.http.name", hint=f"defined: {names}")


def _show(value: Any) -> str:
    if value is MISSING:
        return "(absent)"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = redact_text(text.replace("\n", "\\n"))
    return text if len(text) <= 100 else text[:97] + "..."


async def probe(
    llm: LLMConfig, *, prompt: str, stream: bool, user: str | None, host: Host | None = None
) -> tuple[list[str], bool]:
    """The report lines, and whether the mapping produced an answer (``host``: services lent to the
    provider, e.g. the keys table for ``userKeys.table``)."""
    from agentcore.llm.providers.http.service import HttpService
    from agentcore.llm.service import LLMRequest

    service = HttpService(llm)
    lines: list[str] = [
        f"provider {service.provider}, model {llm.model}, {'streaming' if stream else 'not streaming'}"
    ]
    request = LLMRequest((InternalMessage.user(prompt),), None, (), stream=stream, purpose="direct")
    ok = False
    try:
        with call_context("providers-test", user_id=user), hosted(host or current_host()):
            variables, cache_key = await service.variables(request, stream)
            if service.http.auth is not None:
                token = await service.token(variables, cache_key)
                names = ", ".join(token.variables) or "none"
                expiry = (
                    "no expiry"
                    if token.expires_at is None
                    else f"expires in {token.expires_at - token.created_at:.0f}s"
                )
                lines.append(f"auth: ok; set {names} (values hidden); {expiry}")
                variables = {**variables, **token.variables}
            call = service._build(service.http.chat, "chat", variables)
            lines.append(f"request: {call.method} {redact_text(call.url)}")
            if not stream:
                ok = await _plain(service, call, lines)
            else:
                ok = await _streamed(service, request, lines)
    except AgentcoreError as exc:
        lines.append(f"error: {redact_text(str(exc))}")
    except Exception as exc:
        failure = service._classify(exc)
        lines.append(f"error: {redact_text(failure.reason if failure else f'{type(exc).__name__}: {exc}')}")
    finally:
        await service.aclose()
    return lines, ok


async def _plain(service: Any, call: Any, lines: list[str]) -> bool:
    response = await service._send(call)
    lines.append(f"status: HTTP {response.status_code}")
    try:
        data = json.loads(response.content)
    except ValueError:
        lines.append(f"answer is not JSON: {_show(response.text[:200])}")
        return False
    lines.append("mappings (response):")
    for key_path, path in mapping_paths(service.http):
        if key_path.startswith("llm.http.response."):
            lines.append(f"  {key_path.removeprefix('llm.http.')}: {path} -> {_show(get_path(data, path))}")
    if response.status_code >= 400:
        return False
    from agentcore.llm.providers.http import _response as resp

    turn: TurnComplete = resp.map_answer(data, service.http.response, service.provider)
    _summary(turn, lines)
    return True


async def _streamed(service: Any, request: Any, lines: list[str]) -> bool:
    chunks: list[Any] = []
    service.probe_chunks = chunks
    turn: TurnComplete | None = None
    deltas = 0
    async for event in service._round_trip(request):
        if isinstance(event, TextDelta):
            deltas += 1
        elif isinstance(event, TurnComplete):
            turn = event
    lines.append(
        f"chunks: {len(chunks)} JSON chunk(s) kept after chunkMatch/doneMarker, {deltas} text delta(s)"
    )
    for index, chunk in enumerate(chunks[:3]):
        lines.append(f"  chunk {index}: {_show(chunk)}")
    lines.append("mappings (stream, in how many chunks each path was found; first value):")
    for key_path, path in mapping_paths(service.http):
        if key_path.startswith(("llm.http.stream.", "llm.http.response.text", "llm.http.response.usage")):
            values = [v for v in (get_path(c, path) for c in chunks) if v is not MISSING]
            first = _show(values[0]) if values else "(absent)"
            lines.append(f"  {key_path.removeprefix('llm.http.')}: {path} -> {len(values)} chunk(s), {first}")
    if turn is None:
        return False
    _summary(turn, lines)
    return True


def _summary(turn: TurnComplete, lines: list[str]) -> None:
    usage = turn.usage
    lines.append(f"text: {_show(turn.message.text)}")
    lines.append(f"finish reason: {turn.finish_reason or '(none)'}")
    for call in turn.message.tool_calls:
        lines.append(f"tool call: {call.name}({_show(call.arguments)}) id {call.id}")
    shown = (
        f"prompt {usage.prompt_tokens}, completion {usage.completion_tokens}, cached {usage.cached_tokens}"
    )
    lines.append(f"usage: {shown}" if usage.reported else "usage: not reported")
