"""``PromptToolsClient``: tool calling for models and servers without native tools.

It wraps one provider client. In ``prompt`` mode every request goes out with the tools described in
the system prompt and the history in Hermes/Qwen markup; the answer's ``<tool_call>`` blocks come
back as normal tool calls (events and message), so the loop, the tool manager and the stored history
never see the difference. In ``auto`` mode requests go out natively until the server says it has no
tool support; the target then switches to prompt mode for good (remembered in the database).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Literal

from agentcore.llm.events import StreamEvent, TextDelta, ToolCallDelta, ToolCallStarted, TurnComplete
from agentcore.llm.prompt_tools._format import rewrite_history, system_with_tools
from agentcore.llm.prompt_tools._parser import OPEN, Piece, ToolCallParser, parse_all
from agentcore.llm.provider import ProviderClient
from agentcore.llm.request import LLMRequest
from agentcore.llm.wrapper import ClientWrapper
from agentcore.logs import get_logger
from agentcore.messages import InternalMessage

log = get_logger("agentcore.llm")

#: error texts (lower case) of servers that refuse the ``tools`` parameter
UNSUPPORTED_TOOLS_ERRORS: tuple[str, ...] = (
    "tools param requires --jinja",  # llama.cpp's llama-server started without --jinja
    "does not support tools",  # Ollama: "<model> does not support tools"
    "enable-auto-tool-choice",  # vLLM: '"auto" tool choice requires --enable-auto-tool-choice ...'
    "tool choice requires",
    "tools are not supported",
    "tool calling is not supported",
    "does not support function calling",
    "function calling is not supported",
)

#: reads what was learned about (provider, base_url, model): True/False, or None when nothing
LoadLearned = Callable[[str, str | None, str], Awaitable[bool | None]]
#: stores that (provider, base_url, model) has no native tools, with the error text as the reason
SaveLearned = Callable[[str, str | None, str, str], Awaitable[None]]


class LearnedStore:
    """Where ``auto`` keeps what it learned (the database, through ``agentcore.storage.capabilities``)."""

    def __init__(self, url: str | None) -> None:
        self.url = url

    async def load(self, provider: str, base_url: str | None, model: str) -> bool | None:
        """The stored native-tools fact, None when unknown (or when there is no database)."""
        if self.url is None:
            return None
        from agentcore.storage.capabilities import native_tools

        try:
            return await native_tools(self.url, provider, base_url, model)
        except Exception as exc:  # a missing fact is not worth failing a run for: native is tried
            log.warning("llm.capabilities_unreadable", error=f"{type(exc).__name__}: {exc}")
            return None

    async def save(self, provider: str, base_url: str | None, model: str, detail: str) -> None:
        """Remember that this target has no native tools."""
        if self.url is None:
            return
        from agentcore.storage.capabilities import remember_native_tools

        try:
            await remember_native_tools(self.url, provider, base_url, model, False, detail)
        except Exception as exc:  # this run goes on in prompt mode; the next one learns it again
            log.warning("llm.capabilities_unsaved", error=f"{type(exc).__name__}: {exc}")


def tools_unsupported(exc: BaseException, extra: Sequence[str] = ()) -> str | None:
    """The matching error text when ``exc`` says the server does not take native tools, else None."""
    text = str(exc).lower()
    body = getattr(exc, "body", None)
    if body is not None:
        text += " " + str(body).lower()
    for marker in (*UNSUPPORTED_TOOLS_ERRORS, *(e.lower() for e in extra)):
        if marker and marker in text:
            return marker
    return None


class PromptToolsClient(ClientWrapper):
    """One target with tool calling through the prompt (``prompt``) or native-then-prompt (``auto``)."""

    def __init__(
        self,
        inner: ProviderClient,
        mode: Literal["prompt", "auto"],
        store: LearnedStore | None = None,
    ) -> None:
        super().__init__(inner)
        self.mode = mode
        self._store = store if store is not None else LearnedStore(None)
        self._prompt: bool | None = True if mode == "prompt" else None  # None: not looked up yet
        self._warned = False

    def get_config(self) -> dict[str, Any]:
        """The target's config plus the tool-calling mode in use."""
        data = self.inner.get_config()
        data["toolCalling"] = self.mode
        if self.mode == "auto" and self._prompt is not None:
            data["toolCallingActive"] = "prompt" if self._prompt else "native"
        return data

    @property
    def prompt_mode(self) -> bool | None:
        """True once requests describe tools in the prompt; None while ``auto`` has not looked yet."""
        return self._prompt

    # ---- the round trip ------------------------------------------------------------------------

    async def _use_prompt(self) -> bool:
        if self._prompt is not None:
            return self._prompt
        # Concurrent first requests may both look: harmless, and no lock to tie to one event loop.
        learned = await self._store.load(self.provider, self.config.base_url, self.model)
        if self._prompt is None:
            self._prompt = learned is False
        return self._prompt

    async def _round_trip(self, request: LLMRequest) -> AsyncIterator[StreamEvent | TurnComplete]:
        if await self._use_prompt():
            async for event in self._parsed(_prompt_request(request)):
                yield event
            return
        started = False
        try:
            # Native tools, but the text is still read for markup: a server whose chat template
            # ignores tools leaves a Qwen/Hermes model writing its calls as text.
            async for event in self._parsed(request):
                started = True
                yield event
            return
        except Exception as exc:
            marker = None if started or not request.tools else self._unsupported(exc)
            if marker is None:
                raise
            detail = str(exc)[:300]
        await self._switch(detail)
        async for event in self._parsed(_prompt_request(request)):  # the same turn, at once
            yield event

    def _unsupported(self, exc: BaseException) -> str | None:
        return tools_unsupported(exc, self.config.tool_calling_errors)

    async def _switch(self, detail: str) -> None:
        first = self._prompt is not True
        self._prompt = True
        if first and not self._warned:
            self._warned = True
            log.warning(
                "llm.prompt_tool_calling",
                provider=self.provider,
                model=self.model,
                reason=f"the server has no native tool calling ({detail}); tools are now described in "
                "the prompt (set toolCalling: prompt to skip this check)",
            )
            await self._store.save(self.provider, self.config.base_url, self.model, detail)

    async def _parsed(self, sent: LLMRequest) -> AsyncIterator[StreamEvent | TurnComplete]:
        """The inner answer to ``sent`` with its ``<tool_call>`` blocks read as tool calls."""
        prefix = "ptc_" + secrets.token_hex(4)
        parser = ToolCallParser(prefix)
        async for event in self.inner.round_trip(sent):
            if isinstance(event, TextDelta):
                for out in _events(parser.feed(event.text), prefix):
                    yield out
            elif isinstance(event, TurnComplete):
                if sent.stream:
                    for out in _events(parser.finish(), prefix):
                        yield out
                    text, calls = parser.text, parser.calls
                elif OPEN in event.message.text:
                    text, calls = parse_all(event.message.text, prefix)
                else:
                    text, calls = event.message.text, []
                if not calls and text == event.message.text:
                    yield event  # nothing was markup: the message as the provider built it
                    continue
                native = event.message.tool_calls  # a server that answers natively after all
                message = InternalMessage.assistant(text.strip() or None, (*native, *calls))
                yield TurnComplete(message, event.usage, "tool_calls" if calls else event.finish_reason)
            else:
                yield event


def _prompt_request(request: LLMRequest) -> LLMRequest:
    """``request`` for a prompt-mode target: tools in the system prompt, history in markup."""
    return LLMRequest(
        rewrite_history(request.messages),
        system_with_tools(request.system, request.tools),
        (),
        request.stream,
        request.purpose,
        request.output,
        request.max_tokens,
    )


def _events(piece: Piece, prefix: str) -> list[StreamEvent]:
    out: list[StreamEvent] = []
    if piece.text:
        out.append(TextDelta(piece.text))
    for index, name in piece.started:
        out.append(ToolCallStarted(f"{prefix}_{index}", name, index))
    for index, call in piece.finished:
        out.append(ToolCallDelta(call.id, call.arguments, index))
    return out
