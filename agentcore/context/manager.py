"""The ContextManager: the conversation history of one session and what of it is sent to the model."""

from __future__ import annotations

from collections.abc import Sequence

from agentcore.messages import InternalMessage
from agentcore.tools.base import ToolSpec


class ContextManager:
    """Holds one session's messages (in memory here; persisted by a store when one is attached)."""

    def __init__(self, system_prompt: str | None = None) -> None:
        self._system_prompt = system_prompt
        self._messages: list[InternalMessage] = []

    @property
    def system_prompt(self) -> str | None:
        """The system prompt sent with every request."""
        return self._system_prompt

    @system_prompt.setter
    def system_prompt(self, value: str | None) -> None:
        self._system_prompt = value

    @property
    def messages(self) -> Sequence[InternalMessage]:
        """The complete stored history (never compressed)."""
        return self._messages

    async def add(self, message: InternalMessage) -> None:
        """Append one message to the history."""
        self._messages.append(message)

    async def add_many(self, messages: Sequence[InternalMessage]) -> None:
        """Append several messages in order."""
        self._messages.extend(messages)

    async def request_messages(self, tools: Sequence[ToolSpec] = ()) -> Sequence[InternalMessage]:
        """The history to send with the next request (without the system prompt)."""
        del tools
        return self._messages

    async def reset(self) -> None:
        """Forget every message of this session."""
        self._messages.clear()
