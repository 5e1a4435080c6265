"""``agentcore config check`` and ``agentcore config schema``."""

from __future__ import annotations

import typer

from agentcore.cli._common import ConfigOpt

config_app = typer.Typer(
    help="Check cipher.yml or print its JSON schema.",
    no_args_is_help=True,
    add_completion=False,
)


@config_app.command("check")
def check(config: ConfigOpt = None) -> None:
    """Load and validate the config, then print it resolved, with secrets masked."""
    # Imported here so that building the CLI does not pay for pydantic and the schema.
    import yaml

    from agentcore._redact import redact_text
    from agentcore.config.loader import load_config
    from agentcore.errors import ConfigError

    try:
        loaded = load_config(config)
    except ConfigError as exc:
        typer.echo(redact_text(str(exc)), err=True)
        raise typer.Exit(exc.exit_code) from None
    typer.echo(f"config OK: {loaded.source}")
    typer.echo(yaml.safe_dump(loaded.masked(), sort_keys=False, allow_unicode=True).rstrip("\n"))


@config_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of cipher.yml (for editor completion)."""
    import json

    from agentcore.config.loader import config_json_schema

    typer.echo(json.dumps(config_json_schema(), indent=2))
