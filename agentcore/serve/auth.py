"""Who is calling: the key from ``Authorization: Bearer`` or ``x-api-key``, checked against the store.

Verified keys are remembered for ``serve.keyCacheSeconds`` (by hash, never by secret) so that a
busy key costs one database lookup per interval, not one per request; a revoked key stops working
within that interval.
"""

from __future__ import annotations

import hmac
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from starlette.requests import Request

from agentcore.serve._errors import HttpError
from agentcore.serve.keys import ApiKey, admin_key, hash_key

if TYPE_CHECKING:
    from agentcore.serve.state import Gateway

_MAX_CACHED = 10_000


def _unauthorized(message: str) -> HttpError:
    return HttpError(401, message, code="invalid_api_key")


class Auth:
    """Key checks with a short-lived cache."""

    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway
        self._cache: dict[str, tuple[ApiKey | None, float]] = {}

    @staticmethod
    def presented(request: Request) -> str | None:
        """The key the request carries, if any."""
        header = request.headers.get("authorization")
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() == "bearer" and value.strip():
                return value.strip()
            return None
        value = request.headers.get("x-api-key")
        return value.strip() if value and value.strip() else None

    async def check(self, request: Request) -> ApiKey:
        """The caller's key; 401 when there is none or it is unknown, revoked or expired."""
        secret = self.presented(request)
        if secret is None:
            raise _unauthorized(
                "no API key: send 'Authorization: Bearer <key>' (create one with: agentcore keys create --user NAME)"
            )
        admin = self._gw.admin_key
        if admin is not None and hmac.compare_digest(secret.encode(), admin.encode()):
            return admin_key()
        key = await self._lookup(secret)
        if key is None:
            raise _unauthorized("the API key is not valid")
        now = datetime.now(UTC)
        if key.revoked_at is not None:
            raise _unauthorized(f"the API key {key.id} was revoked")
        if not key.usable(now):
            raise _unauthorized(f"the API key {key.id} has expired")
        return key

    async def _lookup(self, secret: str) -> ApiKey | None:
        ttl = self._gw.config.serve.key_cache_seconds
        digest = hash_key(secret)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[1] > now:
            return hit[0]
        key = await self._gw.keys.verify(secret)
        if ttl > 0:
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
            self._cache[digest] = (key, now + ttl)
        return key
