"""The built-in model families: one ordered table of what is known about each.

A name is matched (``re.search`` on the lower-cased name, routing prefixes and tags left in
place) against every family in order; each fact comes from the FIRST matching family that states
it (``None``: this family does not say, ask a broader one). So a narrow family such as
``gpt-4-snapshot`` can state only that old GPT-4 snapshots are text-only while the window of
``gpt-4-0125-preview`` still comes from ``gpt-4-turbo``. More specific families come first.

Sources: the providers' model pages (platform.openai.com/docs/models, docs.anthropic.com models
overview, ai.google.dev/gemini-api/docs/models, alibabacloud.com model-studio, api-docs.deepseek.com),
read 2025-11-20. Local families (Llama, Mistral, Phi, Gemma, gpt-oss) state what the weights
allow; tool calling there depends on the server, so it is unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

O200K = "o200k_base"
CL100K = "cl100k_base"


@dataclass(frozen=True, slots=True)
class Family:
    """What is known of one model family; ``None`` fields are not stated here."""

    name: str
    pattern: re.Pattern[str]
    maker: str | None = None  # whose models these are ("openai", "anthropic", ...)
    window: int | None = None
    max_output: int | None = None
    #: (encoding, calibration factor, exact?): the BPE we count with and how far to trust it
    tokenizer: tuple[str, float, bool] | None = None
    images: bool | None = None
    audio: bool | None = None
    native_tools: bool | None = None
    structured_output: bool | None = None


def _f(name: str, pattern: str, **facts: object) -> Family:
    return Family(name, re.compile(pattern), **facts)  # type: ignore[arg-type]


_OAI = (O200K, 1.0, True)
_OAI_OLD = (CL100K, 1.0, True)

FAMILIES: tuple[Family, ...] = (
    # OpenAI. Narrow "fact" families first (text-only snapshots, audio models), then by generation.
    _f("gpt-4-snapshot", r"^gpt-4$|^gpt-4-0", maker="openai", images=False),
    _f("gpt-audio", r"gpt-4o(-mini)?-audio|gpt-audio", maker="openai", audio=True),
    _f("o-mini-preview", r"o1-mini|o1-preview", maker="openai", images=False, native_tools=False),
    _f("o3-mini", r"o3-mini", maker="openai", images=False),
    _f(
        "gpt-4.1",
        r"gpt-4\.1",
        maker="openai",
        window=1_047_576,
        max_output=32_768,
        tokenizer=_OAI,
        images=True,
        audio=False,
        native_tools=True,
        structured_output=True,
    ),
    _f(
        "gpt-5",
        r"gpt-5",
        maker="openai",
        window=400_000,
        max_output=128_000,
        tokenizer=_OAI,
        images=True,
        audio=False,
        native_tools=True,
        structured_output=True,
    ),
    _f(
        "gpt-4o",
        r"gpt-4o|chatgpt-4o",
        maker="openai",
        window=128_000,
        max_output=16_384,
        tokenizer=_OAI,
        images=True,
        audio=False,
        native_tools=True,
        structured_output=True,
    ),
    _f(
        "gpt-4.5",
        r"gpt-4\.5",
        maker="openai",
        window=128_000,
        max_output=16_384,
        tokenizer=_OAI,
        images=True,
        audio=False,
        native_tools=True,
        structured_output=True,
    ),
    _f(
        "gpt-4-turbo",
        r"gpt-4-turbo|gpt-4-1106|gpt-4-0125",
        maker="openai",
        window=128_000,
        max_output=4_096,
        tokenizer=_OAI_OLD,
        images=True,
        audio=False,
        native_tools=True,
        structured_output=False,
    ),
    _f(
        "gpt-4-32k",
        r"gpt-4-32k",
        maker="openai",
        window=32_768,
        tokenizer=_OAI_OLD,
        audio=False,
        native_tools=True,
        structured_output=False,
    ),
    _f(
        "gpt-4",
        r"gpt-4",
        maker="openai",
        window=8_192,
        max_output=8_192,
        tokenizer=_OAI_OLD,
        audio=False,
        native_tools=True,
        structured_output=False,
    ),
    _f(
        "gpt-3.5",
        r"gpt-3\.5",
        maker="openai",
        window=16_385,
        max_output=4_096,
        tokenizer=_OAI_OLD,
        images=False,
        audio=False,
        native_tools=True,
        structured_output=False,
    ),
    _f(
        "gpt-oss",
        r"gpt-oss",
        maker="openai",
        window=131_072,
        max_output=131_072,
        tokenizer=_OAI,
        images=False,
        audio=False,
    ),
    _f(
        "o-series",
        r"(^|/)o[1-9](\b|-)",
        maker="openai",
        window=200_000,
        max_output=100_000,
        tokenizer=_OAI,
        images=True,
        audio=False,
        native_tools=True,
        structured_output=True,
    ),
    _f(
        "openai-completions",
        r"davinci|babbage",
        maker="openai",
        tokenizer=_OAI_OLD,
        images=False,
        audio=False,
        native_tools=False,
    ),
    _f("openai-embedding", r"text-embedding", maker="openai", tokenizer=_OAI_OLD),
    # Anthropic
    _f("claude-legacy", r"claude-2|claude-instant", maker="anthropic", max_output=4_096, images=False),
    _f("claude-4-64k", r"claude-(sonnet-4|haiku-4|opus-4-5|3-7)", maker="anthropic", max_output=64_000),
    _f("claude-opus-4", r"claude-opus-4", maker="anthropic", max_output=32_000),
    _f("claude-3-5", r"claude-3-5", maker="anthropic", max_output=8_192),
    _f("claude-3", r"claude-3-", maker="anthropic", max_output=4_096),
    _f(
        "claude",
        r"claude",
        maker="anthropic",
        window=200_000,
        tokenizer=(CL100K, 1.2, False),
        images=True,
        audio=False,
        native_tools=True,
    ),
    _f("anthropic", r"anthropic", maker="anthropic", tokenizer=(CL100K, 1.2, False)),
    # Google
    _f(
        "gemini",
        r"gemini-1\.5|gemini-2|gemini-3",
        maker="google",
        window=1_048_576,
        max_output=65_536,
        tokenizer=(O200K, 1.1, False),
        images=True,
        audio=True,
        native_tools=True,
        structured_output=True,
    ),
    _f("gemini-1.0", r"gemini", maker="google", window=32_768, tokenizer=(O200K, 1.1, False)),
    _f("gemma-3", r"gemma-?3", maker="google", window=131_072, images=True),
    _f("gemma", r"gemma", maker="google", window=8_192, tokenizer=(O200K, 1.1, False)),
    _f("smollm", r"smollm", maker="huggingface", window=4_096),  # the built-in model (agentcore.llm.local)
    # Qwen (DashScope): vision and omni models by name; text models otherwise
    _f("qwen-omni", r"omni", maker="qwen", images=True, audio=True),
    _f("qwen-vl", r"-vl|vl-|qvq", maker="qwen", images=True),
    _f("qwen-max", r"qwen-max", maker="qwen", window=32_768, max_output=8_192),
    _f(
        "qwen",
        r"qwen|qwq",
        maker="qwen",
        window=131_072,
        tokenizer=(O200K, 1.1, False),
        images=False,
        audio=False,
        native_tools=True,
    ),
    # DeepSeek
    _f(
        "deepseek",
        r"deepseek",
        maker="deepseek",
        window=128_000,
        tokenizer=(O200K, 1.1, False),
        images=False,
        audio=False,
        native_tools=True,
        structured_output=False,
    ),
    # Local families
    _f("llama-3.1+", r"llama-?3\.[1-3]|llama-?4", maker="meta", window=131_072),
    _f("llama-3", r"llama-?3", maker="meta", window=8_192),
    _f("llama-2", r"llama-?2", maker="meta", window=4_096),
    _f(
        "mistral-128k",
        r"mistral-large|mistral-small|mistral-nemo|ministral|codestral",
        maker="mistral",
        window=131_072,
    ),
    _f("mistral", r"mistral|mixtral", maker="mistral", window=32_768),
    _f("llama", r"llama", maker="meta", tokenizer=(CL100K, 1.1, False)),
    _f("phi-4", r"phi-?4", maker="microsoft", window=16_384),
    _f("phi-3", r"phi-?3", maker="microsoft", window=128_000),
    _f("llama-mistral-phi", r"llama|mistral|mixtral|phi", tokenizer=(CL100K, 1.1, False)),
)

#: counting for a model no family knows: cl100k, calibrated, an estimate
UNKNOWN_TOKENIZER = (CL100K, 1.1, False)
