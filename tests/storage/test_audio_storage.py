"""Audio parts are stored like images: bytes in the blob table, once, and read back exactly."""

from __future__ import annotations

import base64
from pathlib import Path

from agentcore import Agent
from tests.fakes import FakeOpenAI
from tests.storage._util import agent_on
from tests.storage.conftest import Db

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb" + bytes(range(256)) * 4


async def test_audio_is_a_deduplicated_blob_read_back_exactly(
    db: Db, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    config = agent_on(db.url, fake_openai.url, tmp_path, llm={"model": "gpt-4o-audio-preview"}).config
    fake_openai.reply_text("heard once")
    fake_openai.reply_text("heard twice")
    async with Agent(config) as agent:
        await agent.run("listen", audio=MP3, session="voice")
        await agent.run("listen again", audio=MP3, session="voice")
    assert db.query("SELECT count(*), sum(size) FROM agentcore_blobs") == [(1, len(MP3))]
    contents = [r[3] for r in db.rows("voice") if r[2] == "user"]
    assert all(base64.b64encode(MP3).decode() not in c for c in contents)
    async with Agent(config) as agent:
        messages = (await agent.sessions.resume("voice")).messages
        parts = [m.audio[0] for m in messages if m.role == "user"]
        assert [(p.data, p.format) for p in parts] == [(MP3, "mp3"), (MP3, "mp3")]
        await agent.sessions.delete("voice")
    assert db.query("SELECT count(*) FROM agentcore_blobs") == [(0,)]
