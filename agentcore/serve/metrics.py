"""Prometheus metrics of the gateway (``GET /metrics``).

Each gateway has its own registry (a library keeps no process-wide state). With several workers
``agentcore serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` before they start, so every worker writes
its samples there and ``/metrics`` on any worker reports the sum over all of them.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    """Requests, tokens, cost, latency, in-flight requests and errors."""

    def __init__(self) -> None:
        registry = self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "agentcore_gateway_requests",
            "Requests answered, by endpoint, model and HTTP status",
            ["endpoint", "model", "status"],
            registry=registry,
        )
        self.tokens = Counter(
            "agentcore_gateway_tokens", "Tokens used, by model and kind", ["model", "kind"], registry=registry
        )
        self.cost = Counter(
            "agentcore_gateway_cost_usd", "Known cost in USD, by model", ["model"], registry=registry
        )
        self.latency = Histogram(
            "agentcore_gateway_request_seconds",
            "Time to the full answer, by endpoint and mode",
            ["endpoint", "mode"],
            buckets=_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "agentcore_gateway_in_flight",
            "Requests being answered",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.errors = Counter(
            "agentcore_gateway_errors",
            "Failed requests, by provider and HTTP status",
            ["provider", "status"],
            registry=registry,
        )

    def render(self) -> bytes:
        """The text exposition of every metric (summed over workers when there are several)."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
