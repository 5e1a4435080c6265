"""Structured output: a Python type becomes a JSON schema the model must answer with, and the
answer becomes a validated value.

Native mode sends the schema as OpenAI's ``response_format`` (OpenAI, Azure, Gemini's compatible
endpoint); tool mode offers a ``final_result`` tool whose arguments are the answer (Anthropic, local
models, the rest). A non-object type (``list[int]``, ``str | None``) is wrapped as ``{"response": ...}``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, cast

from pydantic import TypeAdapter, ValidationError

from agentcore.llm.request import OutputSpec
from agentcore.tools.base import ToolSpec

T = TypeVar("T")
OutputMode = Literal["auto", "native", "tool"]
# Providers whose chat-completions endpoint takes ``response_format: json_schema``.
NATIVE_PROVIDERS = frozenset({"openai", "azure", "gemini"})
FINAL_TOOL = "final_result"


@dataclass(frozen=True, slots=True)
class JsonSchema:
    """``output_type=JsonSchema({...})``: a plain JSON schema (``run --schema``); the output is plain data."""

    schema: dict[str, Any]
    name: str = "output"


class OutputHandler(Generic[T]):
    """Schema, mode and validation of one run's structured output."""

    def __init__(self, output_type: type[T] | Any, mode: Literal["native", "tool"], retries: int) -> None:
        self.adapter: TypeAdapter[T] | None = None
        self.raw: JsonSchema | None = output_type if isinstance(output_type, JsonSchema) else None
        if self.raw is not None:
            schema = copy.deepcopy(self.raw.schema)
        else:
            self.adapter = TypeAdapter(cast(Any, output_type))
            schema = self.adapter.json_schema()
        self.wrapped = schema.get("type") != "object" or "properties" not in schema
        if self.wrapped:
            defs = schema.pop("$defs", None)
            schema = {"type": "object", "properties": {"response": schema}, "required": ["response"]}
            if defs:
                schema["$defs"] = defs
        strict_schema, strict = _strict(schema)
        self.mode = mode
        self.retries = retries
        name = self.raw.name if self.raw is not None else getattr(output_type, "__name__", None) or "output"
        self.spec = OutputSpec(
            _safe_name(name), strict_schema if strict else schema, strict and mode == "native", mode
        )
        self.tool = ToolSpec(
            FINAL_TOOL,
            "Give the final answer with this tool (its arguments are the answer); call it once, at the end.",
            schema,
            source="output",
        )

    def validate_json(self, text: str) -> T:
        """The value in ``text`` (JSON, maybe inside a Markdown code fence); raises ``ValueError``."""
        cleaned = _strip_fence(text)
        try:
            data = json.loads(cleaned)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
        return self.validate_data(data)

    def validate_data(self, data: Any) -> T:
        """``data`` (the decoded JSON object) validated; raises ``ValueError`` naming every problem."""
        if self.wrapped:
            if not isinstance(data, dict) or "response" not in data:
                raise ValueError('expected an object with the key "response"')
            data = cast(dict[str, Any], data)["response"]
        if self.adapter is None:
            return self._validate_raw(data)
        try:
            return self.adapter.validate_python(data)
        except ValidationError as exc:
            prefix = ("response",) if self.wrapped else ()
            problems = [
                f"{'.'.join(str(p) for p in (*prefix, *err['loc'])) or '(root)'}: {err['msg']}"
                for err in exc.errors()
            ]
            raise ValueError("; ".join(problems)) from None

    def _validate_raw(self, data: Any) -> Any:
        import jsonschema

        assert self.raw is not None
        validator = jsonschema.Draft202012Validator(self.raw.schema)
        problems = [
            f"{'.'.join(str(p) for p in err.absolute_path) or '(root)'}: {err.message}"
            for err in validator.iter_errors(data)
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return data

    def partial(self, text: str) -> Any:
        """The JSON so far as data (a partial object), or None when nothing parses yet."""
        from pydantic_core import from_json

        cleaned = _strip_fence(text, partial=True)
        if not cleaned.strip():
            return None
        try:
            data: Any = from_json(cleaned, allow_partial=True)
        except ValueError:
            return None
        if self.wrapped and isinstance(data, dict):
            return cast(dict[str, Any], data).get("response")
        return data

    def retry_text(self, problem: str) -> str:
        """The message that sends an invalid answer back to the model."""
        if self.mode == "tool":
            return f"Invalid final result: {problem}. Call '{FINAL_TOOL}' again with corrected arguments."
        return (
            f"Your answer was not valid: {problem}. Answer again with only a JSON value that matches "
            "the required schema."
        )


def choose_mode(mode: OutputMode, provider: str) -> Literal["native", "tool"]:
    """``auto``: native where the provider has JSON-schema output, the final-result tool elsewhere."""
    if mode != "auto":
        return mode
    return "native" if provider in NATIVE_PROVIDERS else "tool"


def _safe_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "_-" else "_" for c in name)
    return cleaned[:64] or "output"


def _strip_fence(text: str, *, partial: bool = False) -> str:
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        end = body.rfind("```")
        if end != -1:
            body = body[:end]
        elif not partial:
            return body
    return body


def _strict(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """``schema`` as OpenAI's strict mode wants it (closed objects) and whether strict is possible
    (every property required, no open-ended maps)."""
    result = copy.deepcopy(schema)
    ok = [True]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            item = cast(dict[str, Any], node)
            if item.get("type") == "object":
                props = cast(dict[str, Any], item.get("properties") or {})
                if not props or set(cast(list[str], item.get("required", []))) != set(props):
                    ok[0] = False
                if isinstance(item.get("additionalProperties"), dict):
                    ok[0] = False
                item["additionalProperties"] = False
            for value in item.values():
                walk(value)
        elif isinstance(node, list):
            for value in cast(list[Any], node):
                walk(value)

    walk(result)
    return result, ok[0]
