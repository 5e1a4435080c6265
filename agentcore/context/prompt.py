"""The system prompt: from ``systemPrompt`` (text or file) or ``prompts/*.md``, with variables.

Variables are ``{date}``, ``{time}``, ``{datetime}``, ``{weekday}``, ``{tools}`` (one line per
tool), ``{model}``, ``{provider}``, ``{cwd}`` and ``{session}``. Other braces are left alone, so
prompts may contain JSON examples.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentcore.config.schema import AgentConfig
    from agentcore.tools.base import ToolSpec

VARIABLES = ("date", "time", "datetime", "weekday", "tools", "model", "provider", "cwd", "session")
_PATTERN = re.compile(r"\{(" + "|".join(VARIABLES) + r")\}")


def load_system_prompt(config: AgentConfig) -> str | None:
    """``systemPrompt`` (text or file), else the ``prompts/*.md`` files next to cipher.yml, joined."""
    text = config.system_prompt_text()
    if text is not None:
        return text
    folder = config.base_dir / "prompts"
    if folder.is_dir():
        from agentcore.config._checks import read_text_file

        source = str(config.source) if config.source else None
        parts = [
            read_text_file(p, what="prompt file", key_path="systemPrompt", file=source).strip()
            for p in sorted(folder.glob("*.md"))
        ]
        joined = "\n\n".join(p for p in parts if p)
        return joined or None
    return None


def tool_list(specs: Sequence[ToolSpec]) -> str:
    """One line per tool: ``- name: first line of the description``."""
    if not specs:
        return "(no tools)"
    lines: list[str] = []
    for spec in specs:
        summary = spec.description.strip().splitlines()[0] if spec.description.strip() else ""
        lines.append(f"- {spec.name}: {summary}" if summary else f"- {spec.name}")
    return "\n".join(lines)


def has_variables(template: str | None) -> bool:
    """True when ``template`` uses any variable."""
    return bool(template) and _PATTERN.search(template or "") is not None


def render(
    template: str | None,
    *,
    tools: Sequence[ToolSpec] = (),
    extra: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> str | None:
    """``template`` with its variables filled in."""
    if not template or not has_variables(template):
        return template
    moment = now or datetime.now().astimezone()
    values: dict[str, str] = {
        "date": moment.strftime("%Y-%m-%d"),
        "time": moment.strftime("%H:%M"),
        "datetime": moment.isoformat(timespec="minutes"),
        "weekday": moment.strftime("%A"),
        "cwd": str(Path.cwd()),
        **(extra or {}),
    }

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "tools":
            return tool_list(tools)
        return values.get(name, match.group(0))

    return _PATTERN.sub(sub, template)
