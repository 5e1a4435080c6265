"""Redaction of secrets (API keys, bearer tokens, Authorization headers) from text and mappings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "***"

_SECRET_KEY = re.compile(
    r"(api[_-]?key|apikey|admin[_-]?key|authorization|x-api-key|token|secret|password|access[_-]?key|session[_-]?token)",
    re.IGNORECASE,
)
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-+/=]{6,}"), r"\g<1>" + MASK),
    (re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_\-]{8,}"), MASK),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), MASK),
    (
        re.compile(
            r"(?i)((?:api[_-]?key|x-api-key|authorization|token|password)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{4,}"
        ),
        r"\g<1>" + MASK,
    ),
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+(@)"), r"\g<1>" + MASK + r"\g<2>"),
]
_known: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a configured secret so that it is masked wherever it appears later."""
    if value and len(value) >= 6:
        _known.add(value)


def redact_text(text: str) -> str:
    """Mask every known secret and anything shaped like a key, token or URL password."""
    for secret in _known:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def is_secret_key(key: str) -> bool:
    """True for mapping keys whose values are credentials (``apiKey``, ``Authorization``...)."""
    return bool(_SECRET_KEY.search(key))


def redact_mapping(value: Any) -> Any:
    """A copy of ``value`` with credential-named keys masked and secret-shaped strings redacted."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():  # pyright: ignore[reportUnknownVariableType]
            key = str(k)  # pyright: ignore[reportUnknownArgumentType]
            if is_secret_key(key) and v not in (None, ""):
                out[key] = MASK
            else:
                out[key] = redact_mapping(v)
        return out
    if isinstance(value, list | tuple):
        return [redact_mapping(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, str):
        return redact_text(value)
    return value
