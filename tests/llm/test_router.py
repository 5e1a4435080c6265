"""Profiles and routing over three real fake servers (two OpenAI-shaped, one Anthropic-shaped)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agentcore import Agent, tool
from agentcore.config.loader import load_config_from_dict
from agentcore.config.schema import AgentConfig
from agentcore.errors import AllTargetsFailed, ConfigError
from agentcore.llm.client import complete
from agentcore.llm.factory import build_client
from agentcore.llm.observer import NULL_ATTEMPT
from agentcore.llm.request import LLMRequest
from agentcore.llm.route import RouteInfo
from agentcore.llm.router import Router
from agentcore.messages import InternalMessage, ToolCall
from tests.fakes import ErrorReply, FakeAnthropic, FakeOpenAI, TextReply
from tests.llm._family import ANTHROPIC_KEY

OPENAI_KEY = "sk-test-0123456789abcdef"
HI = LLMRequest((InternalMessage.user("hi"),), None, (), stream=False)


@dataclasses.dataclass
class Servers:
    a: FakeOpenAI
    b: FakeOpenAI
    c: FakeAnthropic

    def counts(self) -> tuple[int, int, int]:
        return len(self.a.requests), len(self.b.requests), len(self.c.requests)


@pytest.fixture
def servers(fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic) -> Iterator[Servers]:
    with FakeOpenAI() as second:
        yield Servers(fake_openai, second, fake_anthropic)


def routed_config(s: Servers, tmp_path: Path, **profile: Any) -> AgentConfig:
    """No ``llm:`` block: profile ``fast`` over models a, b (OpenAI) and c (Anthropic)."""
    data: dict[str, Any] = {
        "models": {
            "a": {"provider": "openai", "model": "gpt-a", "apiKey": OPENAI_KEY, "baseURL": s.a.url + "/v1"},
            "b": {"provider": "openai", "model": "gpt-b", "apiKey": OPENAI_KEY, "baseURL": s.b.url + "/v1"},
            "c": {"provider": "anthropic", "model": "claude-c", "apiKey": ANTHROPIC_KEY, "baseURL": s.c.url},
        },
        "profiles": {"fast": {"targets": ["a", "b", "c"], **profile}},
        "localTools": [],
        "storage": {"url": "memory://"},
    }
    return load_config_from_dict(data, base_dir=tmp_path)


def router(config: AgentConfig) -> Router:
    client = build_client(config, "fast")
    assert isinstance(client, Router)
    return client


def no_sleep(client: Router) -> list[float]:
    """Record the waits instead of sleeping: a failover must not wait at all."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    client.retry_policy = dataclasses.replace(client.retry_policy, sleep=sleep)
    return waits


class RouteLog:
    """A loop observer that keeps what every attempt went to."""

    enabled = True

    def __init__(self) -> None:
        self.attempts: list[tuple[str, str, int, RouteInfo | None]] = []

    def attempt(
        self, client: Any, request: LLMRequest, attempt: int, *, route: RouteInfo | None = None
    ) -> Any:
        self.attempts.append((client.provider, client.model, attempt, route))
        return NULL_ATTEMPT

    def run_tool(
        self, call: ToolCall, execute: Callable[[ToolCall], Awaitable[InternalMessage]]
    ) -> Awaitable[InternalMessage]:
        return execute(call)


async def many(client: Router, n: int) -> None:
    for _ in range(n):
        assert (await complete(client, HI)).message.text == "ok"


async def test_llm_block_may_be_left_out_and_the_first_target_stands_in(
    servers: Servers, tmp_path: Path
) -> None:
    config = routed_config(servers, tmp_path)
    assert (config.llm.provider, config.llm.model, config.default_profile) == ("openai", "gpt-a", "fast")


def test_unknown_target_reference_names_the_key_path(tmp_path: Path) -> None:
    data = {
        "llm": {"provider": "openai", "model": "m", "apiKey": OPENAI_KEY},
        "profiles": {"fast": {"targets": ["nope"]}},
    }
    with pytest.raises(ConfigError) as info:
        load_config_from_dict(data, base_dir=tmp_path)
    assert "profiles.fast.targets[0]" in str(info.value) and "'nope'" in str(info.value)


async def test_random_spreads_300_requests_evenly(servers: Servers, tmp_path: Path) -> None:
    client = router(routed_config(servers, tmp_path))
    await many(client, 300)
    # 100 expected each; the binomial sd is 8.2: 5 sd either way never fails by chance.
    assert all(59 <= n <= 141 for n in servers.counts()), servers.counts()
    await client.aclose()


async def test_round_robin_is_exact(servers: Servers, tmp_path: Path) -> None:
    client = router(routed_config(servers, tmp_path, strategy="round-robin"))
    await many(client, 300)
    assert servers.counts() == (100, 100, 100)
    await client.aclose()


async def test_weighted_follows_the_weights(servers: Servers, tmp_path: Path) -> None:
    config = routed_config(servers, tmp_path, strategy="weighted")
    config.models["c"].weight = 2.0
    client = router(config)
    await many(client, 300)
    a, b, c = servers.counts()
    assert 75 - 45 <= a <= 75 + 45 and 75 - 45 <= b <= 75 + 45 and 150 - 45 <= c <= 150 + 45, (a, b, c)
    await client.aclose()


async def test_least_busy_spreads_concurrent_requests_and_300_sequential(
    servers: Servers, tmp_path: Path
) -> None:
    client = router(routed_config(servers, tmp_path, strategy="least-busy"))
    # 30 at once: each new request sees the others in flight and takes the least busy target.
    await asyncio.gather(*(complete(client, HI) for _ in range(30)))
    assert servers.counts() == (10, 10, 10)
    for s in (servers.a, servers.b, servers.c):
        s.requests.clear()
    await many(client, 300)  # one at a time: all idle, ties broken at random
    assert all(59 <= n <= 141 for n in servers.counts()), servers.counts()
    await client.aclose()


async def test_latency_prefers_the_fast_targets(servers: Servers, tmp_path: Path) -> None:
    servers.a.set_default(TextReply("ok", delay_s=0.03))
    client = router(routed_config(servers, tmp_path, strategy="latency"))
    await many(client, 300)
    a, b, c = servers.counts()
    # Explored (10% of requests spread over 3 targets, ~10) but otherwise avoided.
    assert a <= 40 and b + c >= 260, (a, b, c)
    await client.aclose()


async def test_one_target_down_fails_no_turn_and_never_waits(servers: Servers, tmp_path: Path) -> None:
    servers.b.set_default(ErrorReply(503, message="overloaded"))
    client = router(routed_config(servers, tmp_path))
    waits = no_sleep(client)
    log = RouteLog()
    for _ in range(60):
        assert (await complete(client, HI, log)).message.text == "ok"
    assert waits == []
    assert len(servers.b.requests) == 1  # then it cools down and is skipped
    failed = [r for _, _, _, r in log.attempts if r is not None and r.target == "b"]
    assert len(failed) == 1
    following = log.attempts[
        log.attempts.index(next(x for x in log.attempts if x[3] and x[3].target == "b")) + 1
    ]
    assert following[3] is not None and following[3].failover and following[2] == 2
    await client.aclose()


async def test_429_with_retry_after_lets_another_target_serve(servers: Servers, tmp_path: Path) -> None:
    servers.a.reply_error(429, headers={"retry-after": "30"}, message="slow down")
    client = router(routed_config(servers, tmp_path, strategy="round-robin", cooldown=0))
    waits = no_sleep(client)
    await many(client, 12)
    assert waits == [] and len(servers.a.requests) == 1  # resting for the 30 s it asked for
    assert len(servers.b.requests) + len(servers.c.requests) == 12
    await client.aclose()


async def test_all_targets_down_is_one_clear_error_within_the_budget(
    servers: Servers, tmp_path: Path
) -> None:
    for s in (servers.a, servers.b, servers.c):
        s.set_default(ErrorReply(503, message="overloaded"))
    client = router(routed_config(servers, tmp_path, retries=2))
    waits = no_sleep(client)
    with pytest.raises(AllTargetsFailed) as info:
        await complete(client, HI)
    line = str(info.value)
    assert "\n" not in line and "profile 'fast'" in line
    for name in ("a: HTTP 503: overloaded", "b: HTTP 503", "c: HTTP 503"):
        assert name in line
    assert len(waits) == 2 and all(w <= client.retry_policy.max_delay for w in waits)  # retries=2: 3 rounds
    assert sum(servers.counts()) == 3 + 2  # every target once, then one per wait
    await client.aclose()


async def test_failover_mid_tool_loop_keeps_history_valid_on_both_providers(
    servers: Servers, tmp_path: Path
) -> None:
    @tool
    def add(a: int, b: int) -> str:
        """Add two integers."""
        return str(a + b)

    config = routed_config(servers, tmp_path, strategy="round-robin")
    config.profiles["fast"].targets = ["a", "c"]
    servers.a.reply_tool_calls([("add", {"a": 1, "b": 2})])  # turn 1 on OpenAI
    servers.c.reply_tool_calls([("add", {"a": 3, "b": 4})])  # turn 2 on Anthropic
    servers.a.reply_error(503, message="overloaded")  # turn 3 goes to OpenAI, which fails ...
    servers.c.reply_text("3 and 7")  # ... and Anthropic finishes the run
    log = RouteLog()
    async with Agent(config, tools=[add]) as agent:
        agent.service.recorder = log
        result = await agent.run("add twice")
    assert result.text == "3 and 7" and [c.result for c in result.tool_calls] == ["3", "7"]
    routes = [r for _, _, _, r in log.attempts]
    assert [(r.target, r.failover) for r in routes if r] == [
        ("a", False),
        ("c", False),
        ("a", False),
        ("c", True),
    ]
    assert all(r and r.profile == "fast" for r in routes)
    assert routes[0] and routes[0].base_url_host == f"127.0.0.1:{servers.a.port}"
    assert [(p, m) for p, m, _, _ in log.attempts] == [
        ("openai", "gpt-a"), ("anthropic", "claude-c"), ("openai", "gpt-a"), ("anthropic", "claude-c")
    ]  # fmt: skip
    # The failed OpenAI request carried the Anthropic turn as OpenAI tool calls, each with its result.
    openai_msgs = servers.a.requests[1].json["messages"]
    calls = [c for m in openai_msgs if m["role"] == "assistant" for c in m.get("tool_calls", [])]
    results = {m["tool_call_id"]: m["content"] for m in openai_msgs if m["role"] == "tool"}
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    assert [results[c["id"]] for c in calls] == ["3", "7"]
    # The Anthropic request after the failover: tool_use blocks answered by tool_result blocks, in order.
    anthropic_msgs = servers.c.requests[-1].json["messages"]
    uses = [
        b for m in anthropic_msgs if m["role"] == "assistant" for b in m["content"] if b["type"] == "tool_use"
    ]
    answers = [b for m in anthropic_msgs if m["role"] == "user" if isinstance(m["content"], list)
               for b in m["content"] if b["type"] == "tool_result"]  # fmt: skip
    assert [u["input"] for u in uses] == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    assert [a["tool_use_id"] for a in answers] == [u["id"] for u in uses]
    roles = [m["role"] for m in anthropic_msgs]
    assert all(x != y for x, y in itertools.pairwise(roles))  # strictly alternating


async def test_profile_per_run_and_call_context_default(servers: Servers, tmp_path: Path) -> None:
    from agentcore import call_context

    config = routed_config(servers, tmp_path, strategy="round-robin")
    config.profiles["solo"] = config.profiles["fast"].model_copy(update={"targets": ["c"]})
    config.default_profile = None  # llm: (target a) is the default
    async with Agent(config) as agent:
        await agent.run("one")
        await agent.run("two", profile="solo")
        with call_context(profile="solo"):
            await agent.run("three")
        await agent.run("four", model="openai/gpt-z")  # llm:'s credentials and endpoint, another model
        with pytest.raises(ConfigError) as info:
            await agent.run("five", profile="fsat")
    assert "did you mean 'fast'" in str(info.value)
    assert len(servers.c.requests) == 2
    assert [r.json["model"] for r in servers.a.requests] == ["gpt-a", "gpt-z"]


async def test_context_length_goes_to_the_fallback_and_401_does_not_fail_over(
    servers: Servers, tmp_path: Path
) -> None:
    config = routed_config(servers, tmp_path, contextLengthFallback=["c"])
    config.profiles["fast"].targets = ["a"]
    servers.a.reply_error(
        400, code="context_length_exceeded", message="maximum context length is 8192 tokens"
    )
    client = router(config)
    assert (await complete(client, HI)).message.text == "ok"
    assert len(servers.c.requests) == 1
    servers.a.reply_error(401, message="bad key")
    with pytest.raises(Exception, match="bad key"):
        await complete(client, HI)
    assert len(servers.c.requests) == 1 and not servers.b.requests
    await client.aclose()
