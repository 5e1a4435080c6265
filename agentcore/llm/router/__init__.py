"""Routing a profile's requests over its targets: strategies, failover, cool-downs, shared state."""

from agentcore.llm.router.router import RoutedTarget, Router
from agentcore.llm.router.state import LocalState, RouterState, TargetStatus, state_for

__all__ = ["LocalState", "RoutedTarget", "Router", "RouterState", "TargetStatus", "state_for"]
