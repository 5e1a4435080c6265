"""Audio input: sent as OpenAI ``input_audio`` parts, stored with the session, refused before sending
for models that take no audio."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from agentcore import Agent
from agentcore.errors import CapabilityError
from tests.cli.test_run_cli import run_cli
from tests.fakes import FakeAnthropic, FakeOpenAI
from tests.helpers import cli_config, openai_config
from tests.llm._family import anthropic_config

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 28
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb" + b"\x00" * 30


def audio_parts(body: dict[str, object]) -> list[dict[str, object]]:
    messages = body["messages"]
    assert isinstance(messages, list)
    parts: list[dict[str, object]] = []
    for msg in messages:
        content = msg["content"]  # type: ignore[index]
        if isinstance(content, list):
            parts += [p for p in content if p["type"] == "input_audio"]  # type: ignore[index]
    return parts


@pytest.mark.parametrize(("data", "fmt"), [(WAV, "wav"), (MP3, "mp3")])
async def test_audio_file_is_sent_as_input_audio(
    fake_openai: FakeOpenAI, tmp_path: Path, data: bytes, fmt: str
) -> None:
    path = tmp_path / f"question.{fmt}"
    path.write_bytes(data)
    fake_openai.reply_text("you asked about the weather")
    config = openai_config(fake_openai.url, tmp_path, model="gpt-4o-audio-preview")
    async with Agent(config) as agent:
        result = await agent.run("answer the recorded question", audio=str(path))
    assert result.text == "you asked about the weather"
    (part,) = audio_parts(fake_openai.requests[0].json)
    assert part == {
        "type": "input_audio",
        "input_audio": {"data": base64.b64encode(data).decode(), "format": fmt},
    }
    user = fake_openai.requests[0].json["messages"][-1]
    assert {"type": "text", "text": "answer the recorded question"} in user["content"]


async def test_audio_is_stored_with_the_session_and_sent_again(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'sessions.db'}"
    config = openai_config(fake_openai.url, tmp_path, model="gpt-4o-audio-preview")
    config.storage.url = db
    fake_openai.reply_text("first")
    fake_openai.reply_text("second")
    async with Agent(config) as agent:
        await agent.run("listen", audio=WAV, session="talk")
    async with Agent(config) as agent:  # a new agent reads the session back from the database
        await agent.run("and now?", session="talk")
    (again,) = audio_parts(fake_openai.requests[1].json)
    assert again["input_audio"] == {"data": base64.b64encode(WAV).decode(), "format": "wav"}


@pytest.mark.parametrize(
    "llm",
    [
        {"model": "gpt-4o-mini"},  # text-only: known no
        {"provider": "ollama", "model": "llama3.2:3b"},  # not known: no until the user says so
        {"provider": "ollama", "model": "qwen2.5:7b"},  # a text-only family
        {"model": "gpt-4o-audio-preview", "supportsAudio": False},
    ],
)
async def test_refused_before_anything_is_sent(
    fake_openai: FakeOpenAI, tmp_path: Path, llm: dict[str, object]
) -> None:
    async with Agent(openai_config(fake_openai.url, tmp_path, **llm)) as agent:
        with pytest.raises(CapabilityError) as info:
            await agent.run("listen", audio=WAV)
    assert "audio" in str(info.value) and str(llm["model"]) in str(info.value)
    assert fake_openai.requests == []


async def test_claude_takes_no_audio_even_when_configured(
    fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    async with Agent(anthropic_config(fake_anthropic.url, tmp_path, supportsAudio=True)) as agent:
        with pytest.raises(CapabilityError, match="takes no audio input"):
            await agent.run("listen", audio=WAV)
    assert fake_anthropic.requests == []


async def test_supports_audio_opens_an_unknown_model(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.reply_text("heard")
    config = openai_config(
        fake_openai.url, tmp_path, provider="lmstudio", model="my-omni-gguf", supportsAudio=True
    )
    async with Agent(config) as agent:
        await agent.run("listen", audio=MP3)
    assert len(audio_parts(fake_openai.requests[0].json)) == 1


async def test_not_audio_is_refused(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    path = tmp_path / "notes.m4a"
    path.write_bytes(b"\x00\x00\x00\x20ftypM4A ")
    async with Agent(openai_config(fake_openai.url, tmp_path, model="gpt-4o-audio-preview")) as agent:
        with pytest.raises(CapabilityError, match="not WAV or MP3"):
            await agent.run("listen", audio=str(path))
    assert fake_openai.requests == []


def test_run_audio_option(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    path = tmp_path / "q.wav"
    path.write_bytes(WAV)
    fake_openai.reply_text("done")
    config = cli_config(tmp_path, fake_openai.url, model="gpt-4o-audio-preview")
    proc = run_cli("run", "-c", str(config), "--audio", str(path), "what did I say?")
    assert proc.returncode == 0, proc.stderr
    assert "done" in proc.stdout
    assert len(audio_parts(fake_openai.requests[0].json)) == 1
    refused = cli_config(tmp_path, fake_openai.url, model="gpt-4o-mini")
    proc = run_cli("run", "-c", str(refused), "--audio", str(path), "what did I say?")
    assert proc.returncode != 0
    assert "does not take audio input" in proc.stderr and "Traceback" not in proc.stderr


def test_audio_counts_against_the_context_window() -> None:
    from agentcore.context.tokens import TokenCounter
    from agentcore.messages import AudioPart, InternalMessage

    counter = TokenCounter.for_model("gpt-4o-audio-preview")
    plain = counter.message(InternalMessage.user("listen"))
    minute = AudioPart(b"\x00" * 32_000 * 60, "wav")  # a minute of 16 kHz 16-bit mono
    assert counter.message(InternalMessage.user("listen", audio=(minute,))) - plain >= 600
