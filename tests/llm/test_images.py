"""Image input on both families: file path, bytes and URL; refused before sending when unsupported."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentcore import Agent
from agentcore.errors import CapabilityError
from agentcore.llm._capabilities import model_accepts_images
from tests.fakes import FakeAnthropic, FakeOpenAI
from tests.helpers import cli_config
from tests.llm._family import config_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 13
B64 = base64.b64encode(PNG).decode()
URL = "https://example.test/cat.jpg"


@pytest.fixture(params=["openai", "anthropic"])
def fake(request: pytest.FixtureRequest) -> FakeOpenAI | FakeAnthropic:
    name: str = request.param
    return request.getfixturevalue(f"fake_{name}")


def image_of(fake: FakeOpenAI | FakeAnthropic) -> dict[str, Any]:
    """The image part of the last user message, in the provider's own shape."""
    content = fake.requests[0].json["messages"][-1]["content"]
    kind = "image" if isinstance(fake, FakeAnthropic) else "image_url"
    (part,) = [p for p in content if p["type"] == kind]
    assert any(p["type"] == "text" and p["text"] == "what is this?" for p in content)
    return part


@pytest.mark.parametrize("source", ["path", "bytes"])
async def test_inline_image(fake: FakeOpenAI | FakeAnthropic, tmp_path: Path, source: str) -> None:
    path = tmp_path / "chart.png"
    path.write_bytes(PNG)
    image: str | bytes = str(path) if source == "path" else PNG
    async with Agent(config_for(fake, tmp_path)) as agent:
        await agent.run("what is this?", image=image)
    part = image_of(fake)
    if isinstance(fake, FakeAnthropic):
        assert part["source"] == {"type": "base64", "media_type": "image/png", "data": B64}
    else:
        assert part["image_url"]["url"] == f"data:image/png;base64,{B64}"


async def test_url_image(fake: FakeOpenAI | FakeAnthropic, tmp_path: Path) -> None:
    async with Agent(config_for(fake, tmp_path)) as agent:
        await agent.service.generate("what is this?", image=URL)
    part = image_of(fake)
    if isinstance(fake, FakeAnthropic):
        assert part["source"] == {"type": "url", "url": URL}
    else:
        assert part["image_url"]["url"] == URL


@pytest.mark.parametrize(
    ("family", "llm"),
    [
        ("openai", {"provider": "deepseek", "model": "deepseek-chat"}),
        ("openai", {"model": "gpt-3.5-turbo"}),
        ("openai", {"model": "gpt-4o", "supportsImages": False}),
        ("anthropic", {"model": "claude-2.1"}),
    ],
)
async def test_unsupported_images_fail_before_any_request(
    fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic, tmp_path: Path, family: str, llm: dict[str, Any]
) -> None:
    fake = fake_openai if family == "openai" else fake_anthropic
    async with Agent(config_for(fake, tmp_path, **llm)) as agent:
        with pytest.raises(CapabilityError) as info:
            await agent.run("what is this?", image=PNG)
        assert "llm.supportsImages" in str(info.value) and llm["model"] in str(info.value)
        with pytest.raises(CapabilityError):
            [e async for e in agent.stream("and this?", image=URL)]
        assert agent.context.messages == []  # nothing half-added to the history
    assert fake.requests == []


async def test_override_allows_a_model_we_think_is_text_only(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    config = config_for(fake_openai, tmp_path, provider="deepseek", model="deepseek-vl2", supportsImages=True)
    async with Agent(config) as agent:
        await agent.run("what is this?", image=PNG)
    assert image_of(fake_openai)["type"] == "image_url"


def test_capability_table() -> None:
    assert model_accepts_images("openai", "gpt-4o-mini")
    assert model_accepts_images("ollama", "llava")  # local servers decide for themselves
    assert model_accepts_images("qwen", "qwen-vl-max") and not model_accepts_images("qwen", "qwen-max")
    assert model_accepts_images("aws", "anthropic.claude-3-5-sonnet-20240620-v1:0")
    assert not model_accepts_images("aws", "anthropic.claude-instant-v1")


def test_missing_image_file_is_a_clear_error(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    agent = Agent(config_for(fake_openai, tmp_path))
    with pytest.raises(CapabilityError, match="image file not found"):
        agent.run_sync("what is this?", image=str(tmp_path / "missing.png"))
    assert fake_openai.requests == []


def test_run_image_flag(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    path = tmp_path / "chart.png"
    path.write_bytes(PNG)
    fake_openai.reply_text("A chart.")
    agentcore = str(Path(sys.executable).parent / "agentcore")
    proc = subprocess.run(
        [
            agentcore,
            "run",
            "-c",
            str(cli_config(tmp_path, fake_openai.url)),
            "--image",
            str(path),
            "what is this?",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "A chart."
    assert image_of(fake_openai)["image_url"]["url"] == f"data:image/png;base64,{B64}"
