"""``agentcore config check`` and ``agentcore config schema``."""

from __future__ import annotations

from typing import Annotated

import typer

from agentcore.cli._common import ConfigOpt

config_app = typer.Typer(
    help="Check cipher.yml or print its JSON schema.",
    no_args_is_help=True,
    add_completion=False,
)


@config_app.command("check")
def check(
    config: ConfigOpt = None,
    online: Annotated[
        bool, typer.Option("--online", help="also send one tiny request to check that the provider answers")
    ] = False,
) -> None:
    """Check everything `run` checks (plus local tools), list every problem, or print the resolved config."""
    # Imported here so that building the CLI does not pay for pydantic and the schema.
    import yaml

    from agentcore._redact import redact_text
    from agentcore.cli._common import EXIT_USAGE, user_errors
    from agentcore.config.check import check_config
    from agentcore.errors import one_line

    with user_errors():
        report = check_config(config, online=online)
    if report.problems:
        for problem in report.problems:
            typer.echo(one_line(redact_text(problem.problem_line())), err=True)
        if len(report.problems) > 1:
            typer.echo(f"{len(report.problems)} problems found", err=True)
        raise typer.Exit(EXIT_USAGE)
    assert report.config is not None
    typer.echo(f"config OK: {report.config.source}")
    for note in report.notes:
        typer.echo(note)
    typer.echo(yaml.safe_dump(report.config.masked(), sort_keys=False, allow_unicode=True).rstrip("\n"))


@config_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of cipher.yml (for editor completion)."""
    import json

    from agentcore.config.loader import config_json_schema

    typer.echo(json.dumps(config_json_schema(), indent=2))
