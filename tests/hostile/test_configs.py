"""Every hostile cipher.yml gives one line naming file, line and key, exit 2, in bounded time and memory,
from ``config check`` and from ``run`` alike (real processes; ``run`` points at a fake server that must
receive nothing)."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import FakeOpenAI
from tests.hostile._cases import CASES, Case

AGENTCORE = str(Path(sys.executable).parent / "agentcore")
TIME_LIMIT_S = 30  # a hang is a failure; a normal case takes about a second
MEMORY_LIMIT = 1536 * 1024 * 1024  # address space: the alias bomb once took 2.8 GB


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def agentcore(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a child with bounded memory and time; keys and log redirections of the suite removed."""
    child_env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_API_KEY")
        and k not in ("AGENTCORE_LOG_JSON", "AGENTCORE_CONFIG", "AGENTCORE_DB_URL")
    }
    child_env.update({"NO_COLOR": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2]), **(env or {})})
    return subprocess.run(
        [AGENTCORE, *args],
        capture_output=True,
        text=True,
        errors="backslashreplace",
        timeout=TIME_LIMIT_S,
        cwd=cwd,
        env=child_env,
        preexec_fn=_limit_memory,
        check=False,
    )


def materialize(case: Case, folder: Path, url: str) -> Path:
    """Write the case's cipher.yml and the files it names into ``folder``."""
    for name, content in case.files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    cfg = folder / "cipher.yml"
    text = case.text
    if isinstance(text, str):
        cfg.write_bytes(text.replace("{url}", url).replace("{dir}", str(folder)).encode("utf-8"))
    else:
        cfg.write_bytes(text.replace(b"{url}", url.encode()).replace(b"{dir}", str(folder).encode()))
    return cfg


def expected(case: Case, cfg: Path) -> re.Pattern[str]:
    if case.pattern:
        text = case.expect.replace("{cfg}", re.escape(str(cfg))).replace("{dir}", re.escape(str(cfg.parent)))
        return re.compile(text)
    text = case.expect.replace("{cfg}", str(cfg)).replace("{dir}", str(cfg.parent))
    return re.compile(re.escape(text))


def only_line(stream: str) -> str:
    lines = stream.splitlines()
    assert len(lines) == 1, f"expected one line, got {len(lines)}:\n{stream[:3000]}"
    return lines[0]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_config_check_gives_one_line_and_exit_2(case: Case, tmp_path: Path, server: FakeOpenAI) -> None:
    cfg = materialize(case, tmp_path, server.url + "/v1")
    proc = agentcore(["config", "check", "--config", str(cfg)], tmp_path, case.env)
    assert proc.returncode == case.code, proc.stderr[-3000:]
    assert proc.stdout == ""
    line = only_line(proc.stderr)
    assert expected(case, cfg).fullmatch(line), line


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_run_gives_the_same_line_and_exit_2(case: Case, tmp_path: Path, server: FakeOpenAI) -> None:
    cfg = materialize(case, tmp_path, server.url + "/v1")
    before = len(server.requests)
    proc = agentcore(["run", "--config", str(cfg), "hello"], tmp_path, case.env)
    assert proc.returncode == case.code, proc.stderr[-3000:]
    assert proc.stdout == ""
    line = only_line(proc.stderr)
    assert line.startswith("error: "), line
    assert expected(case, cfg).fullmatch(line.removeprefix("error: ")), line
    assert len(server.requests) == before, "a rejected config must not reach the provider"


def test_the_corpus_config_is_valid_without_its_flaw(tmp_path: Path, server: FakeOpenAI) -> None:
    # The cases share this base: it must pass, so each case fails for its own flaw only.
    case = next(c for c in CASES if c.name == "empty-model")
    good = Case("good", str(case.text).replace("model: ''", "model: gpt-4o-mini"), "", code=0)
    cfg = materialize(good, tmp_path, server.url + "/v1")
    proc = agentcore(["config", "check", "--config", str(cfg)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    server.reply_text("hi there")
    proc = agentcore(["run", "--config", str(cfg), "hello"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "hi there"
