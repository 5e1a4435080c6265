"""Bytes the database cannot hold as they are, over-long names, images: stored losslessly or refused
with a clear one-line error before anything is sent (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import sqlalchemy.exc

from agentcore.context.manager import ContextManager
from agentcore.context.store import SessionStore
from agentcore.errors import CapabilityError, SessionNameInvalid
from agentcore.messages import InternalMessage, TextPart, ToolCall
from agentcore.storage.db import db_error, dispose_engines
from agentcore.testing import FunctionModel, ScriptedModel
from tests.fakes import FakeOpenAI
from tests.storage._util import agent_on, double_on
from tests.storage.conftest import Db

SURROGATE = "caf\udce9.txt"  # a Latin-1 file name decoded with surrogateescape
NUL = "before\x00after"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 13


async def test_lone_surrogates_and_nul_are_stored_losslessly_and_read_back_the_same(db: Db) -> None:
    # (Sending them to a provider is the formatter's business; here: the store never fails on them.)
    call = ToolCall("c1", "list_files", '{"path": "' + SURROGATE.replace("\udce9", "\\udce9") + '"}')
    history = [
        InternalMessage.user(f"look at {SURROGATE} and {NUL}"),
        InternalMessage.assistant(None, (call,)),
        InternalMessage.tool_result(call, f"{SURROGATE}\n{NUL}"),
        InternalMessage.user((TextPart(NUL), TextPart(SURROGATE))),
        InternalMessage.assistant("plain text stays plain"),
    ]
    ctx = ContextManager(store=SessionStore(db.url), name="bytes")
    await ctx.add_many(history)
    await dispose_engines()
    resumed = ContextManager(store=SessionStore(db.url), name="bytes")
    await resumed.load()
    assert list(resumed.messages) == history
    assert [r[3] for r in db.rows("bytes")][-1] == "plain text stays plain"


def test_database_errors_never_show_the_statement_parameters() -> None:
    exc = sqlalchemy.exc.DBAPIError.instance(
        "INSERT INTO agentcore_messages (content) VALUES ($1)",
        {"content": "my private message"},
        ValueError("invalid byte sequence for encoding UTF8: 0x00"),
        Exception,
    )
    assert "my private message" not in str(db_error(exc))
    assert "INSERT" not in db_error(exc) and "invalid byte sequence" in db_error(exc)


async def test_an_over_long_session_name_is_refused_before_anything_is_sent(db: Db, tmp_path: Path) -> None:
    model = ScriptedModel(["ok"])
    async with double_on(db.url, model, tmp_path) as agent:
        with pytest.raises(SessionNameInvalid, match=r"too long \(201 characters, at most 200\)"):
            await agent.run("hello", session="n" * 201)
        with pytest.raises(SessionNameInvalid, match="NUL"):
            await agent.run("hello", session="a\x00b")
        assert (await agent.run("hello", session="n" * 200)).text == "ok"
        with pytest.raises(SessionNameInvalid):
            await agent.sessions.rename("n" * 200, "m" * 300)
    assert len(model.requests) == 1


async def test_images_are_deduplicated_outside_the_message_rows(db: Db, tmp_path: Path) -> None:
    model = FunctionModel(lambda messages, info: "a PNG")
    async with double_on(db.url, model, tmp_path) as agent:
        await agent.run("what is this?", image=PNG, session="pics")
        await agent.run("and this, again?", image=PNG, session="pics")
    assert db.query("SELECT count(*), sum(size) FROM agentcore_blobs") == [(1, len(PNG))]
    contents = [r[3] for r in db.rows("pics") if r[2] == "user"]
    assert all(base64.b64encode(PNG).decode() not in c for c in contents)
    async with double_on(db.url, model, tmp_path) as agent:
        messages = (await agent.sessions.resume("pics")).messages
        assert [m.images[0].data for m in messages if m.role == "user"] == [PNG, PNG]
        await agent.sessions.delete("pics")
    assert db.query("SELECT count(*) FROM agentcore_blobs") == [(0,)]  # nothing refers to it any more


async def test_a_file_that_is_not_an_image_or_too_big_is_refused_before_sending(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    # On the real provider path: the bytes are checked where they become the wire format.
    text_file = tmp_path / "notes.png"
    text_file.write_text("not an image at all")
    big = tmp_path / "big.png"
    big.write_bytes(PNG + b"\x00" * 2_000)
    url = f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    async with agent_on(url, fake_openai.url, tmp_path, llm={"maxImageBytes": 1_000}) as agent:
        with pytest.raises(CapabilityError, match=r"notes\.png is not an image \(PNG, JPEG, GIF or WebP"):
            await agent.run("what is this?", image=str(text_file))
        with pytest.raises(CapabilityError, match="not an image"):
            await agent.run("and this?", image=b"%PDF-1.7 ...")
        with pytest.raises(
            CapabilityError, match=r"is 2,029 bytes, over the limit of 1,000 bytes \(llm\.maxImageBytes"
        ):
            await agent.run("and this?", image=str(big))
    assert fake_openai.requests == []


# ---- the v1 -> v2 upgrade (image bytes move out of message rows) --------------------------------

_V1_DDL = [
    "CREATE TABLE agentcore_schema (name VARCHAR(64) PRIMARY KEY, version INTEGER NOT NULL)",
    "INSERT INTO agentcore_schema (name, version) VALUES ('sessions', 1)",
    "CREATE TABLE agentcore_sessions (id VARCHAR(32) PRIMARY KEY, name VARCHAR(200) NOT NULL UNIQUE, "
    "kind VARCHAR(16) NOT NULL, next_seq INTEGER NOT NULL, message_count INTEGER NOT NULL, "
    "created_at TIMESTAMP WITH TIME ZONE NOT NULL, updated_at TIMESTAMP WITH TIME ZONE NOT NULL)",
    "CREATE TABLE agentcore_messages (id {serial} PRIMARY KEY, session_id VARCHAR(32) NOT NULL "
    "REFERENCES agentcore_sessions (id), seq INTEGER NOT NULL, role VARCHAR(16) NOT NULL, "
    "content_kind VARCHAR(8) NOT NULL, content TEXT, tool_calls TEXT, tool_call_id VARCHAR(200), "
    "name VARCHAR(200), is_error BOOLEAN NOT NULL, tokens INTEGER, tokenizer VARCHAR(64), "
    "created_at TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT uq_agentcore_messages_seq UNIQUE (session_id, seq))",
    "CREATE TABLE agentcore_summaries (id {serial} PRIMARY KEY, session_id VARCHAR(32) NOT NULL "
    "REFERENCES agentcore_sessions (id), from_seq INTEGER NOT NULL, upto_seq INTEGER NOT NULL, "
    "text TEXT NOT NULL, tokens INTEGER NOT NULL, created_at TIMESTAMP WITH TIME ZONE NOT NULL)",
]


async def test_a_v1_database_is_upgraded_in_place_and_its_images_move_to_blobs(
    db: Db, tmp_path: Path
) -> None:
    serial = "INTEGER" if db.kind == "sqlite" else "SERIAL"
    stamp = "2026-01-01 10:00:00.000000" if db.kind == "sqlite" else "2026-01-01 10:00:00+00"
    if db.schema:
        db.query(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"')
    for statement in _V1_DDL:
        db.query(statement.format(serial=serial))
    db.query(f"INSERT INTO agentcore_sessions VALUES ('sid1', 'old', 'chat', 4, 3, '{stamp}', '{stamp}')")
    parts = json.dumps([{"type": "text", "text": "look"},
                        {"type": "image", "media_type": "image/png", "data": base64.b64encode(PNG).decode()}])  # fmt: skip
    for seq, role, kind, content in ((1, "user", "parts", parts), (2, "assistant", "text", "a PNG"),
                                     (3, "user", "parts", parts)):  # fmt: skip
        db.query(
            "INSERT INTO agentcore_messages (session_id, seq, role, content_kind, content, is_error, created_at) "
            f"VALUES ('sid1', {seq}, '{role}', '{kind}', ?, FALSE, '{stamp}')",
            content,
        )
    model = ScriptedModel(["still a PNG"])
    async with double_on(db.url, model, tmp_path) as agent:
        result = await agent.run("what was it?", session="old")
    assert result.text == "still a PNG"
    assert db.query("SELECT version FROM agentcore_schema WHERE name = 'sessions'") == [(2,)]
    assert db.query("SELECT count(*), sum(size) FROM agentcore_blobs") == [(1, len(PNG))]
    stored = [r[3] for r in db.rows("old") if r[2] == "user"][:2]
    assert all('"blob"' in c and '"data"' not in c for c in stored)
    sent = model.requests[0].messages
    assert [(i.media_type, i.data) for m in sent for i in m.images] == [("image/png", PNG)] * 2
    store = SessionStore(db.url)
    info = await store.find("old")
    assert info is not None and [m.role for m in (await store.load(info.id)).messages][-2:] == [
        "user",
        "assistant",
    ]
