"""The admin-key login of the mounted dashboard: a signed, HTTP-only, SameSite cookie.

The cookie holds an issue time and a random nonce signed with a secret derived from the admin key,
never the key itself, so every worker of ``serve`` accepts it and changing the key logs everyone out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

COOKIE = "agentcore_dashboard"
MAX_AGE_S = 12 * 3600


def _secret(admin_key: str) -> bytes:
    return hashlib.sha256(b"agentcore-dashboard-session\0" + admin_key.encode()).digest()


def _sign(secret: bytes, payload: str) -> str:
    mac = hmac.new(secret, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def key_matches(admin_key: str, given: str) -> bool:
    """Constant-time comparison of the submitted key with the admin key."""
    return hmac.compare_digest(admin_key.encode(), given.encode())


def new_session(admin_key: str, now: float | None = None) -> str:
    """A cookie value: ``issued.nonce.signature``."""
    payload = f"{int(now if now is not None else time.time())}.{secrets.token_urlsafe(12)}"
    return f"{payload}.{_sign(_secret(admin_key), payload)}"


def session_valid(admin_key: str, value: str | None, now: float | None = None) -> bool:
    """Whether ``value`` was signed with this key and is younger than ``MAX_AGE_S``."""
    if not value or value.count(".") != 2:
        return False
    issued, nonce, signature = value.split(".")
    if not hmac.compare_digest(_sign(_secret(admin_key), f"{issued}.{nonce}"), signature):
        return False
    try:
        age = (now if now is not None else time.time()) - int(issued)
    except ValueError:
        return False
    return 0 <= age < MAX_AGE_S
