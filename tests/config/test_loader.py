"""cipher.yml loading: where it is found, env expansion, and the one-line errors users see."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentcore._redact import redact_text
from agentcore.config.loader import config_json_schema, find_config, load_config, load_config_from_dict
from agentcore.errors import ConfigError

MINIMAL = "llm:\n  provider: openai\n  model: gpt-4o-mini\n"


def write(folder: Path, text: str, name: str = "cipher.yml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """An empty working folder and an empty home, with no $AGENTCORE_CONFIG."""
    cwd, home = tmp_path / "work", tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("AGENTCORE_CONFIG", raising=False)
    return cwd, home


# --- lookup order ---------------------------------------------------------------------------


def test_lookup_prefers_explicit_then_env_then_cwd_then_home(
    places: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd, home = places
    home_file = write(home / ".config" / "agentcore", MINIMAL)
    assert find_config(None) == home_file

    cwd_file = write(cwd, MINIMAL)
    assert find_config(None).resolve() == cwd_file.resolve()

    env_file = write(tmp_path / "from-env", MINIMAL)
    monkeypatch.setenv("AGENTCORE_CONFIG", str(env_file))
    assert find_config(None) == env_file

    explicit = write(tmp_path / "explicit", MINIMAL)
    assert find_config(explicit) == explicit
    assert find_config(str(explicit)) == explicit


def test_nothing_found_lists_the_places_and_how_to_fix(places: tuple[Path, Path]) -> None:
    cwd, home = places
    with pytest.raises(ConfigError) as info:
        find_config(None)
    text = str(info.value)
    assert str(cwd / "cipher.yml") in text
    assert str(home / ".config" / "agentcore" / "cipher.yml") in text
    assert "AGENTCORE_CONFIG" in text
    assert "--config" in text
    assert "copy the example cipher.yml" in text


def test_explicit_path_that_does_not_exist_is_named(places: tuple[Path, Path], tmp_path: Path) -> None:
    write(places[0], MINIMAL)  # a valid ./cipher.yml must not be used instead
    missing = tmp_path / "nope" / "cipher.yml"
    with pytest.raises(ConfigError, match="does not exist") as info:
        find_config(missing)
    assert str(missing) in str(info.value)


def test_env_var_path_that_does_not_exist_is_named(
    places: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTCORE_CONFIG", "/no/such/cipher.yml")
    with pytest.raises(ConfigError, match=r"AGENTCORE_CONFIG.*/no/such/cipher\.yml"):
        find_config(None)


def test_load_sets_base_dir_and_source(tmp_path: Path) -> None:
    path = write(tmp_path / "proj", MINIMAL)
    config = load_config(path)
    assert config.llm.provider == "openai"
    assert config.llm.model == "gpt-4o-mini"
    assert config.base_dir == path.parent.resolve()
    assert config.source == path.resolve()


# --- environment expansion ------------------------------------------------------------------


def test_env_expansion_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AC_MODEL", "gpt-4o")
    monkeypatch.setenv("AC_HOST", "example.test")
    monkeypatch.setenv("AC_EMPTY", "")
    monkeypatch.delenv("AC_UNSET", raising=False)
    path = write(
        tmp_path,
        "llm:\n"
        "  provider: openai\n"
        "  model: $AC_MODEL\n"
        "  baseURL: https://${AC_HOST}/v1\n"
        "  headers:\n"
        "    X-Price: $$5 and $$AC_MODEL\n"
        "    X-Default: ${AC_UNSET:-fallback}\n"
        "    X-Empty: ${AC_EMPTY:-used-when-empty}\n"
        "    X-Nested: ${AC_UNSET:-${AC_HOST}}\n"
        "mcpServers:\n"
        "  fs:\n"
        "    command: npx\n"
        "    args: [--root, '${AC_UNSET:-/data}/files']\n",
    )
    config = load_config(path)
    assert config.llm.model == "gpt-4o"
    assert config.llm.base_url == "https://example.test/v1"
    assert config.llm.headers == {
        "X-Price": "$5 and $AC_MODEL",
        "X-Default": "fallback",
        "X-Empty": "used-when-empty",
        "X-Nested": "example.test",
    }
    assert config.mcp_servers["fs"].args == ["--root", "/data/files"]


def test_env_values_are_not_expanded_in_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AC_NAME", "renamed")
    path = write(tmp_path, MINIMAL + "mcpServers:\n  $AC_NAME:\n    command: x\n")
    assert list(load_config(path).mcp_servers) == ["$AC_NAME"]


def test_unset_variable_names_variable_key_path_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AC_MISSING_KEY", raising=False)
    path = write(
        tmp_path,
        MINIMAL
        + "mcpServers:\n  gh:\n    command: gh-mcp\n    env:\n      GITHUB_TOKEN: ${AC_MISSING_KEY}\n",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    err = info.value
    assert err.line == 8
    assert err.key_path == "mcpServers.gh.env.GITHUB_TOKEN"
    text = str(err)
    assert f"{path}:8 mcpServers.gh.env.GITHUB_TOKEN" in text
    assert "AC_MISSING_KEY" in text
    assert "set it in the environment or use ${AC_MISSING_KEY:-default}" in text


def test_unset_variable_inside_a_list_names_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AC_NOPE", raising=False)
    path = write(
        tmp_path, MINIMAL + "mcpServers:\n  fs:\n    command: x\n    args:\n      - ok\n      - $AC_NOPE\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.key_path == "mcpServers.fs.args[1]"
    assert info.value.line == 9


# --- validation errors ----------------------------------------------------------------------


def error_for(tmp_path: Path, text: str) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "\n" not in str(info.value)
    return info.value


def test_unknown_key_suggests_the_right_one_with_its_line(tmp_path: Path) -> None:
    err = error_for(tmp_path, "llm:\n  provider: openai\n  modle: gpt-4o\n")
    assert err.line == 3
    assert err.key_path == "llm.modle"
    assert "unknown key 'modle'" in str(err)
    assert "did you mean 'model'?" in str(err)
    # The missing 'model' is the same mistake, so it is not counted as another problem.
    assert "more problem" not in str(err)


def test_unknown_key_in_a_union_branch(tmp_path: Path) -> None:
    err = error_for(tmp_path, MINIMAL + "systemPrompt:\n  fil: prompt.md\n")
    assert err.key_path == "systemPrompt.fil"
    assert err.line == 5
    assert "did you mean 'file'?" in str(err)


def test_wrong_type_names_the_key_path_in_camel_case(tmp_path: Path) -> None:
    err = error_for(tmp_path, MINIMAL + "  maxTokens: lots\n")
    assert err.key_path == "llm.maxTokens"
    assert err.line == 4
    assert "expected a whole number, got 'lots'" in str(err)


def test_wrong_type_in_a_list_names_the_index(tmp_path: Path) -> None:
    err = error_for(
        tmp_path, MINIMAL + "mcpServers:\n  fs:\n    command: x\n    args:\n      - a\n      - 5\n"
    )
    assert err.key_path == "mcpServers.fs.args[1]"
    assert err.line == 9


def test_bad_provider_suggests_and_lists_valid_ones(tmp_path: Path) -> None:
    err = error_for(tmp_path, "llm:\n  provider: opnai\n  model: gpt-4o\n")
    text = str(err)
    assert err.key_path == "llm.provider"
    assert err.line == 2
    assert "unknown provider 'opnai'" in text
    assert "did you mean 'openai'?" in text
    assert "anthropic" in text and "ollama" in text


def test_missing_required_key_points_at_its_parent(tmp_path: Path) -> None:
    err = error_for(tmp_path, "# comment\nllm:\n  provider: openai\n")
    assert "missing required key 'model'" in str(err)
    assert err.key_path == "llm.model"
    assert err.line == 2


def test_several_problems_report_the_first_and_count_the_rest(tmp_path: Path) -> None:
    err = error_for(tmp_path, "llm:\n  provider: openai\n  model: x\n  timeout: soon\n  maxRetries: many\n")
    assert err.key_path == "llm.timeout"
    assert "and 1 more problem" in str(err)


def test_yaml_syntax_error_has_the_line(tmp_path: Path) -> None:
    err = error_for(tmp_path, "llm:\n  provider: openai\n   model: gpt\n")
    assert err.line == 3
    assert "invalid YAML" in str(err)


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    err = error_for(tmp_path, MINIMAL + "  model: other\n")
    assert err.line == 4
    assert "duplicate key 'model'" in str(err)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "empty"), ("# only a comment\n", "empty"), ("- a\n- b\n", "mapping"), ("just text\n", "mapping")],
)
def test_empty_or_non_mapping_file(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in str(error_for(tmp_path, text))


def test_loader_owned_fields_cannot_be_set_in_the_file(tmp_path: Path) -> None:
    err = error_for(tmp_path, MINIMAL + "base_dir: /etc\n")
    assert "unknown key 'base_dir'" in str(err)


def test_secret_values_do_not_leak_into_error_messages(tmp_path: Path) -> None:
    err = error_for(tmp_path, MINIMAL + "  timeout: sk-proj-abcdefghijklmnop\n")
    assert "sk-proj-abcdefghijklmnop" not in str(err)


# --- overrides, paths, secrets, programmatic use --------------------------------------------


def test_overrides_win_over_the_file_and_merge_deeply(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "  temperature: 0.2\n")
    config = load_config(path, overrides={"llm": {"model": "gpt-4.1"}})
    assert config.llm.model == "gpt-4.1"
    assert config.llm.temperature == 0.2
    assert config.llm.provider == "openai"


def test_bad_override_is_blamed_on_the_command_line(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    with pytest.raises(ConfigError) as info:
        load_config(path, overrides={"llm": {"provider": "nope"}})
    assert info.value.line is None
    assert "command line" in str(info.value)


def test_relative_system_prompt_file_resolves_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    write(project / "prompts", "You are terse.", name="system.md")
    path = write(project, MINIMAL + "systemPrompt:\n  file: prompts/system.md\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(path)
    assert config.system_prompt_text() == "You are terse."
    assert config.resolve_path(Path("tools")) == (project / "tools").resolve()


def test_configured_secrets_are_redacted_later(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "llm:\n  provider: openai\n  model: m\n  apiKey: plain-key-without-prefix-123\n"
        "mcpServers:\n  api:\n    url: https://x.test/mcp\n"
        "    headers:\n      Authorization: Token opaque-value-456\n"
        "    env: {}\n"
        "  gh:\n    command: gh\n    env:\n      GH_TOKEN: another-opaque-789\n      HOME_DIR: /home/me\n",
    )
    load_config(path)
    leaked = "errors mention plain-key-without-prefix-123, opaque-value-456, another-opaque-789 and /home/me"
    assert redact_text(leaked) == "errors mention ***, ***, *** and /home/me"


def test_load_config_from_dict_expands_env_and_reports_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AC_MODEL", "llama3")
    config = load_config_from_dict({"llm": {"provider": "ollama", "model": "${AC_MODEL}"}}, base_dir=tmp_path)
    assert config.llm.model == "llama3"
    assert config.base_dir == tmp_path.resolve()
    with pytest.raises(ConfigError) as info:
        load_config_from_dict({"llm": {"provider": "ollama", "model": "x", "temprature": 1}})
    assert info.value.key_path == "llm.temprature"
    assert "did you mean 'temperature'?" in str(info.value)


def test_json_schema_uses_aliases_and_hides_internal_fields() -> None:
    schema = config_json_schema()
    properties = schema["properties"]
    assert "systemPrompt" in properties and "mcpServers" in properties
    assert "base_dir" not in properties and "source" not in properties
    assert "llm" in schema["required"]
