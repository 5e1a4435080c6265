"""``python -m agentcore``."""

from agentcore.cli.app import main

main()
