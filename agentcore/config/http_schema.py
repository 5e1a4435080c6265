"""The ``llm.http`` block: an LLM API described as data (``llm.provider: http``).

Template values use ``{{name}}`` (optionally ``{{name | converter}}``), never ``${...}``, which stays
the environment-variable syntax of cipher.yml: both can appear in one value and neither shadows the
other. Checks that need the whole block (template variables, regexes, paths) are in
``agentcore.llm.providers.http.check``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False)


class HttpAuthConfig(_Model):
    """A request made before the chat call whose answer yields variables (a token) for later templates."""

    url: str
    method: Literal["GET", "POST", "PUT"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict[str, str])
    params: dict[str, Any] = Field(default_factory=dict[str, Any])
    body: Any = None
    form: bool = Field(default=False, description="send body as form fields instead of JSON")
    set_data: dict[str, str] = Field(
        default_factory=dict[str, str], alias="setData", description="variable -> dotted path in the answer"
    )
    expires_in: str | float | None = Field(
        default=None, alias="expiresIn", description="dotted path to seconds, or a number of seconds"
    )
    expiry_margin: float = Field(default=30.0, alias="expiryMargin", ge=0)


class HttpChatConfig(_Model):
    """The chat request, built from templates."""

    url: str
    method: Literal["GET", "POST", "PUT"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict[str, str])
    params: dict[str, Any] = Field(default_factory=dict[str, Any])
    body: Any = None
    messages_format: Literal["openai", "anthropic", "text"] = Field(default="openai", alias="messagesFormat")


class HttpToolCallsMapping(_Model):
    """Where tool calls are in an answer (or a chunk): a list, and paths inside each element."""

    path: str
    id: str | None = None
    name: str = "function.name"
    arguments: str = "function.arguments"
    index: str | None = None


class HttpUsageMapping(_Model):
    """Dotted paths of the token counts."""

    prompt: str | None = None
    completion: str | None = None
    cached: str | None = None
    total: str | None = None


class HttpErrorMapping(_Model):
    """Where a failed call's message and code are; ``authCodes`` mark an expired token (refresh once)."""

    message: str | None = None
    code: str | None = None
    auth_codes: list[str | int] = Field(default_factory=list[str | int], alias="authCodes")


class HttpResponseMapping(_Model):
    """Dotted paths (list indexes allowed: ``choices.0.message.content``) into a non-streamed answer."""

    text: str | None = None
    finish_reason: str | None = Field(default=None, alias="finishReason")
    tool_calls: HttpToolCallsMapping | None = Field(default=None, alias="toolCalls")
    usage: HttpUsageMapping = Field(default_factory=HttpUsageMapping)
    error: HttpErrorMapping = Field(default_factory=HttpErrorMapping)


class HttpChunkFilter(_Model):
    """Drop a chunk (or blank one of its mapped fields) when ``path`` compares to ``value``."""

    path: str
    op: Literal["==", "!=", "in", "contains", "exists"] = "=="
    value: Any = None
    field: Literal["text", "toolCalls", "usage", "finishReason"] | None = None


class HttpStreamConfig(_Model):
    """How the streamed answer is framed and where each chunk's deltas are (unset: as in ``response``)."""

    framing: Literal["sse", "ndjson", "lines"] = "sse"
    chunk_match: str | None = Field(default=None, alias="chunkMatch")
    done_marker: str | None = Field(default="[DONE]", alias="doneMarker")
    done: str | None = Field(default=None, description="a path that is true on the last chunk")
    chunk_filter: list[HttpChunkFilter] = Field(default_factory=list[HttpChunkFilter], alias="chunkFilter")
    text: str | None = None
    finish_reason: str | None = Field(default=None, alias="finishReason")
    tool_calls: HttpToolCallsMapping | None = Field(default=None, alias="toolCalls")
    usage: HttpUsageMapping | None = None
    enabled: bool = Field(default=True, description="false: the API cannot stream; one answer is sent")


class HttpUserKeys(_Model):
    """Per-user API keys: the call context's ``user_id`` -> key."""

    env: str | None = Field(default=None, description="env variable name pattern with {{user}}")
    file: str | None = Field(default=None, description="YAML/JSON mapping user id -> key")
    table: bool = Field(
        default=False,
        description="the key stored for the user in serve's keys table (agentcore keys upstream set)",
    )
    fallback: bool = Field(default=True, description="use llm.apiKey when a user has no key")


class HttpProviderConfig(_Model):
    """An LLM API described as data; see docs/http-providers.md."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    api_key_env: str | None = Field(default=None, alias="apiKeyEnv")
    user_keys: HttpUserKeys | None = Field(default=None, alias="userKeys")
    auth: HttpAuthConfig | None = None
    chat: HttpChatConfig
    response: HttpResponseMapping = Field(default_factory=HttpResponseMapping)
    stream: HttpStreamConfig = Field(default_factory=HttpStreamConfig)
