"""Local tools: ``@tool`` functions loaded from Python files, exposed as the ``local`` tool source."""

from __future__ import annotations

import builtins
import hashlib
import importlib
import importlib.util
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from agentcore.errors import ConfigError
from agentcore.tools._threads import ToolThreads
from agentcore.tools.base import ToolOutput, ToolSpec
from agentcore.tools.decorator import LocalTool

if TYPE_CHECKING:
    from agentcore.config.schema import AgentConfig

__all__ = ["LocalToolSource", "load_local_tools"]

_MODULE_PREFIX = "agentcore_local_tools"


def load_local_tools(
    paths: Sequence[Path],
    *,
    missing_ok: bool = False,
    config_file: str | None = None,
) -> list[LocalTool[..., Any]]:
    """The tools defined in ``paths`` (``.py`` files, or folders of them), in load order.

    A folder contributes its ``*.py`` files not starting with ``_``, sorted by name. A missing path is
    a ``ConfigError`` (key ``localTools[i]``) unless ``missing_ok``; so is a module that fails to
    import and a tool name defined twice.
    """
    tools: list[LocalTool[..., Any]] = []
    for index, raw in enumerate(paths):
        path = Path(raw).expanduser()
        key = f"localTools[{index}]"
        if not path.exists():
            if missing_ok:
                continue
            raise ConfigError(
                f"local tools path not found: {path}",
                key_path=key,
                file=config_file,
                hint="create it or remove it from localTools",
            )
        if path.is_dir():
            files = sorted(p for p in path.glob("*.py") if not p.name.startswith("_") and p.is_file())
        elif path.suffix == ".py":
            files = [path]
        else:
            raise ConfigError(f"not a Python file or folder: {path}", key_path=key, file=config_file)
        for file in files:
            tools.extend(_module_tools(_import_file(file.resolve())))
    check_unique(tools)
    return tools


def check_unique(tools: Sequence[LocalTool[..., Any]]) -> None:
    """Raise ``ConfigError`` naming both definitions when two tools share a name."""
    seen: dict[str, LocalTool[..., Any]] = {}
    for item in tools:
        first = seen.setdefault(item.name, item)
        if first is not item:
            file, line = _split_location(item.defined_at)
            raise ConfigError(
                f"duplicate tool name '{item.name}': defined at {first.defined_at} and at {item.defined_at}",
                file=file,
                line=line,
                hint="rename one of them with @tool(name='...')",
            )


def _split_location(defined_at: str) -> tuple[str | None, int | None]:
    file, _, line = defined_at.rpartition(":")
    if file and line.isdigit():
        return file, int(line)
    return defined_at or None, None


def _module_name(path: Path) -> str:
    # Unique per file, stable across loads, and never a name user code could import by accident.
    digest = hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:10]
    stem = "".join(c if c.isalnum() else "_" for c in path.stem)
    return f"{_MODULE_PREFIX}_{stem}_{digest}"


def _import_file(path: Path) -> ModuleType:
    """Run the module at ``path`` under a private name; every failure is a ``ConfigError`` on ``path``.

    ``sys.path`` is never touched: threads importing at the same moment (the SDK client warming up)
    must not see a half-changed search path. Imports of the module's own neighbours
    (``from _helpers import x``) are resolved by a per-module ``__import__`` instead.
    """
    return _load(path, _module_name(path), path)


def _load(path: Path, name: str, tool_file: Path, *, package: bool = False) -> ModuleType:
    existing = sys.modules.get(name)
    if existing is not None and tool_file != path:
        return existing  # a helper already loaded for an earlier tool module of the folder
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=[str(path.parent)] if package else None
    )
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot load tool module {path}", file=str(tool_file))
    module = importlib.util.module_from_spec(spec)
    module.__dict__["__builtins__"] = _neighbour_builtins(path.parent if not package else path.parent.parent)
    # Registered before running: dataclasses, pydantic and pickling look the module up by name.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except ConfigError as exc:
        sys.modules.pop(name, None)
        if exc.file:
            raise
        file, line = _error_location(exc, tool_file)
        raise ConfigError(exc.message, key_path=exc.key_path, file=file, line=line, hint=exc.hint) from exc
    except KeyboardInterrupt:
        sys.modules.pop(name, None)
        raise
    except SystemExit as exc:
        sys.modules.pop(name, None)
        file, line = _error_location(exc, tool_file)
        raise ConfigError(
            f"the tool module called sys.exit({exc.code!r}) while loading",
            file=file,
            line=line,
            hint="tool modules must not exit; raise an exception or remove the call",
        ) from None
    except BaseException as exc:
        sys.modules.pop(name, None)
        file, line = _error_location(exc, tool_file)
        message = f"error while loading tool module: {type(exc).__name__}: {exc}"
        raise ConfigError(message, file=file, line=line) from exc
    return module


def _neighbour_builtins(folder: Path) -> dict[str, Any]:
    """Builtins for a tool module whose ``import x`` first looks for ``x.py`` / ``x/`` in ``folder``.

    Scoped to the tool's own modules (a copy of the builtins, not the process's ``__import__``).
    """
    real_import = builtins.__import__

    def neighbour_import(
        name: str,
        globals: Mapping[str, object] | None = None,
        locals: Mapping[str, object] | None = None,
        fromlist: Sequence[str] | None = (),
        level: int = 0,
    ) -> ModuleType:
        if level == 0:
            head, _, rest = name.partition(".")
            found = _neighbour(folder, head)
            if found is not None:
                top = _load(found[0], _module_name(found[0]), found[0], package=found[1])
                if not rest:
                    return top
                sub = importlib.import_module(f"{top.__name__}.{rest}")
                return sub if fromlist else top
        return real_import(name, globals, locals, fromlist or (), level)

    names = dict(vars(builtins))
    names["__import__"] = neighbour_import
    return names


def _neighbour(folder: Path, name: str) -> tuple[Path, bool] | None:
    """``folder/name.py`` (module) or ``folder/name/__init__.py`` (package), if there is one."""
    if not name.isidentifier():
        return None
    file = folder / f"{name}.py"
    if file.is_file():
        return file.resolve(), False
    init = folder / name / "__init__.py"
    if init.is_file():
        return init.resolve(), True
    return None


def _error_location(exc: BaseException, path: Path) -> tuple[str, int | None]:
    """Where in ``path`` the import failed (the innermost frame in that file)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return exc.filename, exc.lineno
    line: int | None = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename) == path:
            line = frame.lineno
    return str(path), line


def _module_tools(module: ModuleType) -> list[LocalTool[..., Any]]:
    found: list[LocalTool[..., Any]] = []
    for value in vars(module).values():
        # The same tool bound to two names (or re-exported) counts once.
        if isinstance(value, LocalTool) and not any(value is f for f in found):
            found.append(value)  # pyright: ignore[reportUnknownArgumentType]
    return found


class LocalToolSource:
    """The ``local`` tool source: tools passed in, plus those loaded from ``paths`` on ``start()``."""

    name: str = "local"

    def __init__(
        self,
        tools: Sequence[LocalTool[..., Any]] = (),
        paths: Sequence[Path] = (),
        *,
        missing_ok: bool = False,
        config_file: str | None = None,
        default_timeout: float | None = None,
        concurrency: int = 8,
    ) -> None:
        self._given = list(tools)
        # This source's own daemon threads for sync tools (see ``_threads``).
        self.threads = ToolThreads(concurrency, name="agentcore-tool")
        self._paths = list(paths)
        self._missing_ok = missing_ok
        self._config_file = config_file
        self.default_timeout = default_timeout
        self._tools: dict[str, LocalTool[..., Any]] = {}
        self._started = False
        check_unique(self._given)

    @classmethod
    def from_config(cls, config: AgentConfig, tools: Sequence[LocalTool[..., Any]] = ()) -> LocalToolSource:
        """The source for ``config.local_tools``; the default ``./tools`` may be missing, a configured path not.

        The implicit ``./tools`` applies only to a config read from a file: a config built in code
        (``AgentConfig(...)``) loads no tools it was not given."""
        implicit = "local_tools" not in config.model_fields_set
        paths = [] if implicit and config.source is None else config.local_tools
        return cls(
            tools,
            [config.resolve_path(p) for p in paths],
            missing_ok=implicit,
            config_file=str(config.source) if config.source else None,
            concurrency=config.tool_concurrency,
        )

    async def start(self) -> None:
        """Import the tool files (once)."""
        if self._started:
            return
        loaded = load_local_tools(self._paths, missing_ok=self._missing_ok, config_file=self._config_file)
        everything = [*self._given, *(t for t in loaded if all(t is not g for g in self._given))]
        check_unique(everything)
        self._tools = {t.name: t for t in everything}
        self._started = True

    @property
    def tools(self) -> list[LocalTool[..., Any]]:
        """The loaded tools (empty before ``start()``)."""
        return list(self._tools.values())

    async def list_tools(self) -> list[ToolSpec]:
        """One spec per tool, in load order."""
        return [t.spec() for t in self._tools.values()]

    def requires_approval(self, spec: ToolSpec) -> bool:
        """Whether the tool was declared with ``@tool(require_approval=True)``."""
        found = self._tools.get(spec.call_name)
        return found.require_approval if found else False

    def timeout_for(self, spec: ToolSpec) -> float | None:
        """The tool's own ``@tool(timeout=...)``, if it set one."""
        found = self._tools.get(spec.call_name)
        return found.timeout if found else None

    async def call(
        self,
        spec: ToolSpec,
        arguments: dict[str, Any],
        timeout: float,
    ) -> ToolOutput:
        """Validate and run the tool; exceptions (including ``InvalidArguments``) propagate."""
        found = self._tools.get(spec.call_name)
        if found is None:
            raise KeyError(f"no local tool named '{spec.call_name}'")
        return await found.run(arguments, threads=self.threads)

    async def close(self) -> None:
        """Nothing to release: sync tools still running are on daemon threads, which never delay exit."""
