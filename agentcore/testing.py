"""Test doubles for your own tests: models that answer without HTTP.

``TestModel`` calls every tool once with schema-valid arguments, then answers; ``FunctionModel(fn)``
lets a function decide each turn from the messages; ``ScriptedModel([...])`` plays turns in order.
Use one as ``Agent(config, model=TestModel())`` or ``with agent.override(model=TestModel()): ...``.
``allow_model_requests(False)`` makes any real provider request fail (put it in your conftest).
"""

from __future__ import annotations

import inspect
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from agentcore.config.schema import LLMConfig
from agentcore.llm.events import StreamEvent, TextDelta, ToolCallDelta, ToolCallStarted, TurnComplete
from agentcore.llm.loop import capture_run_messages
from agentcore.llm.observer import NULL_OBSERVER, LoopObserver
from agentcore.llm.provider import ALLOW_MODEL_REQUESTS, ProviderClient
from agentcore.llm.request import LLMRequest, OutputSpec
from agentcore.llm.retry import Failure, RetryPolicy
from agentcore.llm.route import RouteInfo
from agentcore.messages import InternalMessage, ToolCall, Usage
from agentcore.tools.base import ToolSpec

__all__ = [
    "AgentInfo",
    "FunctionModel",
    "ScriptedModel",
    "TestModel",
    "Turn",
    "allow_model_requests",
    "call",
    "capture_run_messages",
]

#: what a turn function may return: the answer text, one or more tool calls, or a whole message
Turn = str | ToolCall | Sequence[ToolCall] | InternalMessage
_ids = itertools.count(1)


def call(name: str, arguments: dict[str, Any] | str | None = None, /, **kwargs: Any) -> ToolCall:
    """A tool call for a scripted turn: ``call("add", a=1, b=2)`` or ``call("add", {"a": 1})``."""
    text = arguments if isinstance(arguments, str) else json.dumps({**(arguments or {}), **kwargs})
    return ToolCall(f"call_{next(_ids)}", name, text)


class allow_model_requests:
    """``allow_model_requests(False)`` forbids real model requests from now on (until set back);
    ``with allow_model_requests(False): ...`` forbids them inside the block only."""

    def __init__(self, allowed: bool = True) -> None:
        self._before = ALLOW_MODEL_REQUESTS[0]
        ALLOW_MODEL_REQUESTS[0] = allowed

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        ALLOW_MODEL_REQUESTS[0] = self._before


@dataclass(frozen=True, slots=True)
class AgentInfo:
    """What the model is offered this turn: tools, structured output, system prompt, streaming."""

    tools: Sequence[ToolSpec]
    output: OutputSpec | None
    system: str | None
    stream: bool


class _Double(ProviderClient):
    """A ``ModelClient`` with no SDK: the loop, call log and agent treat it like any other."""

    real = False

    def __init__(
        self, name: str, *, max_iterations: int = 10, images: bool = True, audio: bool = True
    ) -> None:
        super().__init__(LLMConfig(provider="openai", model=name, maxIterations=max_iterations, maxRetries=0))
        self.provider = "test"
        self._media = (images, audio)
        self.retry_policy = RetryPolicy.from_config(self.config)
        self.requests: list[LLMRequest] = []  # every request answered, for assertions

    @property
    def max_iterations(self) -> int:
        """The loop limit (``max_iterations=``)."""
        return self.config.max_iterations

    @property
    def primary(self) -> ProviderClient:
        """Itself."""
        return self

    def accepts_images(self) -> bool:
        """``images=`` (default True; False to test the refusal)."""
        return self._media[0]

    def accepts_audio(self) -> bool:
        """``audio=`` (default True; False to test the refusal)."""
        return self._media[1]

    def _classify(self, exc: BaseException) -> Failure | None:
        return None  # a double's exceptions are the test's own: never retried

    async def _turn(self, request: LLMRequest) -> Turn:
        raise NotImplementedError

    async def _round_trip(self, request: LLMRequest) -> AsyncIterator[StreamEvent | TurnComplete]:
        self.requests.append(request)
        message = _as_message(await self._turn(request))
        if request.stream:
            for piece in _chunks(message.text or ""):
                yield TextDelta(piece)
            for index, item in enumerate(message.tool_calls):
                yield ToolCallStarted(item.id, item.name, index)
                for piece in _chunks(item.arguments):
                    yield ToolCallDelta(item.id, piece, index)
        yield TurnComplete(message, _usage(request, message), "tool_calls" if message.tool_calls else "stop")

    async def request(
        self, request: LLMRequest, observer: LoopObserver = NULL_OBSERVER
    ) -> AsyncIterator[StreamEvent | TurnComplete]:
        """One attempt (never retried), seen by the call log like a real one."""
        route = RouteInfo(None, f"test/{self.model}", False, None)
        obs = observer.attempt(self, request, 1, route=route)
        try:
            async for event in self.round_trip(request):
                obs.see(event)
                yield event
            obs.ok()
        except Exception as exc:
            obs.error(exc)
            raise
        finally:
            obs.close()


class FunctionModel(_Double):
    """Each turn is ``fn(messages, info)`` (sync or async): return the answer text, a tool call
    (``call(...)``) or several, or an assistant ``InternalMessage``."""

    def __init__(
        self,
        fn: Callable[[list[InternalMessage], AgentInfo], Turn | Awaitable[Turn]],
        *,
        model_name: str = "function",
        max_iterations: int = 10,
        images: bool = True,
        audio: bool = True,
    ) -> None:
        super().__init__(model_name, max_iterations=max_iterations, images=images, audio=audio)
        self.fn = fn

    async def _turn(self, request: LLMRequest) -> Turn:
        info = AgentInfo(list(request.tools), request.output, request.system, request.stream)
        result = self.fn(list(request.messages), info)
        if inspect.isawaitable(result):
            result = await result
        return result


class ScriptedModel(_Double):
    """Plays ``turns`` in order, one per request; running out is an error naming the count."""

    def __init__(
        self,
        turns: Iterable[Turn],
        *,
        model_name: str = "scripted",
        max_iterations: int = 10,
        images: bool = True,
        audio: bool = True,
    ) -> None:
        super().__init__(model_name, max_iterations=max_iterations, images=images, audio=audio)
        self.turns = list(turns)
        self._next = 0

    async def _turn(self, request: LLMRequest) -> Turn:
        if self._next >= len(self.turns):
            raise AssertionError(
                f"ScriptedModel: request {self._next + 1} but only {len(self.turns)} turn(s) scripted"
            )
        turn = self.turns[self._next]
        self._next += 1
        return turn


class TestModel(_Double):
    """Calls every tool once (or those in ``call_tools``) with arguments generated from each tool's
    schema, then answers: ``custom_output_text``, schema-valid structured output (``custom_output_args``
    when given), or a JSON summary of the tool results. Usage is deterministic (word counts)."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        *,
        call_tools: Sequence[str] | str = "all",
        custom_output_text: str | None = None,
        custom_output_args: Any = None,
        model_name: str = "test",
        max_iterations: int = 10,
        images: bool = True,
        audio: bool = True,
    ) -> None:
        super().__init__(model_name, max_iterations=max_iterations, images=images, audio=audio)
        self.call_tools = call_tools
        self.custom_output_text = custom_output_text
        self.custom_output_args = custom_output_args

    async def _turn(self, request: LLMRequest) -> Turn:
        output_tool = next((t for t in request.tools if t.source == "output"), None)
        tools = [t for t in request.tools if t is not output_tool]
        if self.call_tools != "all":
            tools = [t for t in tools if t.name in self.call_tools]
        results = _results_since_user(request.messages)
        if tools and results is None:
            return [call(t.name, generate(t.parameters, t.parameters)) for t in tools]
        if output_tool is not None:
            args = self.custom_output_args
            return call(
                output_tool.name,
                args if args is not None else generate(output_tool.parameters, output_tool.parameters),
            )
        if request.output is not None:
            args = self.custom_output_args
            return json.dumps(
                args if args is not None else generate(request.output.schema, request.output.schema)
            )
        if self.custom_output_text is not None:
            return self.custom_output_text
        if not results:
            return "success (no tool calls)"
        return json.dumps({m.name: m.text for m in results})


def _results_since_user(messages: Sequence[InternalMessage]) -> list[InternalMessage] | None:
    """The tool results after the last user message; None when no tool was called since."""
    found: list[InternalMessage] = []
    for message in reversed(messages):
        if message.role == "user":
            break
        if message.role == "tool":
            found.append(message)
    return list(reversed(found)) if found else None


def generate(schema: dict[str, Any], root: dict[str, Any], depth: int = 0) -> Any:
    """A value valid for ``schema`` (a JSON-schema subset: the shapes pydantic produces)."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return generate(root.get("$defs", {}).get(name, {}), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if options:
            return generate(options[0], root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in cast(list[str], kind) if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        props: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", list(props)))
        return {k: generate(v, root, depth + 1) for k, v in props.items() if k in required or depth == 0}
    if kind == "array":
        count = max(int(schema.get("minItems", 1)), 1) if depth < 4 else int(schema.get("minItems", 0))
        return [generate(schema.get("items", {}), root, depth + 1) for _ in range(count)]
    if kind == "integer":
        return max(int(schema.get("minimum", 0)), int(schema.get("exclusiveMinimum", -1)) + 1)
    if kind == "number":
        return float(schema.get("minimum", 0.0))
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    if kind == "string":
        if schema.get("format") == "date":
            return "2024-01-01"
        if schema.get("format") == "date-time":
            return "2024-01-01T00:00:00Z"
        return "a" * max(int(schema.get("minLength", 1)), 1)
    return "a"


def _as_message(turn: Turn) -> InternalMessage:
    if isinstance(turn, InternalMessage):
        return turn
    if isinstance(turn, str):
        return InternalMessage.assistant(turn)
    if isinstance(turn, ToolCall):
        return InternalMessage.assistant(None, (turn,))
    return InternalMessage.assistant(None, tuple(turn))


def _chunks(text: str, size: int = 8) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _usage(request: LLMRequest, message: InternalMessage) -> Usage:
    prompt = 50 + sum(len((m.text or "").split()) for m in request.messages)
    completion = len((message.text or "").split()) + sum(
        len(c.arguments.split()) + 1 for c in message.tool_calls
    )
    return Usage(prompt_tokens=prompt, completion_tokens=completion)
