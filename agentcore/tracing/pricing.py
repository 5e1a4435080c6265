"""Prices of calls: the table lives in the model catalog (``agentcore.models.pricing``); re-exported
here for the call log and existing callers."""

from __future__ import annotations

from agentcore.models.pricing import (
    CACHE_WRITE_1H,
    CACHE_WRITE_5M,
    FREE_PROVIDERS,
    Match,
    Price,
    PriceTable,
    normalise,
)

__all__ = ["CACHE_WRITE_1H", "CACHE_WRITE_5M", "FREE_PROVIDERS", "Match", "Price", "PriceTable", "normalise"]
