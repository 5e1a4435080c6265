"""Everything ``config check`` verifies, built from the same functions ``run`` uses at start-up.

``check_config`` reports every problem it finds (not only the first); ``preflight`` is the part of it
``run`` does before building the agent, raising the first problem with the others attached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentcore.config._checks import check_storage_target, check_writable_file
from agentcore.config.schema import AgentConfig
from agentcore.errors import AgentcoreError, ConfigError

ONLINE_TIMEOUT = 20.0


@dataclass
class CheckReport:
    """The outcome of ``config check``: the config when it loaded, and every problem found."""

    config: AgentConfig | None
    problems: list[ConfigError] = field(default_factory=list[ConfigError])
    notes: list[str] = field(default_factory=list[str])


def locate(error: ConfigError, config: AgentConfig) -> ConfigError:
    """``error`` naming the config file and the line of its key when it named no file."""
    return error.located(str(config.source) if config.source else None, config.line_of(error.key_path))


def check_config(
    path: str | Path | None, *, overrides: dict[str, Any] | None = None, online: bool = False
) -> CheckReport:
    """Load ``path`` and check everything ``run`` would, plus the local tools (and, ``online``, the provider)."""
    from agentcore.config.loader import load_config

    try:
        config = load_config(path, overrides=overrides)
    except ConfigError as exc:
        return CheckReport(None, exc.problems())
    report = CheckReport(config)
    for check in (*START_CHECKS, check_providers, check_local_tools):
        report.problems.extend(_problems(check, config))
    if online and not report.problems:
        import asyncio

        try:
            report.notes.append(asyncio.run(check_online(config)))
        except ConfigError as exc:
            report.problems.append(locate(exc, config))
    return report


def preflight(config: AgentConfig) -> None:
    """The start-up checks ``run`` and ``chat`` make before building the agent; raises the first problem."""
    problems = [p for check in START_CHECKS for p in _problems(check, config)]
    if problems:
        raise problems[0].with_others(problems[1:])


def _problems(check: Callable[[AgentConfig], None], config: AgentConfig) -> list[ConfigError]:
    try:
        check(config)
    except ConfigError as exc:
        return [locate(p, config) for p in exc.problems()]
    return []


# ---- the checks ---------------------------------------------------------------------------------


def check_system_prompt(config: AgentConfig) -> None:
    """The system prompt (text, file or prompts/*.md) can be read as text."""
    from agentcore.context.prompt import load_system_prompt

    load_system_prompt(config)


def check_log_file(config: AgentConfig) -> None:
    """``logging.jsonFile`` can be written."""
    if config.logging.json_file is not None:
        path = config.resolve_path(config.logging.json_file)
        check_writable_file(path, what="JSON log file", key_path="logging.jsonFile")


def check_storage(config: AgentConfig) -> None:
    """``storage.url`` (or ``$AGENTCORE_DB_URL``) names a database that can work."""
    import os

    if config.storage.url:
        check_storage_target(config.storage.url, key_path="storage.url")
    elif os.environ.get("AGENTCORE_DB_URL"):
        check_storage_target(os.environ["AGENTCORE_DB_URL"], key_path="$AGENTCORE_DB_URL")


def check_providers(config: AgentConfig) -> None:
    """Every model the config can send to (``llm:`` and each profile's targets) can be set up:
    the provider is known, its SDK is installed and it has its key. Each problem is reported."""
    from agentcore.llm.factory import create_provider, profile_names, resolve_targets

    problems: list[ConfigError] = []
    seen: set[str] = set()
    for profile in profile_names(config):
        try:
            targets = resolve_targets(config, profile)
        except ConfigError as exc:
            problems.append(exc)
            continue
        for name, llm in targets:
            if name in seen:
                continue
            seen.add(name)
            try:
                create_provider(llm)
            except ConfigError as exc:
                if llm is not config.llm and exc.key_path and exc.key_path.startswith("llm."):
                    exc = ConfigError(
                        f"{exc.message} (model '{name}' of profile '{profile}')",
                        key_path=f"profiles.{profile}",
                        hint=exc.hint,
                    )
                problems.append(exc)
    if problems:
        raise problems[0].with_others(problems[1:])


def check_local_tools(config: AgentConfig) -> None:
    """Every configured local tools path loads (the same loader ``run`` uses), each one reported."""
    from agentcore.tools.local import load_local_tools

    missing_ok = "local_tools" not in config.model_fields_set
    source = str(config.source) if config.source else None
    problems: list[ConfigError] = []
    loaded: list[Any] = []
    for index, raw in enumerate(config.local_tools):
        try:
            tools = load_local_tools([config.resolve_path(raw)], missing_ok=missing_ok, config_file=source)
        except ConfigError as exc:
            problems.append(_renumbered(exc, index))
            continue
        except (Exception, SystemExit) as exc:  # a module the loader could not contain
            problems.append(
                ConfigError(
                    f"loading the tools failed: {type(exc).__name__}: {exc}",
                    key_path=f"localTools[{index}]",
                    file=source,
                )
            )
            continue
        loaded.extend(tools)
    if not problems and loaded:
        from agentcore.tools.local import check_unique

        check_unique(loaded)
    if problems:
        raise problems[0].with_others(problems[1:])


def _renumbered(error: ConfigError, index: int) -> ConfigError:
    # Each path is loaded on its own, so the loader calls it localTools[0]; give it its real index.
    if error.key_path == "localTools[0]" and index:
        error = ConfigError(
            error.message, key_path=f"localTools[{index}]", file=error.file, line=error.line, hint=error.hint
        )
    return error


async def check_online(config: AgentConfig) -> str:
    """Send one tiny request (no retries, short timeout); a failure is a ``ConfigError`` on ``llm``."""
    from agentcore.llm.factory import create_llm_service

    llm = config.llm.model_copy(
        update={"max_retries": 0, "max_tokens": 8, "timeout": min(config.llm.timeout, ONLINE_TIMEOUT)}
    )
    llm.retry = llm.retry.model_copy(update={"attempts": 1})
    service = create_llm_service(llm)
    try:
        await service.direct_generate("Reply with: ok")
    except AgentcoreError as exc:
        from agentcore._redact import redact_text

        raise ConfigError(
            f"{config.llm.provider} did not answer a test request: {redact_text(str(exc))}",
            key_path="llm",
            hint="check llm.apiKey, llm.baseURL and llm.model",
        ) from None
    finally:
        await service.aclose()
    return f"{config.llm.provider} ({config.llm.model}) answered a test request"


# What run checks before it builds the agent; the agent itself reads the same things again. The
# provider is checked by building the agent (for the profile or model chosen on the command line).
START_CHECKS: tuple[Callable[[AgentConfig], None], ...] = (
    check_system_prompt,
    check_log_file,
    check_storage,
)
