"""Structured logging (structlog over stdlib ``logging``): pretty on a terminal, JSON lines to a file.

- Console (stderr, never stdout): coloured on a TTY, plain otherwise; quiet (warnings) by default.
- JSON file: ``--log-json FILE`` (sets ``$AGENTCORE_LOG_JSON``) or ``logging.jsonFile``; one object a line.
- Every line carries the call context (trace_id, session_id, module) and passes a redaction step
  (API keys, tokens, ``Authorization`` headers, URL passwords).
- The SDKs' and HTTP clients' loggers (openai, anthropic, mcp, httpx2, httpcore2) go through the
  same handlers and stay at WARNING unless ``$AGENTCORE_SDK_LOG_LEVEL`` says otherwise.
- Tracebacks are rendered without local variables (they can hold secrets).
- structlog (which loads ``rich``) is imported on the first record, not at start-up: a quiet
  one-shot ``agentcore run`` never pays for it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentcore._redact import MASK, is_secret_key, redact_mapping, redact_text

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
JSON_ENV = "AGENTCORE_LOG_JSON"
SDK_LOGGERS = ("openai", "anthropic", "mcp", "httpx2", "httpcore2", "httpx", "httpcore")
_OUR_LOGGERS = ("agentcore", *SDK_LOGGERS)
# What we configured: (level, json file); a one-slot list, so updating it needs no `global`.
_state: list[tuple[str, str | None] | None] = [None]
# The level floor of a structlog configuration not applied yet (structlog was not imported).
_pending: list[int | None] = [None]

if TYPE_CHECKING:
    from types import ModuleType


def _structlog() -> ModuleType:
    """structlog, with our deferred configuration applied on its first import by us."""
    import structlog

    floor = _pending[0]
    if floor is not None:
        _pending[0] = None
        if not structlog.is_configured():  # nobody configured it since: ours stands
            _configure_structlog(structlog, floor)
    return structlog


def _configured_elsewhere() -> bool:
    # Not imported: nobody configured it.
    module = sys.modules.get("structlog")
    return module is not None and bool(module.is_configured())


def add_call_context(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Add the trace, session and module of the current call context."""
    from agentcore.tracing.context import current

    ctx = current()
    if ctx.trace_id is not None:
        event.setdefault("trace_id", ctx.trace_id)
    if ctx.session_id is not None:
        event.setdefault("session_id", ctx.session_id)
    if ctx.module is not None:
        event.setdefault("module", ctx.module)
    return event


def redact_event(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Mask credential-named fields and anything secret-shaped in values."""
    for key, value in list(event.items()):
        if _is_token_count(key, value):
            continue  # prompt_tokens=12 is a count, not a credential
        if is_secret_key(key) and value not in (None, "") and key != "event":
            event[key] = MASK
        elif isinstance(value, str):
            event[key] = redact_text(value)
        elif isinstance(value, dict | list | tuple):
            # Wrapped so a "headers"/"env" field gets the same per-name rules as inside a mapping.
            event[key] = redact_mapping({key: value})[key]
    return event


def _is_token_count(key: str, value: object) -> bool:
    return type(value) is int and "token" in key.lower()


def _shared() -> list[Any]:
    return _shared_with(_structlog())


def _shared_with(structlog: Any) -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        add_call_context,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]


_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _safe_extra(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Fields named like ``LogRecord`` attributes (``module``) renamed: ``extra`` may not overwrite them."""
    for key in [k for k in event if k in _RECORD_FIELDS and k not in ("event", "exc_info", "stack_info")]:
        event[f"agentcore_{key}"] = event.pop(key)
    return event


class _GuestLogger:
    """structlog's API for agentcore's modules that never requires the process to configure structlog.

    When someone configured structlog (the CLI, the host application, ``structlog.testing``) the
    global configuration is used; otherwise each record goes to the stdlib logger of the same name as
    a plain ``logging`` record (fields in ``extra``, already redacted), so the host's own handlers and
    levels decide, instead of structlog's default of printing everything to stdout."""

    __slots__ = ("_global", "_name", "_own")

    def __init__(self, name: str) -> None:
        self._name = name
        self._global: Any = None
        self._own: Any = None

    def _target(self) -> Any:
        structlog = _structlog()
        if structlog.is_configured():
            if self._global is None:
                self._global = structlog.get_logger(self._name)
            return self._global
        if self._own is None:
            self._own = structlog.wrap_logger(
                logging.getLogger(self._name),
                processors=[
                    structlog.stdlib.filter_by_level,
                    structlog.contextvars.merge_contextvars,
                    add_call_context,
                    redact_event,
                    _safe_extra,
                    structlog.stdlib.render_to_log_kwargs,
                ],
                wrapper_class=structlog.stdlib.BoundLogger,
            )
        return self._own

    def __getattr__(self, item: str) -> Any:
        return getattr(self._target(), item)


def get_logger(name: str) -> Any:
    """agentcore's logger for ``name`` (see ``_GuestLogger``)."""
    return _GuestLogger(name)


def configure_logging(
    level: str = "warning", json_file: str | Path | None = None, *, key_path: str = "logging.jsonFile"
) -> None:
    """Console logs at ``level`` on stderr; JSON lines (info and up) to ``json_file`` when given.

    A JSON file that cannot be written is a ``ConfigError`` naming ``key_path`` (nothing is changed).
    """
    numeric = _LEVELS.get(level, logging.WARNING)
    handlers: list[logging.Handler] = []
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(numeric)
    console.setFormatter(_LazyFormatter(_console_formatter))
    handlers.append(console)
    floor = numeric
    if json_file is not None:
        from agentcore.config._checks import check_writable_file

        path = Path(json_file).expanduser()
        check_writable_file(path, what="JSON log file", key_path=key_path)
        try:
            file_handler = logging.FileHandler(path, encoding="utf-8")
        except OSError as exc:  # e.g. replaced by a folder since the check
            from agentcore.errors import ConfigError

            raise ConfigError(
                f"cannot write the JSON log file {path}: {exc.strerror}", key_path=key_path
            ) from None
        file_level = min(numeric, logging.INFO)
        file_handler.setLevel(file_level)
        floor = min(floor, file_level)
        file_handler.setFormatter(_LazyFormatter(_json_formatter))
        handlers.append(file_handler)
    sdk_level = _LEVELS.get(os.environ.get("AGENTCORE_SDK_LOG_LEVEL", "warning"), logging.WARNING)
    for name in _OUR_LOGGERS:
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            if getattr(old, "_agentcore", False):
                logger.removeHandler(old)
                old.close()
        for handler in handlers:
            handler._agentcore = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(floor if name == "agentcore" else max(sdk_level, floor))
    if "structlog" in sys.modules:
        _pending[0] = None
        _configure_structlog(sys.modules["structlog"], floor)
    else:
        _pending[0] = floor
    _state[0] = (level, str(json_file) if json_file is not None else None)


def _configure_structlog(structlog: Any, floor: int) -> None:
    shared = _shared_with(structlog)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(floor),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )


class _LazyFormatter(logging.Formatter):
    """A formatter built (structlog imported) when the first record is formatted."""

    def __init__(self, build: Any) -> None:
        super().__init__()
        self._build = build
        self._real: logging.Formatter | None = None

    def format(self, record: logging.LogRecord) -> str:
        real = self._real
        if real is None:
            real = self._real = self._build()
        return real.format(record)


def _console_formatter() -> logging.Formatter:
    structlog = _structlog()
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redact_event,
            structlog.dev.ConsoleRenderer(
                colors=sys.stderr.isatty() and "NO_COLOR" not in os.environ,
                exception_formatter=structlog.dev.plain_traceback,  # no locals
            ),
        ],
    )


def _json_formatter() -> logging.Formatter:
    structlog = _structlog()
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,  # a plain string, no locals
            redact_event,
            structlog.processors.JSONRenderer(ensure_ascii=False, default=str),
        ],
    )


def ensure_logging(level: str = "warning", json_file: str | Path | None = None) -> None:
    """Configure logging unless the application configured structlog itself.

    ``$AGENTCORE_LOG_JSON`` (set by ``--log-json``) wins over ``json_file``.
    """
    from_env = os.environ.get(JSON_ENV)
    key_path = "--log-json" if from_env else "logging.jsonFile"
    json_file = from_env or json_file
    if _state[0] is None and _configured_elsewhere():
        return  # the embedding application owns logging
    wanted = (level, str(json_file) if json_file is not None else None)
    if _state[0] != wanted:
        configure_logging(level, json_file, key_path=key_path)
