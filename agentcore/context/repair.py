"""Make a stored history valid for every provider before it is sent.

Providers reject a tool result without its call and a tool call without its result. A crash or a
cancelled turn can leave either behind, so on load: results that do not directly follow their call
are dropped, and each call without a result gets a synthetic "interrupted" result. Tool calls whose
arguments are not valid JSON (stored before they were checked on arrival) get valid arguments.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from agentcore.messages import InternalMessage, ToolCall

INTERRUPTED = "interrupted: this tool call did not complete (the run stopped before its result was recorded)"


def synthetic_result(call: ToolCall) -> InternalMessage:
    """The result recorded for a call whose real result is missing."""
    msg = InternalMessage.tool_result(call, INTERRUPTED, is_error=True)
    msg.cache["synthetic"] = True
    return msg


def repair(messages: Sequence[InternalMessage]) -> list[InternalMessage]:
    """``messages`` with orphan results dropped and missing results filled in (order kept)."""
    out: list[InternalMessage] = []
    i = 0
    n = len(messages)
    while i < n:
        msg = messages[i]
        i += 1
        if msg.role == "tool":
            continue  # not right after its call: an orphan
        if msg.tool_calls:
            msg = _with_checked_calls(msg)
        out.append(msg)
        if msg.role != "assistant" or not msg.tool_calls:
            continue
        found: dict[str, InternalMessage] = {}
        ids = {c.id for c in msg.tool_calls}
        while i < n and messages[i].role == "tool":
            result = messages[i]
            i += 1
            if result.tool_call_id in ids and result.tool_call_id not in found:
                found[result.tool_call_id] = result
        for call in msg.tool_calls:
            out.append(found.get(call.id) or synthetic_result(call))
    return out


def _with_checked_calls(msg: InternalMessage) -> InternalMessage:
    calls = tuple(repaired_call(c) for c in msg.tool_calls)
    if calls == msg.tool_calls:
        return msg
    # Rendered forms cached on the old message hold the invalid JSON: only the position is kept.
    cache = {k: v for k, v in msg.cache.items() if k == "seq"}
    return InternalMessage(msg.role, msg.content, calls, msg.tool_call_id, msg.name, msg.is_error, cache)


def is_valid(messages: Sequence[InternalMessage]) -> bool:
    """True when every call is directly followed by exactly its results, and no result is orphaned."""
    return repair(messages) == list(messages)


# ---- tool-call arguments ------------------------------------------------------------------------
# A call whose arguments are not valid JSON must never be sent back as-is (llama.cpp's server rejects
# every later request of the session). The model's text is kept in ``raw_arguments``; what is sent
# is an unambiguous repair or ``{}``; ``arguments_error`` tells the model (as the call's result) why
# the call was not run.

_CUT_FINISH = frozenset({"length", "max_tokens"})
_CLOSERS = {"{": "}", "[": "]"}
_MAX_SHOWN = 200


def checked_call(call_id: str, name: str, raw: str, finish_reason: str | None = None) -> ToolCall:
    """The ToolCall for arguments ``raw`` as the model sent them, checked and, when needed, repaired.

    ``finish_reason`` is the response's: ``length``/``max_tokens`` means the last call may be cut by
    the output token limit, which is said so in the error rather than guessed at.
    """
    text = raw.strip()
    if not text or text == "null":  # "no arguments", as several models say it
        return ToolCall(call_id, name, "{}", raw if text else None)
    try:
        value: Any = json.loads(text)
    except ValueError as exc:
        problem = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        where = f" at char {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
        if finish_reason in _CUT_FINISH:
            error = (
                f"The arguments for '{name}' were cut off by the output token limit before they were "
                f"complete ({_shown(raw)}), so the call was not run. Resend it with complete arguments "
                "(if this keeps happening, raise llm.maxTokens)."
            )
            return ToolCall(call_id, name, "{}", raw, error)
        repaired = _repair(text)
        error = (
            f"The arguments for '{name}' are not valid JSON ({problem}{where}) in: {_shown(raw)}, so the "
            "call was not run. Resend the call with the arguments as one valid JSON object."
        )
        return ToolCall(call_id, name, repaired or "{}", raw, error)
    if not isinstance(value, dict):
        error = (
            f"The arguments for '{name}' must be a JSON object with one key per argument, got "
            f"{_shown(raw)}, so the call was not run. Resend the call with an object."
        )
        return ToolCall(call_id, name, "{}", raw, error)
    return ToolCall(call_id, name, raw)


def _shown(raw: str) -> str:
    return raw if len(raw) <= _MAX_SHOWN else raw[:_MAX_SHOWN] + "..."


def _repair(text: str) -> str | None:
    """The JSON object ``text`` unambiguously stands for, or None.

    Two slips are repaired: garbage after one complete object (``{"a": 1}}``, ``{"a": 1} done``), and
    closing brackets missing after a last value that is itself complete (``{"a": 1``). Anything
    else (a cut string, a cut key, a second object) has more than one reading.
    """
    if not text.startswith("{"):
        return None
    try:
        value, end = json.JSONDecoder().raw_decode(text)
    except ValueError:
        value, end = None, 0
    if isinstance(value, dict):
        rest = text[end:].strip()
        if rest and "{" not in rest:  # a second object would be a second reading
            return json.dumps(value, ensure_ascii=False)
        return None
    closers = _missing_closers(text)
    if not closers:
        return None
    try:
        value = json.loads(text + closers)
    except ValueError:
        return None
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else None


def _missing_closers(text: str) -> str | None:
    """The closing brackets ``text`` lacks, when it ends outside any string after a complete value."""
    stack: list[str] = []
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in _CLOSERS:
            stack.append(_CLOSERS[ch])
        elif ch in "}]" and (not stack or stack.pop() != ch):
            return None
    if in_string or not stack or text[-1] in ",:{[":
        return None
    return "".join(reversed(stack))


def repaired_call(call: ToolCall) -> ToolCall:
    """``call`` as loaded from storage, checked again (histories stored before the check existed)."""
    if call.arguments_error is not None:
        return call
    checked = checked_call(call.id, call.name, call.arguments)
    if checked.arguments_error is None:
        return call
    return checked
