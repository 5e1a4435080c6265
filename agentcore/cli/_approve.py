"""Approvals in the terminal: ``run`` denies unless ``--yes``; ``chat`` asks yes / no / always."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any, cast

from agentcore.cli._common import fail
from agentcore.llm.output import JsonSchema
from agentcore.tools.context import ApprovalRequest, Approver


def run_approver(yes: bool) -> Approver:
    """``agentcore run``: nobody is there to ask, so ``--yes`` decides."""

    def decide(request: ApprovalRequest) -> bool | str:
        if yes:
            return True
        sys.stderr.write(f"denied {request.call.name}: it needs approval (run with --yes to allow)\n")
        return "it needs approval and `agentcore run` was not given --yes"

    return decide


class ChatApprover:
    """Shows the call with its arguments and reads y (yes) / n (no) / a (always, this session)."""

    def __init__(self) -> None:
        self.always: set[str] = set()
        self._lock = asyncio.Lock()  # concurrent calls ask one at a time

    async def __call__(self, request: ApprovalRequest) -> bool | str:
        name = request.call.name
        if name in self.always:
            return True
        async with self._lock:
            args = json.dumps(request.arguments, ensure_ascii=False)
            sys.stdout.write(f"\n? {name}({args}) from {request.source} - allow? [y]es / [n]o / [a]lways: ")
            sys.stdout.flush()
            line = await asyncio.to_thread(sys.stdin.readline)
        answer = line.strip().lower()
        if answer in ("a", "always"):
            self.always.add(name)
            return True
        if answer in ("y", "yes"):
            return True
        return "the user said no"


def schema_output(path: Path) -> JsonSchema:
    """The JSON schema in ``path`` as a structured-output request; a bad file is a one-line error."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"--schema {path}: {exc.strerror}", 2)
    except json.JSONDecodeError as exc:
        fail(f"--schema {path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})", 2)
    if not isinstance(data, dict):
        fail(f"--schema {path}: a JSON schema is an object", 2)
    return JsonSchema(cast(dict[str, Any], data), path.stem)
