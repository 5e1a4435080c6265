"""``agentcore run``: one prompt, the answer printed as it arrives (or as JSON)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from agentcore.cli._common import Choice, user_errors
from agentcore.cli._onboard import load_or_fallback
from agentcore.cli._render import EventPrinter
from agentcore.config.check import locate
from agentcore.errors import ConfigError

EXIT_LIMIT = 3


async def _run(
    config: Path | None,
    flags: dict[str, Any],
    text: str,
    json_out: bool,
    image: Path | None,
    session: str | None = None,
    cont: bool = False,
    choice: Choice = (None, None),
    cache: bool = True,
    schema: Path | None = None,
    yes: bool = False,
    audio: Path | None = None,
    stream: bool = True,
) -> int:
    from agentcore.cli._approve import run_approver, schema_output

    output = schema_output(schema) if schema is not None else None
    agent = load_or_fallback(config, flags, choice)
    agent.approve = run_approver(yes)
    sound = str(audio) if audio else None
    try:
        if cont:
            last = await agent.sessions.last("run")
            session = last.name if last else None  # nothing to continue: start one
        session = session or agent.sessions.new_name("run")
        agent.session(session, kind="run")
        if output is not None:
            result = await agent.run(
                text,
                image=str(image) if image else None,
                audio=sound,
                session=session,
                output_type=output,
                cache=cache,
            )
            sys.stdout.write(json.dumps(result.output, ensure_ascii=False, indent=2) + "\n")
            return EXIT_LIMIT if result.stop_reason == "max_iterations" else 0
        if json_out:
            result = await agent.run(
                text, image=str(image) if image else None, audio=sound, session=session, cache=cache
            )
            sys.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n")
            return EXIT_LIMIT if result.stop_reason == "max_iterations" else 0
        if not stream:
            result = await agent.run(text, image=str(image) if image else None, session=session, cache=cache)
            sys.stdout.write(result.text + ("" if result.text.endswith("\n") else "\n"))
            if result.stop_reason == "max_iterations":
                sys.stderr.write(f"stopped: {result.iterations} iterations (llm.maxIterations)\n")
            return EXIT_LIMIT if result.stop_reason == "max_iterations" else 0
        printer = EventPrinter()
        async for event in agent.stream(
            text, image=str(image) if image else None, audio=sound, session=session, cache=cache
        ):
            printer(event)
        printer.finish()
        return EXIT_LIMIT if printer.limit is not None else 0
    except ConfigError as exc:  # found while starting (local tools): point at the config's line
        raise locate(exc, agent.config) from None
    finally:
        await agent.close()


def run_once(
    config: Path | None,
    flags: dict[str, Any],
    text: str,
    *,
    json_out: bool,
    image: Path | None,
    session: str | None = None,
    cont: bool = False,
    choice: Choice = (None, None),
    cache: bool = True,
    schema: Path | None = None,
    yes: bool = False,
    audio: Path | None = None,
    stream: bool = True,
) -> int:
    """Run ``text`` and return the process exit code (3 when the iteration limit stopped the run)."""
    from agentcore.cli._signals import TerminateAsInterrupt

    with user_errors(), TerminateAsInterrupt() as stop:
        try:
            return asyncio.run(
                _run(
                    config,
                    flags,
                    text,
                    json_out,
                    image,
                    session,
                    cont,
                    choice,
                    cache,
                    schema,
                    yes,
                    audio,
                    stream,
                )
            )
        except KeyboardInterrupt:
            sys.stderr.write("cancelled\n")
            return stop.exit_code if stop.signum else 130
