"""Audio parts are stored like images: bytes in the blob table, once, and read back exactly."""

from __future__ import annotations

import base64
from pathlib import Path

from agentcore.testing import ScriptedModel
from tests.storage._util import double_on
from tests.storage.conftest import Db

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb" + bytes(range(256)) * 4


async def test_audio_is_a_deduplicated_blob_read_back_exactly(db: Db, tmp_path: Path) -> None:
    model = ScriptedModel(["heard once", "heard twice"], model_name="gpt-4o-audio-preview")
    async with double_on(db.url, model, tmp_path) as agent:
        await agent.run("listen", audio=MP3, session="voice")
        await agent.run("listen again", audio=MP3, session="voice")
    assert db.query("SELECT count(*), sum(size) FROM agentcore_blobs") == [(1, len(MP3))]
    contents = [r[3] for r in db.rows("voice") if r[2] == "user"]
    assert all(base64.b64encode(MP3).decode() not in c for c in contents)
    assert [(m.role, m.audio[0].data) for r in model.requests for m in r.messages if m.audio] == [
        ("user", MP3),
        ("user", MP3),
        ("user", MP3),
    ]  # the first turn's audio, then both turns' audio on the second request
    async with double_on(db.url, model, tmp_path) as agent:
        messages = (await agent.sessions.resume("voice")).messages
        parts = [m.audio[0] for m in messages if m.role == "user"]
        assert [(p.data, p.format) for p in parts] == [(MP3, "mp3"), (MP3, "mp3")]
        await agent.sessions.delete("voice")
    assert db.query("SELECT count(*) FROM agentcore_blobs") == [(0,)]
