"""The hand-written loops agentcore is compared with: the raw ``AsyncOpenAI`` SDK and a plain httpx2 POST.

Imported by the main harness and by ``bench/_peers.py`` in the peers venv, so it needs only
``openai`` (and ``httpx2``, which the SDK depends on). The tool is the same everywhere: ``add(a, b)``
returning ``result#a: a+b`` (the bench server counts those markers to script the next turn).
"""

from __future__ import annotations

import json
from typing import Any

MODEL = "gpt-4o-mini"
API_KEY = "sk-bench-0123456789abcdef"
TOOL_LOOP_PROMPT = "Please add numbers: loop 10"
ADD_SCHEMA: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two integers.",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
    },
}


def add(a: int, b: int) -> str:
    """Add two integers."""
    return f"result#{a}: {a + b}"


def history_messages(n: int) -> list[dict[str, str]]:
    """``n`` prior chat messages of ~200 tokens each, alternating user / assistant."""
    filler = "The quick brown fox jumps over the lazy dog while the bench counts tokens. " * 10
    return [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"message {i}: {filler}"} for i in range(n)
    ]


def _run_tools(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for call in calls:
        args = json.loads(call["function"]["arguments"] or "{}")
        out.append({"role": "tool", "tool_call_id": call["id"], "content": add(**args)})
    return out


class RawSDKLoop:
    """What a user writes by hand on the SDK: ``chat.completions.create`` until no tool calls remain."""

    def __init__(self, base_url: str) -> None:
        import openai

        self.client = openai.AsyncOpenAI(base_url=base_url, api_key=API_KEY, max_retries=0)

    async def run(self, messages: list[dict[str, Any]], tools: bool = True) -> str:
        """Run the loop on ``messages`` (extended in place); return the final text."""
        while True:
            kwargs: dict[str, Any] = {"tools": [ADD_SCHEMA]} if tools else {}
            completion = await self.client.chat.completions.create(
                model=MODEL,
                messages=messages,  # type: ignore[arg-type]
                **kwargs,
            )
            msg = completion.choices[0].message
            if not msg.tool_calls:
                return msg.content or ""
            calls = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.function.name, "arguments": c.function.arguments},  # type: ignore[union-attr]
                }
                for c in msg.tool_calls
            ]
            messages.append({"role": "assistant", "content": msg.content, "tool_calls": calls})
            messages.extend(_run_tools(calls))

    async def first_text_ms(self, messages: list[dict[str, Any]]) -> float:
        """Milliseconds from the call to the first streamed text delta (the stream is then drained)."""
        import time

        start = time.perf_counter()
        first = 0.0
        stream = await self.client.chat.completions.create(model=MODEL, messages=messages, stream=True)  # type: ignore[arg-type]
        async for chunk in stream:
            if not first and chunk.choices and chunk.choices[0].delta.content:
                first = (time.perf_counter() - start) * 1000
        return first

    async def close(self) -> None:
        await self.client.close()


class HttpxLoop:
    """The lower bound: the same JSON POSTed with httpx2 and read with ``json.loads``, no SDK."""

    def __init__(self, base_url: str) -> None:
        import httpx2

        self.url = base_url + "/chat/completions"
        self.client = httpx2.AsyncClient(headers={"authorization": f"Bearer {API_KEY}"})

    async def run(self, messages: list[dict[str, Any]], tools: bool = True) -> str:
        """Run the loop on ``messages`` (extended in place); return the final text."""
        while True:
            body: dict[str, Any] = {"model": MODEL, "messages": messages}
            if tools:
                body["tools"] = [ADD_SCHEMA]
            resp = await self.client.post(
                self.url, content=json.dumps(body), headers={"content-type": "application/json"}
            )
            resp.raise_for_status()
            msg = json.loads(resp.content)["choices"][0]["message"]
            calls = msg.get("tool_calls")
            if not calls:
                return msg.get("content") or ""
            messages.append({"role": "assistant", "content": msg.get("content"), "tool_calls": calls})
            messages.extend(_run_tools(calls))

    async def close(self) -> None:
        await self.client.aclose()
