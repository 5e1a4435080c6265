"""``agentcore serve``: one HTTP gateway (OpenAI- and Anthropic-compatible) for every app.

Needs the ``serve`` extra (``pip install 'agentcore[serve]'``). ``create_app(config)`` is the ASGI
application; ``agentcore serve`` runs it on uvicorn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from agentcore.config.schema import AgentConfig


def create_app(config: AgentConfig) -> Starlette:
    """The gateway's ASGI app for ``config``."""
    from agentcore.serve.app import create_app as build

    return build(config)


__all__ = ["create_app"]
