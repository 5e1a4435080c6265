"""The session store's SQLAlchemy statements (PostgreSQL, and SQLite for what has no sqlite3 path):
loaded only when used, so the one-shot path on a SQLite file never imports SQLAlchemy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, select, text, update

from agentcore.context._store_codec import LOAD_COLUMNS, Blob, blob_keys, message_row
from agentcore.context._store_schema import INSERT_BLOB
from agentcore.context._store_tables import B, M, S, Y
from agentcore.messages import InternalMessage

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# Built once: constructing SQLAlchemy expressions per append showed up in the profiles.
_BUMP: Any = (
    update(S)
    .where(S.c.id == bindparam("sid"))
    .values(
        next_seq=S.c.next_seq + bindparam("k"),
        message_count=S.c.message_count + bindparam("k"),
        updated_at=bindparam("now"),
    )
    .returning(S.c.next_seq)
)
_INSERT_MESSAGES: Any = M.insert()
# Blobs no message refers to any more (after delete, reset, prune).
_ORPHAN_BLOBS = (
    "DELETE FROM agentcore_blobs WHERE NOT EXISTS (SELECT 1 FROM agentcore_messages m "
    "WHERE m.content_kind = 'parts' AND m.content LIKE '%' || agentcore_blobs.sha256 || '%')"
)


async def load(
    engine: AsyncEngine, session_id: str, since_seq: int
) -> tuple[list[Any], Any, dict[str, tuple[str, bytes]]]:
    """Rows (``LOAD_COLUMNS``), latest summary and referenced blobs of a session."""
    cols = [getattr(M.c, c) for c in LOAD_COLUMNS]
    query = select(*cols).where(M.c.session_id == session_id)
    if since_seq:
        query = query.where(M.c.seq >= since_seq)
    async with engine.connect() as conn:
        rows = list((await conn.execute(query.order_by(M.c.seq))).all())
        srow = (
            await conn.execute(
                select(Y.c.from_seq, Y.c.upto_seq, Y.c.text, Y.c.tokens)
                .where(Y.c.session_id == session_id)
                .order_by(Y.c.upto_seq.desc(), Y.c.id.desc())
                .limit(1)
            )
        ).first()
        keys = sorted({k for r in rows for k in blob_keys(r[2], r[3])})
        blobs: dict[str, tuple[str, bytes]] = {}
        if keys:
            found = await conn.execute(
                select(B.c.sha256, B.c.media_type, B.c.data).where(B.c.sha256.in_(keys))
            )
            blobs = {r[0]: (r[1], bytes(r[2])) for r in found}
    return rows, srow, blobs


async def append(
    engine: AsyncEngine,
    session: tuple[str, str, str],
    messages: Sequence[InternalMessage],
    tokens: Sequence[int | None],
    tokenizer: str | None,
    blobs: list[Blob],
    stamp: datetime,
) -> int:
    """The session row first (its lock orders concurrent appenders; recreated when deleted
    meanwhile), then blobs and message rows. ``session`` is (id, name, kind); returns the first
    sequence number."""
    sid, name, kind = session
    k = len(messages)
    async with engine.begin() as conn:
        row = (await conn.execute(_BUMP, {"sid": sid, "k": k, "now": stamp})).first()
        if row is None:
            await conn.execute(
                S.insert().values(id=sid, name=name, kind=kind, next_seq=1 + k, message_count=k,
                                  created_at=stamp, updated_at=stamp)
            )  # fmt: skip
            row = (1 + k,)
        first = int(row[0]) - k
        values = [
            message_row(sid, first + i, m, t, tokenizer, stamp, blobs)
            for i, (m, t) in enumerate(zip(messages, tokens, strict=True))
        ]
        for key, media_type, data in blobs:
            await conn.execute(
                text(INSERT_BLOB),
                {"sha": key, "mt": media_type, "size": len(data), "data": data, "at": stamp},
            )
        await conn.execute(_INSERT_MESSAGES, values)
    return first


async def delete_content(conn: AsyncConnection, session_ids: Sequence[str], *, rows: bool) -> None:
    """Delete the sessions' messages and summaries (``rows``: the sessions too) and orphaned blobs."""
    await conn.execute(delete(M).where(M.c.session_id.in_(session_ids)))
    await conn.execute(delete(Y).where(Y.c.session_id.in_(session_ids)))
    if rows:
        await conn.execute(delete(S).where(S.c.id.in_(session_ids)))
    await conn.execute(text(_ORPHAN_BLOBS))
