"""A lean HTTP/1.1 load generator: N keep-alive connections, each sending the same POST back to back.

Raw asyncio streams with a pre-built request and a minimal response reader (Content-Length or
chunked), so that the client spends as little CPU as possible on a 2-core machine shared with the
servers it measures. ``python -m bench._load URL PATH BODY_FILE --clients N --seconds S`` prints one
JSON object: requests, errors, seconds, requests/s and latency percentiles (ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from typing import Any
from urllib.parse import urlsplit


def _request(url: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    host = urlsplit(url).netloc
    lines = [
        f"POST {path} HTTP/1.1",
        f"host: {host}",
        "content-type: application/json",
        f"content-length: {len(body)}",
    ]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    if b"transfer-encoding: chunked" in lower:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
        return status
    start = lower.find(b"content-length:")
    if start < 0:
        raise ValueError("no content-length and not chunked")
    end = lower.find(b"\r\n", start)
    await reader.readexactly(int(lower[start + 15 : end]))
    return status


async def _client(
    host: str, port: int, request: bytes, until: float, out: list[float], errors: list[str]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            if status != 200:
                errors.append(str(status))
                continue
            out.append((time.perf_counter() - started) * 1000)
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        errors.append(type(exc).__name__)
    finally:
        writer.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


async def load(
    url: str, path: str, body: bytes, *, clients: int, seconds: float, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run the load; the figures as a dict."""
    parts = urlsplit(url)
    request = _request(url, path, body, headers or {})
    latencies: list[float] = []
    errors: list[str] = []
    # warm-up (not counted): one second of the same load
    warm = time.perf_counter() + 1.0
    await asyncio.gather(
        *(
            _client(parts.hostname or "127.0.0.1", parts.port or 80, request, warm, [], [])
            for _ in range(clients)
        )
    )
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(
        *(
            _client(parts.hostname or "127.0.0.1", parts.port or 80, request, until, latencies, errors)
            for _ in range(clients)
        )
    )
    elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": percentile(latencies, 0.99),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("path")
    parser.add_argument("body_file")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--header", action="append", default=[])
    args: Any = parser.parse_args(argv)
    headers = dict(h.split(": ", 1) for h in args.header)
    with open(args.body_file, "rb") as fh:
        body = fh.read()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(
        load(args.url, args.path, body, clients=args.clients, seconds=args.seconds, headers=headers)
    )
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
