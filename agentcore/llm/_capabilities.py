"""Which provider/model pairs take image or audio input: read from the model catalog
(``llm.supportsImages`` / ``supportsAudio`` override it)."""

from __future__ import annotations


def model_accepts_images(provider: str, model: str) -> bool:
    """Whether ``model`` on ``provider`` takes images (when in doubt yes: the server decides)."""
    from agentcore.models import default_catalog

    return default_catalog().accepts_images(provider, model)


def model_accepts_audio(provider: str, model: str) -> bool | None:
    """Whether ``model`` on ``provider`` takes audio input (None: not known)."""
    from agentcore.models import default_catalog

    return default_catalog().accepts_audio(provider, model)
