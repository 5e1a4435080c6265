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
