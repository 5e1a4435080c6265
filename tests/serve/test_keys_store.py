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
    assert db.query("SELECT version FROM agentcore_schema WHERE name = 'apikeys'") == [(2,)]
    assert await store.revoke(key.id) and not await store.revoke(key.id)
    revoked = await store.get(key.id)
    assert revoked is not None and revoked.revoked_at is not None


async def test_upstream_keys_table_is_added_to_a_v1_database_and_stored_encrypted(db: Db) -> None:
    from agentcore.errors import ConfigError
    from agentcore.serve.upstream_keys import UpstreamKeyStore

    secret, _ = await KeyStore(db.url).create("erin")  # a v1 database: the keys table only
    db.query("DROP TABLE agentcore_upstream_keys")
    db.query("UPDATE agentcore_schema SET version = 1 WHERE name = 'apikeys'")
    await dispose_engines()  # a new process: the schema check runs again
    store = UpstreamKeyStore(db.url, secret="s3cret-for-tests")
    await store.set("erin", "ernie", "sk-upstream-erin-0001")
    await store.set("erin", "ernie", "sk-upstream-erin-0002")  # replaced, not duplicated
    assert await store.upstream_key("erin", "ernie") == "sk-upstream-erin-0002"
    assert await store.upstream_key("erin", "other") is None
    assert await store.providers("erin") == ["ernie"]
    assert db.query("SELECT version FROM agentcore_schema WHERE name = 'apikeys'") == [(2,)]
    rows = db.query("SELECT user_id, provider, key_enc FROM agentcore_upstream_keys")
    assert len(rows) == 1 and rows[0][:2] == ("erin", "ernie") and "sk-upstream" not in rows[0][2]
    assert await KeyStore(db.url).verify(secret) is not None  # the v1 keys survived the upgrade
    with pytest.raises(ConfigError, match="cannot decrypt") as info:
        await UpstreamKeyStore(db.url, secret="another").upstream_key("erin", "ernie")
    assert info.value.key_path == "AGENTCORE_KEYS_SECRET"
    assert await store.remove("erin", "ernie") and not await store.remove("erin", "ernie")


def test_durations() -> None:
    assert parse_duration("30d") == timedelta(days=30)
    assert parse_duration("12h") == timedelta(hours=12)
    with pytest.raises(ValueError, match="30d"):
        parse_duration("a month")
