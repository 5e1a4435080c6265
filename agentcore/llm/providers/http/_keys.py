"""Which API key a call uses: per calling user (``userKeys``), else ``llm.apiKey`` / ``apiKeyEnv``.

Per-user sources, in order: an environment variable pattern, a key file, the keys table of
``serve`` (lent by the host, see ``host.py``), then the default key when ``fallback`` allows it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, cast

from agentcore.config.http_schema import HttpProviderConfig
from agentcore.config.schema import LLMConfig
from agentcore.errors import ConfigError

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_USER = re.compile(r"\{\{\s*user\s*\}\}")


class KeyResolver:
    """The key for a user id; a per-user key file is read once and re-read when it changes."""

    def __init__(self, llm: LLMConfig, http: HttpProviderConfig) -> None:
        self._llm = llm
        self._http = http
        self._file_cache: tuple[float, dict[str, str]] | None = None

    @property
    def per_user(self) -> bool:
        """True when keys (and so auth tokens) depend on the calling user."""
        return self._http.user_keys is not None

    def default_key(self) -> str | None:
        """``llm.apiKey``, else the variable named by ``apiKeyEnv``."""
        if self._llm.api_key:
            return self._llm.api_key
        env = self._http.api_key_env
        return os.environ.get(env) if env else None

    async def key_for(self, user: str | None) -> str | None:
        """The key of ``user`` (or the default key); a ConfigError when a required one is absent."""
        keys = self._http.user_keys
        if keys is None or user is None:
            return self.default_key()
        key: str | None = None
        if keys.env:
            name = _USER.sub(_UNSAFE.sub("_", user).upper(), keys.env)
            key = os.environ.get(name)
        if key is None and keys.file:
            key = self._from_file(keys.file).get(user)
        if key is None and keys.table:
            key = await self._from_table(user)
        if key is None and keys.fallback:
            key = self.default_key()
        if key is None:
            raise ConfigError(
                f"no API key for user '{user}'",
                key_path="llm.http.userKeys",
                hint="store one (agentcore keys upstream set, for userKeys.table), add the user to the key "
                "file or environment, or set userKeys.fallback with llm.apiKey",
            )
        from agentcore._redact import register_secret

        register_secret(key)
        return key

    async def _from_table(self, user: str) -> str | None:
        from agentcore.llm.providers.http.host import current_host

        source = current_host().user_keys
        if source is None:
            raise ConfigError(
                f"userKeys.table needs the keys table of agentcore serve, and user '{user}' called "
                "outside the gateway",
                key_path="llm.http.userKeys.table",
                hint="call through agentcore serve, or use userKeys.env / userKeys.file here",
            )
        return await source.upstream_key(user, self._http.name)

    def _from_file(self, file: str) -> dict[str, str]:
        path = Path(file).expanduser()
        try:
            mtime = path.stat().st_mtime
            if self._file_cache is not None and self._file_cache[0] == mtime:
                return self._file_cache[1]
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot read the user key file {path}: {exc.strerror}", key_path="llm.http.userKeys.file"
            ) from None
        import yaml

        try:
            data: Any = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError):
            data = None
        if not isinstance(data, dict):
            raise ConfigError(
                f"the user key file {path} is not a mapping of user id to key",
                key_path="llm.http.userKeys.file",
            )
        keys = {str(k): str(v) for k, v in cast(dict[Any, Any], data).items()}
        self._file_cache = (mtime, keys)
        return keys
