"""Router state in the real Redis on 127.0.0.1:6379: several routers (and processes) share it."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from structlog.testing import capture_logs

from agentcore.llm.client import complete
from agentcore.llm.events import StreamEvent, TurnComplete
from agentcore.llm.factory import build_client
from agentcore.llm.request import LLMRequest
from agentcore.llm.router import Router
from agentcore.llm.router.redis_state import RedisState
from agentcore.messages import InternalMessage
from tests.fakes import FakeAnthropic, FakeOpenAI
from tests.llm.test_router import HI, Servers, many, routed_config

REDIS_URL = os.environ.get("AGENTCORE_TEST_REDIS", "redis://127.0.0.1:6379/0")
STREAM = LLMRequest((InternalMessage.user("hi"),), None, (), stream=True)


@pytest.fixture
def servers(fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic) -> Iterator[Servers]:
    with FakeOpenAI() as second:
        yield Servers(fake_openai, second, fake_anthropic)


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own; Redis must be up (a failure under CI, a skip elsewhere)."""
    redis = pytest.importorskip("redis.asyncio")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception:
        await client.aclose()
        if os.environ.get("CI"):
            pytest.fail("no Redis at " + REDIS_URL)
        pytest.skip("no Redis at " + REDIS_URL)
    name = f"agentcore-test:router:{os.urandom(4).hex()}:"
    yield name
    keys = [k async for k in client.scan_iter(match=name + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def shared(config: Any, prefix: str, **kw: Any) -> Router:
    """A router of profile ``fast`` on its own Redis state object (as another worker would have)."""
    client = build_client(config, "fast", state=RedisState(REDIS_URL, prefix=prefix, **kw))
    assert isinstance(client, Router)
    return client


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def hold(client: Router) -> AsyncGenerator[StreamEvent | TurnComplete]:
    """A streamed request stopped after its first event: in flight until closed."""
    stream = cast("AsyncGenerator[StreamEvent | TurnComplete]", client.request(STREAM))
    first = await anext(stream)
    assert not isinstance(first, TurnComplete)
    return stream


async def test_storage_redis_puts_router_state_in_redis(servers: Servers, tmp_path: Path) -> None:
    config = routed_config(servers, tmp_path)
    config = config.model_copy(update={"storage": config.storage.model_copy(update={"redis": REDIS_URL})})
    client = build_client(config, "fast")
    assert isinstance(client, Router) and isinstance(client.state, RedisState)
    assert client.state.url == REDIS_URL
    await client.aclose()


async def test_a_cooldown_set_by_one_router_is_seen_by_the_other(
    servers: Servers, tmp_path: Path, prefix: str
) -> None:
    config = routed_config(servers, tmp_path, strategy="round-robin", cooldown=60)
    first, second = shared(config, prefix), shared(config, prefix)
    servers.a.reply_error(503)
    assert (await complete(first, HI)).message.text == "ok"  # a failed over to c
    assert servers.counts() == (1, 0, 1)
    [a] = await second.state.statuses(["a"])
    assert a.failures == 1 and a.cooling(time.time()) and a.last_error is not None and "503" in a.last_error
    await many(second, 12)
    assert servers.counts()[0] == 1  # the other router never sent to the resting target
    for client in (first, second):
        await client.aclose()


async def test_cooldown_doubles_on_repeat_and_a_success_resets_it(prefix: str) -> None:
    one, other = RedisState(REDIS_URL, prefix=prefix), RedisState(REDIS_URL, prefix=prefix)
    start = time.time()
    first = await one.failed("t", "HTTP 500: down", 10, None)
    second = await other.failed("t", "HTTP 500: down", 10, None)
    assert 9 < first - start <= 10.5 and 19 < second - start <= 20.5
    assert await one.failed("t", "HTTP 429: slow", 10, 120.0) - start >= 120  # Retry-After wins
    [status] = await other.statuses(["t"])
    assert status.failures == 3 and status.last_error == "HTTP 429: slow"
    await one.begin("t")
    await one.settle("t", 0.25)
    [status] = await other.statuses(["t"])
    assert (status.failures, status.cooling_until, status.in_flight) == (0, 0.0, 0)
    assert status.latency_ewma == 0.25 and list(status.samples) == [0.25]
    await one.aclose()
    await other.aclose()


async def test_least_busy_counts_the_requests_in_flight_of_every_router(
    servers: Servers, tmp_path: Path, prefix: str
) -> None:
    config = routed_config(servers, tmp_path, strategy="least-busy")
    config = config.model_copy(
        update={"profiles": {"fast": config.profiles["fast"].model_copy(update={"targets": ["a", "b"]})}}
    )
    first, second = shared(config, prefix), shared(config, prefix)
    held: list[AsyncGenerator[StreamEvent | TurnComplete]] = []
    for client in (first, second, first, second):  # alternate routers: each pick sees the other's
        held.append(await hold(client))
        a, b, _ = servers.counts()
        assert abs(a - b) <= 1, (a, b)
    assert servers.counts() == (2, 2, 0)
    statuses = await second.state.statuses(["a", "b"])
    assert [s.in_flight for s in statuses] == [2, 2]
    for stream in held:
        await stream.aclose()
    statuses = await first.state.statuses(["a", "b"])
    assert [s.in_flight for s in statuses] == [0, 0]  # nothing lost, nothing left counting
    for client in (first, second):
        await client.aclose()


async def test_concurrent_requests_of_two_routers_leave_no_count_behind(
    servers: Servers, tmp_path: Path, prefix: str
) -> None:
    config = routed_config(servers, tmp_path, strategy="least-busy")
    first, second = shared(config, prefix), shared(config, prefix)
    turns = await asyncio.gather(*(complete(c, HI) for _ in range(15) for c in (first, second)))
    assert [t.message.text for t in turns] == ["ok"] * 30
    assert sum(servers.counts()) == 30  # none lost, none sent twice
    statuses = await first.state.statuses(["a", "b", "c"])
    assert [s.in_flight for s in statuses] == [0, 0, 0]
    assert sum(len(s.samples) for s in statuses) == 30  # every success recorded once
    for client in (first, second):
        await client.aclose()


async def test_round_robin_takes_turns_across_routers(servers: Servers, tmp_path: Path, prefix: str) -> None:
    config = routed_config(servers, tmp_path, strategy="round-robin")
    first, second = shared(config, prefix), shared(config, prefix)
    for _ in range(3):
        await many(first, 1)
        await many(second, 1)
    assert servers.counts() == (2, 2, 2)
    for client in (first, second):
        await client.aclose()


async def test_a_crashed_worker_leaves_in_flight_counts_that_expire(prefix: str) -> None:
    script = (
        "import asyncio, sys\n"
        "from agentcore.llm.router.redis_state import RedisState\n"
        "async def main():\n"
        "    state = RedisState(sys.argv[1], prefix=sys.argv[2])\n"
        "    await state.begin('t')\n"
        "    await state.failed('t', 'HTTP 502: bad gateway', 30, None)\n"
        "    state = RedisState(sys.argv[1], prefix=sys.argv[2], lease=-1)\n"
        "    await state.begin('t')\n"
        "asyncio.run(main())\n"
    )  # the process ends with both requests unfinished
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", script, REDIS_URL, prefix, env=env)
    assert await asyncio.wait_for(child.wait(), 60) == 0
    here = RedisState(REDIS_URL, prefix=prefix)
    [status], _ = await here.view(["t"], None)
    assert status.cooling(time.time())  # the other process's cool-down
    assert status.in_flight == 1  # its live lease counts; the one whose lease ran out does not
    await here.aclose()


async def test_redis_down_falls_back_to_local_state_with_one_warning(
    servers: Servers, tmp_path: Path
) -> None:
    config = routed_config(servers, tmp_path, strategy="round-robin", cooldown=60)
    client = build_client(config, "fast", state=RedisState(f"redis://127.0.0.1:{closed_port()}/0"))
    assert isinstance(client, Router)
    servers.a.reply_error(503)
    servers.b.reply_error(503)
    with capture_logs() as logs:
        await many(client, 10)  # every request answered, by c
    assert servers.counts() == (1, 1, 10)  # a and b rest in this process's state meanwhile
    warnings = [e for e in logs if e["event"] == "llm.router.redis_unreachable"]
    assert len(warnings) == 1 and warnings[0]["log_level"] == "warning"
    assert warnings[0]["fallback"] == "per-process router state"
    await client.aclose()


async def test_a_url_redis_cannot_read_falls_back_too(servers: Servers, tmp_path: Path) -> None:
    config = routed_config(servers, tmp_path)
    client = build_client(config, "fast", state=RedisState("nosuchscheme://127.0.0.1:6379/0"))
    assert isinstance(client, Router)
    with capture_logs() as logs:
        await many(client, 3)
    assert [e["event"] for e in logs].count("llm.router.redis_unreachable") == 1
    await client.aclose()


def test_the_warning_never_shows_the_redis_password() -> None:
    state = RedisState(f"redis://user:s3cret-pass@127.0.0.1:{closed_port()}/2")
    with capture_logs() as logs:
        state._lost(ConnectionError("refused"))  # pyright: ignore[reportPrivateUsage]
    assert "s3cret" not in repr(logs) and "127.0.0.1" in repr(logs)
