"""The one error hierarchy of agentcore.

Every error a user can cause says what was wrong, where, and how to fix it, in one line
(``str(err)``). The CLI prints that line and exits non-zero; it never shows a traceback for these.
"""

from __future__ import annotations

from dataclasses import dataclass


class AgentcoreError(Exception):
    """Base of every error agentcore raises on purpose."""

    exit_code: int = 1


class ConfigError(AgentcoreError):
    """The configuration is wrong: names the file, key path and line when they are known."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        key_path: str | None = None,
        file: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.key_path = key_path
        self.file = file
        self.line = line
        self.hint = hint
        # Further problems found in the same pass (``config check`` lists them all; ``run`` shows a count).
        self.others: list[ConfigError] = []
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "")
        if self.key_path:
            where = f"{where} {self.key_path}" if where else self.key_path
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return one_line(text)

    def problem_line(self) -> str:
        """This problem alone, in one line (without the count of the others)."""
        return self._render()

    def located(self, file: str | None, line: int | None) -> ConfigError:
        """This error with ``file``/``line`` filled in where it named none (same class, same others)."""
        if not file or (self.file and (self.file != file or self.line)):
            return self
        if self.key_path and self.key_path[0] in "-$":  # a flag or an env variable, not a config key
            return self
        copy = ConfigError(self.message, key_path=self.key_path, file=file, line=line, hint=self.hint)
        copy.__class__ = type(self)
        return copy.with_others(self.others)

    def with_others(self, others: list[ConfigError]) -> ConfigError:
        """This error carrying ``others``; its line ends with how many more there are."""
        self.others = list(others)
        if others:
            count = len(others)
            self.args = (f"{self._render()} (and {count} more problem{'s' if count > 1 else ''})",)
        return self

    def problems(self) -> list[ConfigError]:
        """This problem and every other one found with it."""
        return [self, *self.others]


class ConfigNotFound(ConfigError):
    """No cipher.yml was found in any of the usual places."""


class MissingExtraError(ConfigError):
    """A provider needs an optional dependency that is not installed."""

    def __init__(self, feature: str, extra: str, package: str) -> None:
        super().__init__(
            f"{feature} needs the '{package}' package",
            hint=f"install it with: pip install 'agentcore[{extra}]'",
        )
        self.extra = extra


class ProviderError(AgentcoreError):
    """An LLM provider request failed (after any retries)."""

    def __init__(
        self,
        reason: str,
        *,
        provider: str,
        model: str,
        status: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        attempts: int = 1,
    ) -> None:
        self.reason = reason
        self.provider = provider
        self.model = model
        self.status = status
        self.request_id = request_id
        self.retry_after = retry_after
        self.attempts = attempts
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [f"{self.provider} ({self.model})"]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        text = " ".join(parts) + f": {self.reason}"
        if self.request_id:
            text += f" [request {self.request_id}]"
        if self.attempts > 1:
            text += f" after {self.attempts} attempts"
        if self.retry_after is not None:
            text += f"; retry in {self.retry_after:.0f}s"
        return text


class AuthenticationError(ProviderError):
    """The provider refused the credentials (401/403)."""


class ContextLengthExceeded(ProviderError):
    """The rendered request does not fit the model's context window."""


class CapabilityError(AgentcoreError):
    """The request asks a provider or model for something it cannot do (e.g. images)."""


class ToolError(AgentcoreError):
    """A tool failed; inside the loop this becomes a tool result the model can read."""

    def __init__(self, tool: str, message: str) -> None:
        self.tool = tool
        super().__init__(f"tool '{tool}': {message}")


class LimitError(AgentcoreError):
    """A configured limit cannot be met (e.g. history cannot fit the token budget)."""


class StorageError(AgentcoreError):
    """The conversation or call-log database cannot be used."""


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """A one-line, redacted description of an error for results and logs."""

    type: str
    message: str


def describe(exc: BaseException) -> ErrorInfo:
    """Name and one-line message of ``exc`` with secrets redacted."""
    from agentcore._redact import redact_text

    return ErrorInfo(type(exc).__name__, redact_text(str(exc)).splitlines()[0] if str(exc) else "")


class AllTargetsFailed(ProviderError):
    """Every target of a routed profile failed (or is cooling down past the retry budget)."""

    def __init__(self, profile: str, failures: list[tuple[str, str]], *, attempts: int) -> None:
        self.profile = profile
        self.failures = failures
        listing = "; ".join(f"{name}: {error}" for name, error in failures)
        reason = f"all {len(failures)} targets of profile '{profile}' failed: {listing}"
        super().__init__(reason, provider="router", model=profile, attempts=attempts)

    def _render(self) -> str:
        text = self.reason
        if self.attempts > 1:
            text += f" (after {self.attempts} attempts)"
        return text


class IncompleteResponseError(ProviderError):
    """The provider's response ended before it was complete (a stream without its finish, a cut body)."""


class SessionBusy(StorageError):
    """Another turn (in this process or another) holds the session and the lock was not granted."""

    def __init__(self, session: str, reason: str) -> None:
        self.session = session
        super().__init__(f"session '{session}' is busy: {reason}")


class SessionNameInvalid(StorageError):
    """A session name that cannot be stored (too long, empty, NUL or undecodable bytes)."""

    exit_code = 2


def one_line(text: str) -> str:
    """``text`` as a single printable line: newlines, tabs and control characters become visible escapes."""
    if text.isprintable():
        return text
    out: list[str] = []
    for char in text:
        if char.isprintable():
            out.append(char)
        elif char in "\n\r\t":
            out.append(" ")
        else:
            out.append(char.encode("unicode_escape", "backslashreplace").decode("ascii"))
    return "".join(out)


class ModelRequestsForbidden(AgentcoreError):
    """A real model request was attempted while ``agentcore.testing`` forbids them."""


class OutputValidationError(AgentcoreError):
    """The model's structured output stayed invalid after ``llm.outputRetries`` re-asks."""
