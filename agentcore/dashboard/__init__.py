"""A usage and trace dashboard in the browser: ``agentcore dashboard``, or mounted by ``serve``."""

from __future__ import annotations

from agentcore.dashboard._app import create_dashboard_app

__all__ = ["create_dashboard_app"]
