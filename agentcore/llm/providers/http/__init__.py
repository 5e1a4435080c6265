"""``llm.provider: http``: LLM APIs described in cipher.yml (see docs/http-providers.md).

Kept light: the config loader imports ``check`` from here; the service (httpx2) loads on use.
"""

from agentcore.llm.providers.http.converters import converter

__all__ = ["converter"]
