"""Shared fixtures: fake LLM provider servers on 127.0.0.1 (see ``tests/fakes``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes import FakeAnthropic, FakeOpenAI


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A fresh ``FakeOpenAI`` per test; use ``fake_openai.url + "/v1"`` as the SDK base_url."""
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    """A fresh ``FakeAnthropic`` per test; use ``fake_anthropic.url`` as the SDK base_url."""
    with FakeAnthropic() as fake:
        yield fake


# ---- the session-wide secret scan (call log + JSON logs) ----------------------------------------
# Every call log and log line written during the suite stays in a temporary AGENTCORE_HOME (never
# the real ~/.agentcore); at the end the JSON log and every call-log database in it are scanned for
# the keys the tests use. Databases configured elsewhere (tmp_path) are scanned when registered
# with ``tests.conftest.SCANNED_DATABASES``.
import os as _os  # noqa: E402
import re as _re  # noqa: E402
import sqlite3 as _sqlite3  # noqa: E402
import tempfile as _tempfile  # noqa: E402
from pathlib import Path as _Path  # noqa: E402

_SECRET_HOME = _Path(_tempfile.mkdtemp(prefix="agentcore-test-home-"))
_SECRET_LOG = _SECRET_HOME / "log.jsonl"
_os.environ["AGENTCORE_HOME"] = str(_SECRET_HOME)
_os.environ["AGENTCORE_LOG_JSON"] = str(_SECRET_LOG)
_os.environ.pop("AGENTCORE_DB_URL", None)
SCANNED_DATABASES: list[_Path] = []
# The suite is the host application here: an Agent configures no logging, so the suite does (the
# scanned JSON log then sees every in-process Agent's records, as it did when Agents configured it).
from agentcore.logs import ensure_logging as _ensure_logging  # noqa: E402

_ensure_logging("warning", _SECRET_LOG)
# The test keys: anything shaped like one, plus the literal dummies the tests pass.
_TEST_KEYS = _re.compile(r"sk-(?:test|ant|proj)-[A-Za-z0-9_-]{6,}|test-key|sk-ant-from-env-\d+")


def _scan_text(where: str, text: str, found: list[str]) -> None:
    for match in _TEST_KEYS.finditer(text):
        found.append(f"{where}: {match.group(0)}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    found: list[str] = []
    if _SECRET_LOG.exists():
        _scan_text(str(_SECRET_LOG), _SECRET_LOG.read_text(encoding="utf-8", errors="replace"), found)
    databases = [*_SECRET_HOME.rglob("*.db"), *SCANNED_DATABASES]
    for db in databases:
        if not db.exists():
            continue
        with _sqlite3.connect(db) as conn:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in tables:
                for row in conn.execute(f'SELECT * FROM "{table}"'):
                    _scan_text(f"{db}:{table}", " ".join(str(v) for v in row), found)
    if found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = ["secret scan: test keys found in logs or call-log rows:", *sorted(set(found))[:20]]
        if reporter is not None:
            reporter.write_line("\n".join(lines), red=True)  # pyright: ignore[reportAttributeAccessIssue]
        else:
            print("\n".join(lines))
