"""The bench's fake OpenAI server, run in its own process so it never competes for the client's GIL.

``python -m bench._server [--chunk-delay S]`` prints its URL on one line, then serves until stdin closes.
Replies are scripted from the request itself, so every client (agentcore, the raw SDK, the peers in their
own venv) gets the same conversation without any coordination:

- a user message containing ``loop N`` asks for N tool turns: while fewer than N distinct ``result#K``
  tool results are in the body the reply calls ``add(a=K, b=1)``; then it answers (or, for smolagents,
  whose loop only ends on its ``final_answer`` tool, it calls that tool);
- anything else gets the text reply ``FINAL_TEXT``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[1]
FINAL_TEXT = "The sum is done and the answer is ready."
_LOOP = re.compile(rb"loop (\d+)")
_RESULT = re.compile(rb"result#(\d+)")


def _serve(chunk_delay: float) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.fakes import FakeOpenAI, RecordedRequest, TextReply, ToolCallsReply

    fake = FakeOpenAI(chunk_delay_s=chunk_delay, chunk_chars=4)

    def reply(rec: RecordedRequest) -> TextReply | ToolCallsReply:
        fake.requests.clear()  # a bench sends thousands of large bodies: keep none
        body = rec.body
        loop = _LOOP.search(body)
        wanted = int(loop.group(1)) if loop else 0
        done = len(set(_RESULT.findall(body)))
        usage = (len(body) // 4, 12)
        if done < wanted:
            return ToolCallsReply([("add", {"a": done, "b": 1})], usage=usage)
        if wanted and b'"final_answer"' in body:
            return ToolCallsReply([("final_answer", {"answer": FINAL_TEXT})], usage=usage)
        return TextReply(FINAL_TEXT, usage=usage)

    fake.set_default(reply)
    print(fake.url, flush=True)
    sys.stdin.read()
    fake.close()


class BenchServer:
    """Starts ``bench._server`` in a subprocess; ``url`` is its base URL (append ``/v1``)."""

    def __init__(self, chunk_delay: float = 0.0) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench._server", "--chunk-delay", str(chunk_delay)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        self.url = self._proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            self.close()
            raise RuntimeError("the bench server did not start")

    def close(self) -> None:
        """Stop the server process."""
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunk-delay", type=float, default=0.0)
    args: Any = parser.parse_args(argv)
    _serve(float(args.chunk_delay))


if __name__ == "__main__":
    main()
