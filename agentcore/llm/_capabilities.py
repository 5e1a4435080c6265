"""Which provider/model pairs take image input (``llm.supportsImages`` overrides this).

When in doubt the answer is yes: the provider then reports a real error, which is better than
refusing a model we do not know. Only models known to be text-only are refused up front.
"""

from __future__ import annotations

# Substrings of model names known to be text-only, per family.
_OPENAI_TEXT_ONLY = ("gpt-3.5", "o1-mini", "o1-preview", "o3-mini", "davinci", "babbage", "gpt-oss")
_CLAUDE_TEXT_ONLY = ("claude-2", "claude-instant")
_QWEN_VISION = ("-vl", "vl-", "omni", "qvq")


def model_accepts_images(provider: str, model: str) -> bool:
    """Whether ``model`` on ``provider`` takes images, judged from the model name."""
    name = model.lower()
    if provider == "deepseek":
        return False  # DeepSeek's API models are text-only
    if provider == "qwen":
        return any(marker in name for marker in _QWEN_VISION)
    if provider in ("anthropic", "aws"):
        return not any(marker in name for marker in _CLAUDE_TEXT_ONLY)
    if provider in ("openai", "azure"):
        if name == "gpt-4" or name.startswith("gpt-4-0"):
            return False
        return not any(marker in name for marker in _OPENAI_TEXT_ONLY)
    # openrouter, gemini, ollama, lmstudio and unknown providers: let the server decide.
    return True
