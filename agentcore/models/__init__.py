"""The model catalog: what is known about each model (window, output limit, tokenizer, dated prices,
image and audio input, native tools, structured output), the user's ``models:`` entries on top.

The bottom floor: it imports nothing of ``llm``, ``context``, ``tracing`` or ``cli`` (they import it).
"""

from __future__ import annotations

from agentcore.models.catalog import (
    Catalog,
    ModelInfo,
    Tokenizer,
    UserEntry,
    catalog_for,
    default_catalog,
    lookup,
)
from agentcore.models.pricing import Price, PriceTable

__all__ = [
    "Catalog",
    "ModelInfo",
    "Price",
    "PriceTable",
    "Tokenizer",
    "UserEntry",
    "catalog_for",
    "default_catalog",
    "lookup",
]
