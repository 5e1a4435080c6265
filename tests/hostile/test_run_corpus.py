"""Every hostile ``agentcore run`` input (tool behaviours, byte strings, paths, images) on SQLite and
PostgreSQL: exact exit code and stderr lines, no traceback, no secret, bounded time and memory, and
what is stored reads back as it was sent (real processes against one fake OpenAI server)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import pytest

from tests.fakes import FakeOpenAI, RecordedRequest, Reply, ToolCallsReply
from tests.hostile._cli import KEY, MAX_RSS_KB, REPO, Outcome, backend_db, child_env, load_session, run_cli
from tests.hostile._run_cases import FAMILIES, TOOLS, RunCase
from tests.storage.conftest import Db

PARALLEL = 4  # processes at once: most of a run is waiting (start-up I/O, the tool timeout)
BY_NAME = {case.name: case for cases in FAMILIES.values() for case in cases}


def _system(request: RecordedRequest) -> str:
    messages = cast(list[dict[str, Any]], request.body_dict.get("messages", []))
    return _text(messages[0]) if messages and messages[0].get("role") == "system" else ""


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        parts = cast(list[dict[str, Any]], content)
        return "".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")
    return str(content or "")


def _reply(request: RecordedRequest) -> Reply | str:
    """The case's tool calls on its first request, then ``done``."""
    case = BY_NAME.get(_system(request).removeprefix("case "))
    messages = cast(list[dict[str, Any]], request.body_dict.get("messages", []))
    if case is not None and case.calls and not any(m.get("role") == "assistant" for m in messages):
        return ToolCallsReply(list(case.calls))
    return "done"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(default=_reply) as fake:
        yield fake


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Db]:
    yield from backend_db(request.param, tmp_path_factory.mktemp(request.param))


def _prepare(case: RunCase, folder: Path, url: str, db: Db) -> dict[str, str]:
    folder.mkdir(parents=True)
    for name, content in case.files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    for name, target in case.links.items():
        (folder / name).symlink_to(target)
    if case.tools == "hostile":
        (folder / "tools").mkdir()
        (folder / "tools" / "hostile.py").write_bytes(TOOLS)
        tools = "./tools"
    else:
        tools = str(REPO / "tools")
    (folder / "cipher.yml").write_text(
        f"llm:\n  provider: openai\n  model: gpt-4o-mini\n  apiKey: {KEY}\n  baseURL: {url}/v1\n"
        f"  maxRetries: 0\n{case.llm}systemPrompt: case {case.name}\ntoolTimeout: 1\n"
        f"localTools: [{json.dumps(tools)}]\nstorage:\n  url: {json.dumps(db.url)}\n",
        encoding="utf-8",
    )
    return child_env(folder / "home", AGENTCORE_FILES_ROOT=str(folder / "root"))


def _run(case: RunCase, folder: Path, url: str, db: Db) -> Outcome:
    env = _prepare(case, folder, url, db)
    args = ["run", "-c", str(folder / "cipher.yml"), "-s", case.session_name, *case.args]
    return run_cli(args, folder, env, case.stdin)


def _line(template: str) -> re.Pattern[str]:
    pattern = re.escape(template).replace(re.escape("{ms}"), r"\d+").replace(re.escape("{ts}"), r"\S+")
    return re.compile(pattern)


def _problems(case: RunCase, out: Outcome, db: Db, requests: list[RecordedRequest]) -> Iterator[str]:
    if out.timed_out:
        yield f"killed after {out.elapsed:.0f} s"
    if out.code != case.code:
        yield f"exit {out.code}, expected {case.code}; stderr: {out.stderr[-2000:]!r}"
    if out.stdout != case.stdout:
        yield f"stdout {out.stdout[-500:]!r}, expected {case.stdout!r}"
    lines = out.lines
    if len(lines) != len(case.expect) or not all(
        _line(t).fullmatch(line) for t, line in zip(case.expect, lines, strict=False)
    ):
        yield f"stderr lines {lines!r}, expected {list(case.expect)!r}"
    if KEY in out.stdout + out.stderr:
        yield "the API key reached the terminal"
    if out.max_rss_kb > MAX_RSS_KB:
        yield f"peak RSS {out.max_rss_kb // 1024} MB"
    mine = [r for r in requests if _system(r) == f"case {case.name}"]
    if case.code != 0 and mine:
        yield f"{len(mine)} request(s) reached the provider for a refused run"
    stored = load_session(db.url, case.session_name)
    if case.code != 0:
        if stored:
            yield f"a refused run stored {len(stored)} message(s)"
        return
    if stored is None:
        yield "no session was stored"
        return
    texts = [(m.role, m.text) for m in stored]
    if any(KEY in text for _, text in texts):
        yield "the API key was stored"
    if case.stored is not None and texts != list(case.stored):
        yield f"stored {texts!r}, expected {list(case.stored)!r}"
    if case.image is not None and [i.data for m in stored for i in m.images] != [case.image]:
        yield "the image did not read back as it was sent"
    if mine:  # what the provider got last is the stored history (but the final answer)
        sent = [
            (m["role"], _text(m))
            for m in cast(list[dict[str, Any]], mine[-1].body_dict["messages"])
            if m["role"] != "system"
        ]
        if sent != texts[: len(sent)] or len(sent) != len(texts) - 1:
            yield f"sent {sent!r} but stored {texts!r}"
    else:
        yield "nothing reached the provider"


@pytest.mark.parametrize("family", list(FAMILIES))
def test_hostile_run_inputs(family: str, backend: Db, server: FakeOpenAI, tmp_path: Path) -> None:
    cases = FAMILIES[family]

    def run(case: RunCase) -> Outcome:
        return _run(case, tmp_path / case.name, server.url, backend)

    with ThreadPoolExecutor(PARALLEL) as pool:
        outcomes = list(pool.map(run, cases))
    requests = list(server.requests)
    failures = [
        f"{case.name}: {problem}"
        for case, outcome in zip(cases, outcomes, strict=True)
        for problem in _problems(case, outcome, backend, requests)
    ]
    assert not failures, "\n".join(failures)
