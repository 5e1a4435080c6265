"""Which routed target answered a request: what the call log records for every attempt.

Bottom-floor data shared by the router (which fills it) and the call-log recorder (which stores
it); neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RouteInfo:
    """One attempt's place in a routed request."""

    profile: str | None  # the profile name; None for a one-off target (``-m provider/model``)
    target: str  # the target's name: a ``models:`` entry or ``provider/model``
    failover: bool = False  # True when an earlier target of the same request failed
    base_url_host: str | None = None  # host[:port] of the endpoint the attempt went to
