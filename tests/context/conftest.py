from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from agentcore.storage.db import dispose_engines


@pytest.fixture(autouse=True)
async def _close_engines() -> AsyncIterator[None]:
    yield
    await dispose_engines()
