"""Text the databases cannot hold as it is: NUL characters and lone surrogates.

PostgreSQL refuses NUL in text columns; neither database (nor its UTF-8 driver) takes a lone
surrogate, which Python produces for undecodable bytes (``surrogateescape``: non-UTF-8 file names,
stdin, tool output). Free text is stored losslessly as a JSON string literal when it holds either
(``json.dumps`` escapes both as ``\\u0000`` / ``\\udcff`` and ``json.loads`` restores them); short
identifier columns are cleaned instead (:func:`clean`), and names are refused (:func:`check_text`).
"""

from __future__ import annotations

import json
import re

_NUL = "\x00"
_BAD = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> bool:
    """True when ``text`` can go to the database as it is."""
    if text.isascii():
        return _NUL not in text
    return _BAD.search(text) is None


def escape(text: str) -> str:
    """``text`` as a JSON string literal (pure ASCII): holds NUL and lone surrogates losslessly."""
    return json.dumps(text, ensure_ascii=True)


def unescape(stored: str) -> str:
    """The text :func:`escape` stored."""
    value = json.loads(stored)
    return value if isinstance(value, str) else str(value)


def dumps(value: object) -> str:
    """JSON for a text column: UTF-8 as is, ASCII-escaped when it holds a lone surrogate."""
    text = json.dumps(value, ensure_ascii=False)  # NUL is always escaped by json
    return text if storable(text) else json.dumps(value, ensure_ascii=True)


def clean(text: str) -> str:
    """``text`` with NUL removed and lone surrogates replaced by U+FFFD (for short identifier columns)."""
    if storable(text):
        return text
    return _BAD.sub(lambda m: "" if m.group(0) == _NUL else "\ufffd", text)


def check_text(value: str) -> str | None:
    """Why ``value`` cannot be stored as a name, or None when it can."""
    if _NUL in value:
        return "it contains a NUL character"
    if not storable(value):
        return "it contains bytes that are not valid UTF-8"
    return None
