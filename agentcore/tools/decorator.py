"""``@tool``: turn a plain Python function into a tool the model can call."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
from collections.abc import Callable, Mapping
from typing import Any, Generic, ParamSpec, TypeVar, cast, get_origin, overload

from pydantic_core import to_jsonable_python

from agentcore.messages import ImagePart, Part, TextPart, ToolCall, Usage
from agentcore.tools._schema import ArgumentsModel, InvalidArguments, build_arguments, parse_docstring
from agentcore.tools._threads import ToolTerminated, ToolThreads
from agentcore.tools.base import ToolOutput, ToolSpec
from agentcore.tools.context import RunContext, current_run_context

__all__ = ["InvalidArguments", "LocalTool", "to_tool_output", "tool"]

# For tools run outside a tool source (``await my_tool.run({...})`` in user code or tests).
_fallback_threads = ToolThreads(8, name="agentcore-tool-direct")

P = ParamSpec("P")
R = TypeVar("R")


@dataclasses.dataclass(eq=False)
class LocalTool(Generic[P, R]):
    """A Python function exposed as a tool. Calling it calls the function unchanged (for unit tests)."""

    name: str
    description: str
    parameters: dict[str, Any]
    func: Callable[P, R]
    is_async: bool
    timeout: float | None
    defined_at: str
    arguments: ArgumentsModel = dataclasses.field(repr=False)
    takes_ctx: bool = False  # the first parameter is a ``RunContext``
    require_approval: bool = False

    def __post_init__(self) -> None:
        # Lets inspect.signature() / help() see through to the function.
        self.__wrapped__ = self.func
        self.__doc__ = self.func.__doc__

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.func(*args, **kwargs)

    def spec(self) -> ToolSpec:
        """The tool as the model sees it."""
        return ToolSpec(self.name, self.description, self.parameters, source="local", origin=self.defined_at)

    def validate(self, arguments: Mapping[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The call's positional and keyword arguments, coerced; raises ``InvalidArguments``."""
        return self.arguments.validate(arguments)

    async def invoke(self, arguments: Mapping[str, Any], *, threads: ToolThreads | None = None) -> Any:
        """Validate ``arguments`` and run the function; sync functions run in one of ``threads``."""
        args, kwargs = self.validate(arguments)
        if self.takes_ctx:
            ctx = current_run_context()
            if ctx is None:  # called outside a run (``await my_tool.run({...})``): an empty context
                ctx = RunContext(None, None, Usage(), ToolCall("", self.name, "{}"))
            args = (ctx, *args)
        func = cast(Callable[..., Any], self.func)
        try:
            if self.is_async:
                result = await func(*args, **kwargs)
            else:
                pool = threads if threads is not None else _fallback_threads
                result = await pool.run(functools.partial(func, *args, **kwargs))
            if inspect.isawaitable(result):
                # A sync wrapper (functools.partial, a lambda) around a coroutine function.
                result = await cast(Any, result)
        except (SystemExit, KeyboardInterrupt) as exc:
            # Raised inside a task either one would stop the event loop, ending the process.
            raise ToolTerminated(exc) from exc
        return result

    async def run(self, arguments: Mapping[str, Any], *, threads: ToolThreads | None = None) -> ToolOutput:
        """Like ``invoke``, with the result converted to a ``ToolOutput``."""
        return to_tool_output(await self.invoke(arguments, threads=threads))


@overload
def tool(func: Callable[P, R], /) -> LocalTool[P, R]: ...


@overload
def tool(
    func: None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    require_approval: bool = False,
) -> Callable[[Callable[P, R]], LocalTool[P, R]]: ...


def tool(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    require_approval: bool = False,
) -> LocalTool[P, R] | Callable[[Callable[P, R]], LocalTool[P, R]]:
    """Make ``func`` a tool: ``@tool``, ``@tool()`` or ``@tool(name=..., description=..., timeout=...)``.

    The parameters' JSON schema comes from the type hints; the description and per-argument texts
    from the docstring (Google, numpy or reST style) unless given here. A first parameter annotated
    ``RunContext[Deps]`` receives the run's context and is not part of the schema.
    ``require_approval``: each call waits for the user's (or the ``approve=`` callback's) yes.
    """
    if timeout is not None and timeout <= 0:
        raise ValueError(f"@tool timeout must be positive, got {timeout}")

    def wrap(fn: Callable[P, R]) -> LocalTool[P, R]:
        if isinstance(fn, LocalTool):
            fn = cast(LocalTool[P, R], fn).func
        if not callable(fn):
            raise TypeError(f"@tool needs a function, got {type(fn).__name__}")
        tool_name = name or getattr(fn, "__name__", None)
        if not tool_name or tool_name == "<lambda>":
            raise TypeError("@tool on a lambda or nameless callable needs name='...'")
        docs = parse_docstring(inspect.getdoc(fn))
        takes_ctx = _takes_ctx(fn)
        arguments = build_arguments(fn, tool_name, docs, skip_first=takes_ctx)
        return LocalTool(
            name=tool_name,
            description=description if description is not None else docs.summary,
            parameters=arguments.schema,
            func=fn,
            is_async=_is_async(fn),
            timeout=timeout,
            defined_at=_defined_at(fn),
            arguments=arguments,
            takes_ctx=takes_ctx,
            require_approval=require_approval,
        )

    if func is not None:
        return wrap(func)
    return wrap


def _takes_ctx(fn: Callable[..., Any]) -> bool:
    """Whether ``fn``'s first parameter is annotated ``RunContext`` (or ``RunContext[...]``)."""
    try:
        first = next(iter(inspect.signature(fn).parameters.values()), None)
    except (TypeError, ValueError):
        return False
    if first is None:
        return False
    annotation: Any = first.annotation
    if isinstance(annotation, str):
        return annotation.split("[", 1)[0].rsplit(".", 1)[-1] == "RunContext"
    return annotation is RunContext or get_origin(annotation) is RunContext


def _is_async(fn: Callable[..., Any]) -> bool:
    target: Any = fn
    while True:
        if inspect.iscoroutinefunction(target):
            return True
        inner = getattr(target, "func", None)  # functools.partial
        if inner is None:
            # An object whose __call__ is ``async def``.
            return inspect.iscoroutinefunction(type(target).__call__) if callable(target) else False
        target = inner


def _defined_at(fn: Callable[..., Any]) -> str:
    target: Any = inspect.unwrap(fn)
    code = getattr(target, "__code__", None)
    if code is None:
        return "<unknown>"
    return f"{code.co_filename}:{code.co_firstlineno}"


def to_tool_output(value: Any) -> ToolOutput:
    """A tool's return value as a ``ToolOutput``: text, image parts, or JSON for anything else."""
    if isinstance(value, ToolOutput):
        return value
    if isinstance(value, str):
        return ToolOutput(value)
    if value is None:
        return ToolOutput("(no output)")
    if isinstance(value, ImagePart | TextPart):
        return ToolOutput((value,))
    if isinstance(value, tuple | list):
        items: list[Any] = list(cast(Any, value))
        has_part = any(isinstance(i, ImagePart | TextPart) for i in items)
        if has_part and all(isinstance(i, str | ImagePart | TextPart) for i in items):
            parts: tuple[Part, ...] = tuple(TextPart(i) if isinstance(i, str) else i for i in items)
            return ToolOutput(parts)
    try:
        data = to_jsonable_python(cast(Any, value))
    except Exception:
        # Not JSON-able at all: the repr is the best the model can get.
        return ToolOutput(str(cast(Any, value)))
    return ToolOutput(json.dumps(data, ensure_ascii=False), structured=data)
