"""The HTTP transport of the OpenAI-compatible family: chat completions over ``httpx2``, no SDK.

We already assemble the request body ourselves (see ``openai_compat``), so all the ``openai`` SDK
still did was POST it, parse JSON or server-sent events and wrap failures, and importing it costs
~0.5 s of every ``agentcore run``. This module does those few things with the HTTP library the SDK
itself runs on, and raises exceptions that carry what the provider's classification needs (status,
error body, request id, Retry-After), mirroring the SDK's behaviour: a status >= 400 is an error
with the body's ``error`` object, ``data: [DONE]`` ends a stream, and an ``error`` object inside a
stream is an error event.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

import httpx2

from agentcore import __version__

#: the SDK's pool sizes: an agent fanning requests out in parallel must not queue on the pool
_LIMITS = httpx2.Limits(max_connections=1000, max_keepalive_connections=100)


class TransportError(Exception):
    """A request that failed before a response arrived (or while reading a non-streamed body)."""

    def __init__(self, url: httpx2.URL, cause: httpx2.HTTPError) -> None:
        super().__init__(f"cannot reach {url}: {cause}")
        self.url = url
        self.timed_out = isinstance(cause, httpx2.TimeoutException)


class StatusError(Exception):
    """The server answered with an HTTP error status."""

    def __init__(self, response: httpx2.Response, body: object) -> None:
        self.status = response.status_code
        self.headers = response.headers
        self.request_id = response.headers.get("x-request-id")
        #: the ``error`` object of a JSON body (the whole body when it has none), else the text
        self.body = body
        error = cast(Mapping[str, Any], body) if isinstance(body, Mapping) else None
        message = error.get("message") if error is not None else None
        self.message = f"Error code: {self.status}" + (
            f" - {message}" if isinstance(message, str) and message else ""
        )
        super().__init__(self.message)


class StreamErrorEvent(Exception):
    """An ``{"error": ...}`` event inside a stream whose response said 200."""

    def __init__(self, body: object) -> None:
        self.body = body
        error = cast(Mapping[str, Any], body) if isinstance(body, Mapping) else None
        message = error.get("message") if error is not None else None
        self.message = (
            message if isinstance(message, str) and message else "An error occurred during streaming"
        )
        super().__init__(self.message)


class NotACompletion(Exception):
    """A 2xx body (or stream chunk) that is JSON but not a chat-completion object."""


class ChatHttp(httpx2.AsyncClient):
    """One provider's connection pool; ``close`` is what ``LazyClient`` calls."""

    _urls: dict[str, httpx2.URL] | None = None

    def url_of(self, path: str) -> httpx2.URL:
        """``path`` joined to the base URL once: merging a relative path parses and copies the URL
        on every request, a measurable share of a zero-latency turn."""
        if self._urls is None:
            self._urls = {}
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = self._merge_url(path)
        return url

    async def close(self) -> None:
        await self.aclose()


def make_client(
    base_url: str, headers: Mapping[str, str], timeout: float, params: Mapping[str, str] | None = None
) -> ChatHttp:
    """A client sending JSON to ``base_url`` with ``headers`` (auth included); ``timeout`` bounds each wait."""
    return ChatHttp(
        base_url=base_url,
        headers={
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": f"agentcore/{__version__}",
            **headers,
        },
        params=dict(params) if params else None,
        timeout=httpx2.Timeout(timeout),
        limits=_LIMITS,
    )


def _error_body(response: httpx2.Response) -> object:
    text = response.text.strip()
    try:
        body: object = json.loads(text)
    except ValueError:
        return text
    if isinstance(body, Mapping):
        inner = cast(Mapping[str, Any], body).get("error", body)
        return cast(object, inner)
    return body


async def post_json(client: ChatHttp, path: str, body: bytes) -> dict[str, Any]:
    """POST ``body`` and return the JSON object answered (a cut-off body raises ``JSONDecodeError``)."""
    try:
        response = await client.post(client.url_of(path), content=body)
    except httpx2.HTTPError as exc:
        raise TransportError(client.base_url, exc) from exc
    if response.status_code >= 400:
        raise StatusError(response, _error_body(response))
    data: object = json.loads(response.content)
    if not isinstance(data, dict):
        raise NotACompletion(f"the body is a JSON {type(data).__name__}, not an object")
    return cast(dict[str, Any], data)


class ChatStream:
    """An open streamed response: its chunks, then ``aclose``."""

    def __init__(self, response: httpx2.Response) -> None:
        self._response = response

    def chunks(self) -> AsyncIterator[dict[str, Any]]:
        """The chunks' JSON objects, up to ``data: [DONE]``.

        Failures while reading are the HTTP library's own errors (the server answered, then the
        connection broke); an ``error`` object in an event raises ``StreamErrorEvent``.
        """
        return _chunks(self._response)

    async def aclose(self) -> None:
        await self._response.aclose()


async def open_stream(client: ChatHttp, path: str, body: bytes) -> ChatStream:
    """POST ``body`` asking for a stream; returns once the response head says it is not an error."""
    request = client.build_request("POST", client.url_of(path), content=body)
    try:
        response = await client.send(request, stream=True)
    except httpx2.HTTPError as exc:
        raise TransportError(client.base_url, exc) from exc
    if response.status_code < 400:
        return ChatStream(response)
    try:
        await response.aread()
    except httpx2.HTTPError as exc:
        raise TransportError(client.base_url, exc) from exc
    finally:
        await response.aclose()
    raise StatusError(response, _error_body(response))


async def _chunks(response: httpx2.Response) -> AsyncIterator[dict[str, Any]]:
    done = False
    async for data in _sse_data(response):
        if done:
            continue  # read to the end, so the connection goes back to the pool
        if data.startswith("[DONE]"):
            done = True
            continue
        chunk: object = json.loads(data)
        if isinstance(chunk, dict):
            found = cast(dict[str, Any], chunk)
            if found.get("error"):
                raise StreamErrorEvent(found["error"])
            yield found
        else:
            raise NotACompletion(f"a stream chunk is a JSON {type(chunk).__name__}, not an object")


async def _sse_data(response: httpx2.Response) -> AsyncIterator[str]:
    """The ``data`` of each server-sent event (multi-line data joined with newlines)."""
    data: list[str] = []
    fields = False  # an event, id or retry field without data still dispatches an (empty) event
    async for line in response.aiter_lines():
        if not line:
            if data or fields:
                yield "\n".join(data)
            data, fields = [], False
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name in ("event", "id", "retry"):
            fields = True
    if data or fields:
        yield "\n".join(data)
