"""The service interface (``generate / direct_generate / get_all_tools / get_config``) over any
``ModelClient``: a single target with retries, or a router over a profile's targets.

The tool loop lives in ``agentcore.llm.loop``; provider clients (``agentcore.llm.provider``) do one
round trip each. This module only chooses the client and holds the default conversation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, Literal, overload

from agentcore.context.manager import ContextManager
from agentcore.errors import CapabilityError
from agentcore.llm.client import ModelClient, complete
from agentcore.llm.events import FinalAnswer, LimitReached, StreamEvent, TurnComplete
from agentcore.llm.loop import interrupted, run_loop
from agentcore.llm.observer import NULL_OBSERVER, LoopObserver
from agentcore.llm.output import OutputHandler
from agentcore.llm.request import LLMRequest
from agentcore.llm.retry import RetryPolicy
from agentcore.messages import ImagePart, InternalMessage, load_image
from agentcore.tools.base import ToolSpec
from agentcore.tools.context import RunState
from agentcore.tools.manager import UnifiedToolManager

__all__ = ["LLMRequest", "LLMService", "interrupted"]

#: builds the client of a profile and/or a one-off ``provider/model`` (set by the Agent)
ClientFactory = Callable[[str | None, str | None], ModelClient]


class LLMService:
    """The model side of an agent: its default client, other profiles' clients on demand, the loop."""

    def __init__(
        self,
        client: ModelClient,
        *,
        context: ContextManager | None = None,
        tools: UnifiedToolManager | None = None,
        factory: ClientFactory | None = None,
    ) -> None:
        self.client = client
        self.context = context if context is not None else ContextManager()
        self.tools = tools if tools is not None else UnifiedToolManager([])
        self.recorder: LoopObserver = NULL_OBSERVER  # the Agent sets the call log's recorder
        self._factory = factory
        self._clients: dict[tuple[str | None, str | None], ModelClient] = {}

    # ---- which client ---------------------------------------------------------------------

    @property
    def provider(self) -> str:
        """The default client's (first) provider."""
        return self.client.provider

    @property
    def model(self) -> str:
        """The default client's (first) model."""
        return self.client.model

    @property
    def retry_policy(self) -> RetryPolicy:
        """The default client's retry policy."""
        return self.client.retry_policy

    @retry_policy.setter
    def retry_policy(self, policy: RetryPolicy) -> None:
        self.client.retry_policy = policy

    def client_for(self, profile: str | None = None, model: str | None = None) -> ModelClient:
        """The client of ``profile`` and/or one-off ``model``; the default client when both are None.
        Built once, then reused (it keeps its connections and router state)."""
        if profile is None and model is None:
            return self.client
        key = (profile, model)
        client = self._clients.get(key)
        if client is None:
            if self._factory is None:
                raise CapabilityError("this service has no profiles (build it with an Agent or build_client)")
            client = self._clients[key] = self._factory(profile, model)
        return client

    def prepare(self) -> None:
        """Build the default client's SDK clients now."""
        self.client.prepare()

    async def aclose(self) -> None:
        """Close every client's connections (the next request opens new ones)."""
        await self.client.aclose()
        for client in self._clients.values():
            await client.aclose()

    # ---- the service interface ------------------------------------------------------------

    @overload
    def generate(
        self, user_input: str, image: str | bytes | ImagePart | None = None, stream: Literal[False] = False
    ) -> Coroutine[Any, Any, str]: ...

    @overload
    def generate(
        self, user_input: str, image: str | bytes | ImagePart | None = None, *, stream: Literal[True]
    ) -> AsyncIterator[StreamEvent]: ...

    def generate(
        self, user_input: str, image: str | bytes | ImagePart | None = None, stream: bool = False
    ) -> Coroutine[Any, Any, str] | AsyncIterator[StreamEvent]:
        """Run the tool loop on this service's context: the final text, or the events when streaming."""
        message = self.user_message(user_input, image)
        if stream:
            return self.run_loop(self.context, message, stream=True)
        return self._generate_text(message)

    async def _generate_text(self, message: InternalMessage) -> str:
        text = ""
        async for event in self.run_loop(self.context, message, stream=False):
            if isinstance(event, FinalAnswer | LimitReached):
                text = event.text
        return text

    async def direct_generate(
        self, user_input: str, system_prompt: str | None = None, *, profile: str | None = None
    ) -> str:
        """One request with no history and no tools; touches no conversation."""
        request = LLMRequest(
            (InternalMessage.user(user_input),), system_prompt, (), stream=False, purpose="direct"
        )
        turn = await complete(self.client_for(profile), request, self.recorder)
        return turn.message.text

    async def get_all_tools(self) -> list[ToolSpec]:
        """Every tool the model can call."""
        return list(self.tools.specs())

    def get_config(self) -> dict[str, Any]:
        """Provider, model and the (secret-free) settings of this service."""
        data = self.client.primary.get_config()
        data["maxIterations"] = self.client.max_iterations
        name = getattr(self.client, "name", None)
        if name is not None:
            data["profile"] = name
        return data

    def user_message(
        self, text: str, image: str | bytes | ImagePart | None = None, client: ModelClient | None = None
    ) -> InternalMessage:
        """A user message; images are checked against the (first) target before anything is sent."""
        if image is None:
            return InternalMessage.user(text)
        primary = (client or self.client).primary
        if not primary.accepts_images():
            raise CapabilityError(
                f"{primary.provider} model '{primary.model}' does not accept images "
                "(set llm.supportsImages: true if it does)"
            )
        return InternalMessage.user(text, (load_image(image, max_bytes=primary.config.max_image_bytes),))

    async def complete(self, request: LLMRequest) -> TurnComplete:
        """One request (with retries / failover), consumed to its final TurnComplete."""
        return await complete(self.client, request, self.recorder)

    def run_loop(
        self,
        context: ContextManager,
        message: InternalMessage,
        *,
        stream: bool,
        client: ModelClient | None = None,
        run: RunState | None = None,
        output: OutputHandler[Any] | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """The bounded tool loop on ``context`` with ``client`` (the default client when None);
        ``run``: deps and approver for the tools; ``output``: the structured answer wanted."""
        chosen = client if client is not None else self.client
        return run_loop(
            chosen,
            context,
            self.tools,
            message,
            stream=stream,
            max_iterations=chosen.max_iterations,
            observer=self.recorder,
            run=run,
            output=output,
        )
