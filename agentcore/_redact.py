"""Redaction of secrets (API keys, bearer tokens, Authorization headers) from text and mappings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "***"

_SECRET_KEY = re.compile(
    r"(api[_-]?key|apikey|admin[_-]?key|authorization|x-api-key|token|secret|password|access[_-]?key|session[_-]?token"
    r"|subscription[_-]?key|cookie|credential|private[_-]?key)",
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

# Values that configs put where a key goes when a server needs none: masking them would turn every
# "ollama" a user types into ***, so they are never secrets.
PLACEHOLDERS = frozenset(
    {
        "ollama",
        "lm-studio",
        "lmstudio",
        "not-required",
        "not-needed",
        "none",
        "unused",
        "dummy",
        "placeholder",
        "changeme",
        "sk-no-key-required",
        "no-key",
        "empty",
        "local",
        "anything",
        "llama.cpp",
        "llamacpp",
        "vllm",
        "xxx",
    }
)
MIN_SECRET_LENGTH = 8
_WORDLIKE = re.compile(r"[A-Za-z]+(?:[-_. ][A-Za-z]+)*")
# Environment variables whose values are credentials (OPENAI_API_KEY, GITHUB_TOKEN, DB_PASSWORD...).
_SECRET_ENV = re.compile(
    r"(?:^|_)(?:KEY|APIKEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?|AUTH|PAT)(?:_|$)|PASSWORD|SECRET",
    re.IGNORECASE,
)


def is_maskable(value: str) -> bool:
    """Whether ``value`` can be masked without destroying ordinary text.

    Short strings, placeholders ("ollama", "not-required") and plain words are not: they occur in
    what users type, and a real key is longer and not a word.
    """
    text = value.strip()
    if len(text) < MIN_SECRET_LENGTH or text.lower() in PLACEHOLDERS:
        return False
    if len(set(text)) < 4:  # "xxxxxxxx", "--------"
        return False
    # Words and word phrases ("not-a-real-key", "local server") are text; a key has digits or is long.
    return not (_WORDLIKE.fullmatch(text) and len(text) < 16)


def register_secret(value: str | None) -> None:
    """Remember a configured secret so that it is masked wherever it appears later.

    Values that are not maskable (see :func:`is_maskable`) are ignored.
    """
    if value and is_maskable(value):
        _known.add(value.strip())


def is_secret_env(name: str) -> bool:
    """True for environment variable names that hold credentials (``*_KEY``, ``*_TOKEN``, ``*PASSWORD*``...)."""
    return bool(_SECRET_ENV.search(name))


def mask_secrets(text: str) -> str:
    """``text`` with only the registered secrets masked (no pattern guessing: stored content stays as typed)."""
    for secret in _known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def redact_text(text: str) -> str:
    """Mask every known secret and anything shaped like a key, token or URL password."""
    text = mask_secrets(text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def is_secret_key(key: str) -> bool:
    """True for mapping keys whose values are credentials (``apiKey``, ``Authorization``...)."""
    return bool(_SECRET_KEY.search(key))


# Headers that carry no credential; every other configured header value is treated as a secret
# (custom auth headers such as ``Ocp-Apim-Subscription-Key`` have no common shape).
PLAIN_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "connection",
        "content-type",
        "user-agent",
        "http-referer",
        "referer",
        "x-title",
        "openai-beta",
        "anthropic-beta",
        "anthropic-version",
    }
)


def is_secret_header(name: str) -> bool:
    """True unless ``name`` is a header known to carry no credential (``Accept``, ``User-Agent``...)."""
    return name.strip().lower() not in PLAIN_HEADERS


def redact_mapping(value: Any) -> Any:
    """A copy of ``value`` with credential-named keys masked and secret-shaped strings redacted.

    Values under a ``headers`` mapping are masked unless the header is a plain one; values under an
    ``env`` mapping are masked when the variable's name looks like a credential.
    """
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():  # pyright: ignore[reportUnknownVariableType]
            key = str(k)  # pyright: ignore[reportUnknownArgumentType]
            if is_secret_key(key) and v not in (None, ""):
                out[key] = MASK
            elif key.lower() in ("headers", "env") and isinstance(v, Mapping):
                secret = is_secret_header if key.lower() == "headers" else is_secret_env
                out[key] = {
                    str(name): MASK if secret(str(name)) and item not in (None, "") else redact_mapping(item)  # pyright: ignore[reportUnknownArgumentType]
                    for name, item in v.items()  # pyright: ignore[reportUnknownVariableType]
                }
            else:
                out[key] = redact_mapping(v)
        return out
    if isinstance(value, list | tuple):
        return [redact_mapping(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, str):
        return redact_text(value)
    return value
