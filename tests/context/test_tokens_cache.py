"""The parsed BPE table is cached so later processes start faster, and a bad cache is never trusted."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentcore.context import tokens


def test_ranks_are_cached_and_a_corrupt_cache_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTCORE_HOME", str(tmp_path))
    parsed = tokens._ranks("cl100k_base")
    [cached] = (tmp_path / "cache").glob("cl100k_base-*.marshal")
    assert tokens._ranks("cl100k_base") == parsed  # served from the cache file
    cached.write_bytes(b"\x00not marshal")
    assert tokens._ranks("cl100k_base") == parsed  # re-parsed, and the cache rewritten
    assert cached.read_bytes() != b"\x00not marshal"
    assert len(parsed) > 100_000 and parsed[b"hello"] == 15339


def test_read_only_home_still_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.write_text("a file where the folder should be", encoding="utf-8")  # mkdir fails
    monkeypatch.setenv("AGENTCORE_HOME", str(home))
    assert tokens._ranks("cl100k_base")[b"hello"] == 15339
