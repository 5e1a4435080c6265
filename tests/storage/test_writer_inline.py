"""The SQLite writer's inline path: appends commit on the caller's thread only when that cannot wait."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

from agentcore.context.store import SessionStore
from agentcore.messages import InternalMessage
from agentcore.storage.db import dispose_engines, resolve_url


async def test_an_append_while_another_process_holds_the_write_lock_leaves_the_event_loop_free(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.db"
    store = SessionStore(resolve_url(f"sqlite:///{path}"))
    info = await store.get_or_create("a")
    other = sqlite3.connect(path, isolation_level=None)  # another process's connection
    other.execute("BEGIN IMMEDIATE")
    try:
        append = asyncio.ensure_future(store.append(info, [InternalMessage.user("hi")], [None], None))
        ticks = 0
        while ticks < 50:  # the loop keeps running other tasks while the append waits for the lock
            await asyncio.sleep(0)
            ticks += 1
        assert not append.done()
    finally:
        other.execute("COMMIT")
        other.close()
    assert await append == [1]
    assert [(m.role, m.text) for m in (await store.load(info.id)).messages] == [("user", "hi")]
    await dispose_engines()


async def test_concurrent_inline_and_queued_appends_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SessionStore(resolve_url(f"sqlite:///{path}"))
    sessions = [await store.get_or_create(f"s{i}") for i in range(4)]

    async def writes(n: int) -> None:
        info = sessions[n % 4]
        for k in range(25):
            await store.append(info, [InternalMessage.user(f"{n}:{k}")], [None], None)
            await asyncio.sleep(0)

    await asyncio.gather(*(writes(n) for n in range(12)))
    for i, info in enumerate(sessions):
        texts = [m.text for m in (await store.load(info.id)).messages]
        assert sorted(texts) == sorted(f"{n}:{k}" for n in range(i, 12, 4) for k in range(25))
        for n in range(i, 12, 4):  # each writer's own messages in its order
            assert [t for t in texts if t.split(":")[0] == str(n)] == [f"{n}:{k}" for k in range(25)]
    await dispose_engines()


async def test_the_wal_is_checkpointed_although_commits_run_inline(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SessionStore(resolve_url(f"sqlite:///{path}"))
    info = await store.get_or_create("a")
    big = "x" * 3000  # about a page per message
    for _ in range(1200):
        await store.append(info, [InternalMessage.user(big)], [None], None)
    # Without checkpoints the WAL would hold every page written (~20 MB); with them it is reused (~4 MB,
    # what SQLite's own auto-checkpoint allows).
    assert os.path.getsize(f"{path}-wal") < 8_000_000  # noqa: ASYNC240 (a test, no other task)
    assert len((await store.load(info.id)).messages) == 1200
    await dispose_engines()
