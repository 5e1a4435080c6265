"""The peers' loops, run in the peers venv (``bench/.venv-peers``) as a subprocess of a case.

``python bench/_peers.py --url URL --case tool_loop|history [--n N] --rounds R --warmup W`` prints one
JSON object: ``{"versions": {...}, "timings": {variant: [ms per round]}, "errors": {...}}``. The raw-SDK
hand loop runs here too, interleaved with the peers, so each peer's ratio is paired per round with a
raw-SDK run of the same venv and the same moment.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import sys
import time
from collections.abc import Awaitable, Callable
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._loops import (
    API_KEY,
    MODEL,
    TOOL_LOOP_PROMPT,
    RawSDKLoop,
    history_messages,
)
from bench._loops import (
    add as add_sync,
)

Variant = Callable[[], Awaitable[object]]


async def add(a: int, b: int) -> str:
    """Add two integers.

    Args:
        a: the first integer
        b: the second integer
    """
    return add_sync(a, b)


def pydantic_ai_variant(url: str, case: str, n: int) -> Variant:
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, UserPromptPart
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    model = OpenAIChatModel(MODEL, provider=OpenAIProvider(base_url=url, api_key=API_KEY))
    if case == "tool_loop":
        agent = Agent(model, tools=[add])
        return lambda: agent.run(TOOL_LOOP_PROMPT)
    agent = Agent(model)
    history: list[Any] = [
        ModelRequest(parts=[UserPromptPart(m["content"])])
        if m["role"] == "user"
        else ModelResponse(parts=[TextPart(m["content"])])
        for m in history_messages(n)
    ]
    return lambda: agent.run("What next?", message_history=history)


def openai_agents_variant(url: str, case: str, n: int) -> Variant:
    import openai
    from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool, set_tracing_disabled

    set_tracing_disabled(True)
    client = openai.AsyncOpenAI(base_url=url, api_key=API_KEY, max_retries=0)
    model = OpenAIChatCompletionsModel(model=MODEL, openai_client=client)
    if case == "tool_loop":
        agent = Agent(name="bench", instructions=None, tools=[function_tool(add)], model=model)
        return lambda: Runner.run(agent, TOOL_LOOP_PROMPT, max_turns=20)
    agent = Agent(name="bench", model=model)
    prior = history_messages(n)
    return lambda: Runner.run(agent, [*prior, {"role": "user", "content": "What next?"}])  # type: ignore[list-item]


def smolagents_variant(url: str, case: str, n: int) -> Variant | None:
    if case != "tool_loop":
        return None  # no public way to hand smolagents a prior chat history
    from smolagents import OpenAIServerModel, ToolCallingAgent, tool

    @tool
    def add_tool(a: int, b: int) -> str:
        """Add two integers.

        Args:
            a: the first integer
            b: the second integer
        """
        return add_sync(a, b)

    add_tool.name = "add"
    model = OpenAIServerModel(model_id=MODEL, api_base=url, api_key=API_KEY)
    agent = ToolCallingAgent(tools=[add_tool], model=model, max_steps=20, verbosity_level=-1)

    async def run() -> object:  # smolagents is synchronous: its run blocks, as it would for a user
        return agent.run(TOOL_LOOP_PROMPT, reset=True)

    return run


def raw_variant(url: str, case: str, n: int) -> Variant:
    loop = RawSDKLoop(url)
    if case == "tool_loop":
        return lambda: loop.run([{"role": "user", "content": TOOL_LOOP_PROMPT}])
    prior = history_messages(n)
    return lambda: loop.run([*prior, {"role": "user", "content": "What next?"}], tools=False)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--case", choices=["tool_loop", "history"], required=True)
    parser.add_argument("--n", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    variants: dict[str, Variant] = {}
    errors: dict[str, str] = {}
    makers = {
        "raw SDK (peers venv)": raw_variant,
        "pydantic-ai": pydantic_ai_variant,
        "openai-agents": openai_agents_variant,
        "smolagents": smolagents_variant,
    }
    for name, make in makers.items():
        try:
            fn = make(args.url, args.case, args.n)
            if fn is not None:
                await fn()  # fail here, not mid-measurement
                variants[name] = fn
        except Exception as exc:
            errors[name] = f"{type(exc).__name__}: {exc}"[:300]
    names = list(variants)
    for _ in range(args.warmup):
        for name in names:
            await variants[name]()
    timings: dict[str, list[float]] = {name: [] for name in names}
    rng = random.Random(1)
    for _ in range(args.rounds):
        rng.shuffle(names)
        for name in names:
            gc.collect()
            start = time.perf_counter()
            await variants[name]()
            timings[name].append((time.perf_counter() - start) * 1000)
    versions = {}
    for dist in ("openai", "pydantic-ai-slim", "openai-agents", "smolagents"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "missing"
    print(json.dumps({"versions": versions, "timings": timings, "errors": errors}))


if __name__ == "__main__":
    asyncio.run(main())
