"""The keys table on SQLite and PostgreSQL, added to a database that predates it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from agentcore.serve.keys import KeyStore, hash_key, parse_duration
from agentcore.storage.db import dispose_engines
from tests.storage.conftest import Db, make_db


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    yield from make_db(request.param, tmp_path)


@pytest.fixture(autouse=True)
async def _close_engines() -> AsyncIterator[None]:
    yield
    await dispose_engines()


async def test_keys_table_is_added_to_an_existing_database(db: Db) -> None:
    from agentcore.context.store import SessionStore

    await SessionStore(db.url).get_or_create("older")  # a database with sessions only
    db.query("DELETE FROM agentcore_schema WHERE name = 'apikeys'")
    db.query("DROP TABLE IF EXISTS agentcore_api_keys")
    await dispose_engines()  # a new process: the schema check runs again
    store = KeyStore(db.url)
    secret, key = await store.create("erin", models=["agent"], rpm=5, expires_in=timedelta(days=1))
    found = await store.verify(secret)
    assert found is not None and found.id == key.id and found.models == ("agent",) and found.rpm == 5
    assert await store.verify(secret + "x") is None
    assert [k.id for k in await store.list(user="erin")] == [key.id]
    assert db.query("SELECT key_hash FROM agentcore_api_keys") == [(hash_key(secret),)]
    assert db.query("SELECT version FROM agentcore_schema WHERE name = 'apikeys'") == [(1,)]
    assert await store.revoke(key.id) and not await store.revoke(key.id)
    revoked = await store.get(key.id)
    assert revoked is not None and revoked.revoked_at is not None


def test_durations() -> None:
    assert parse_duration("30d") == timedelta(days=30)
    assert parse_duration("12h") == timedelta(hours=12)
    with pytest.raises(ValueError, match="30d"):
        parse_duration("a month")
