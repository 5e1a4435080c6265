"""Pieces of the ContextManager kept apart: lock settings, the in-memory turn lock, the summariser's transcript."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass

from agentcore.messages import InternalMessage
from agentcore.storage.locks import LockMode


@dataclass(frozen=True, slots=True)
class LockSettings:
    """``context.sessionLockMode`` / ``context.sessionLockTimeout``."""

    mode: LockMode = "wait"
    timeout: float = 300.0


@contextlib.asynccontextmanager
async def in_memory_hold(lock: asyncio.Lock, name: str, settings: LockSettings) -> AsyncGenerator[None]:
    from agentcore.errors import SessionBusy

    if settings.mode == "fail" and lock.locked():
        raise SessionBusy(name, "another turn is running (context.sessionLockMode: fail)")
    try:
        async with asyncio.timeout(settings.timeout):
            await lock.acquire()
    except TimeoutError:
        raise SessionBusy(name, f"another turn still holds it after {settings.timeout:g} s") from None
    try:
        yield
    finally:
        lock.release()


def transcript(messages: Sequence[InternalMessage], *, limit_chars: int) -> str:
    """A plain-text rendering of ``messages`` for the summariser (the newest part when too long)."""
    lines: list[str] = []
    for msg in messages:
        if msg.role == "tool":
            lines.append(f"[tool result {msg.name}]: {msg.text[:2_000]}")
        elif msg.tool_calls:
            calls = ", ".join(f"{c.name}({c.arguments[:500]})" for c in msg.tool_calls)
            lines.append(
                f"assistant: {msg.text}\n[called {calls}]" if msg.text else f"[assistant called {calls}]"
            )
        else:
            lines.append(f"{msg.role}: {msg.text}")
    text = "\n".join(lines)
    return text if len(text) <= limit_chars else "[...]\n" + text[-limit_chars:]
