"""Loading @tool functions from files and folders."""

import importlib
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from agentcore.config.schema import AgentConfig, LLMConfig
from agentcore.errors import ConfigError
from agentcore.tools.decorator import tool
from agentcore.tools.local import LocalToolSource, load_local_tools


def write(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


GREET = """
    from agentcore import tool

    @tool
    def greet(name: str) -> str:
        '''Say hello.'''
        return f"hello {name}"
"""


def test_loads_a_file(tmp_path: Path) -> None:
    before = list(sys.path)
    tools = load_local_tools([write(tmp_path / "greet.py", GREET)])
    assert [t.name for t in tools] == ["greet"]
    assert tools[0]("bob") == "hello bob"
    assert tools[0].defined_at.startswith(str((tmp_path / "greet.py").resolve()))
    assert sys.path == before


def test_folder_sorted_skips_underscore_and_helpers_import(tmp_path: Path) -> None:
    write(tmp_path / "_helpers.py", "PREFIX = 'hi '\n")
    write(
        tmp_path / "b.py",
        """
        from agentcore import tool
        from _helpers import PREFIX

        @tool
        def second() -> str:
            return PREFIX

        alias = second  # the same tool under two names counts once
        """,
    )
    write(tmp_path / "a.py", "from agentcore import tool\n\n@tool\ndef first() -> str:\n    return 'a'\n")
    write(
        tmp_path / "_private.py", "from agentcore import tool\n\n@tool\ndef hidden() -> str:\n    return ''\n"
    )
    write(tmp_path / "notes.txt", "not python")
    before = list(sys.path)
    tools = load_local_tools([tmp_path])
    assert [t.name for t in tools] == ["first", "second"]
    assert tools[1]() == "hi "
    assert sys.path == before


def test_missing_default_path_is_fine(tmp_path: Path) -> None:
    assert load_local_tools([tmp_path / "tools"], missing_ok=True) == []


def test_missing_configured_path_names_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_local_tools([tmp_path, tmp_path / "nope"], config_file="cipher.yml")
    assert info.value.key_path == "localTools[1]"
    assert "nope" in str(info.value) and "cipher.yml" in str(info.value)


def test_import_error_names_file_and_line(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.py", "x = 1\n\nraise RuntimeError('boom')\n")
    with pytest.raises(ConfigError) as info:
        load_local_tools([bad])
    assert info.value.file == str(bad.resolve()) and info.value.line == 3
    assert "RuntimeError: boom" in str(info.value)


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    bad = write(tmp_path / "syntax.py", "def f(:\n    pass\n")
    with pytest.raises(ConfigError) as info:
        load_local_tools([bad])
    assert info.value.line == 1 and "syntax.py" in str(info.value)


def test_bad_tool_signature_is_a_config_error(tmp_path: Path) -> None:
    bad = write(
        tmp_path / "sig.py",
        """
        from agentcore import tool

        class Opaque:
            pass

        @tool
        def f(x: Opaque) -> None:
            pass
        """,
    )
    with pytest.raises(ConfigError) as info:
        load_local_tools([bad])
    assert "cannot be described as JSON" in str(info.value) and info.value.line == 7


def test_duplicate_names_both_places(tmp_path: Path) -> None:
    one = write(tmp_path / "one.py", GREET)
    two = write(tmp_path / "two.py", GREET)
    with pytest.raises(ConfigError) as info:
        load_local_tools([tmp_path])
    text = str(info.value)
    assert f"{one.resolve()}:" in text and f"{two.resolve()}:" in text
    assert "greet" in text


async def test_source_with_programmatic_tools(tmp_path: Path) -> None:
    @tool(timeout=3)
    def extra(n: int) -> int:
        return n * 10

    source = LocalToolSource(tools=[extra], paths=[write(tmp_path / "greet.py", GREET)])
    await source.start()
    specs = await source.list_tools()
    assert [s.name for s in specs] == ["extra", "greet"]
    assert source.timeout_for(specs[0]) == 3
    output = await source.call(specs[0], {"n": "4"}, 5.0)
    assert output.content == "40"
    await source.close()


async def test_source_duplicate_between_programmatic_and_file(tmp_path: Path) -> None:
    @tool
    def greet(name: str) -> str:
        return name

    source = LocalToolSource(tools=[greet], paths=[write(tmp_path / "greet.py", GREET)])
    with pytest.raises(ConfigError, match="duplicate tool name 'greet'"):
        await source.start()


async def test_from_config_default_vs_explicit(tmp_path: Path) -> None:
    llm = LLMConfig(provider="openai", model="m")
    default = LocalToolSource.from_config(AgentConfig(llm=llm, base_dir=tmp_path))
    await default.start()
    assert default.tools == []
    explicit = LocalToolSource.from_config(
        AgentConfig.model_validate({"llm": llm, "base_dir": tmp_path, "localTools": ["./tools"]})
    )
    with pytest.raises(ConfigError) as info:
        await explicit.start()
    assert info.value.key_path == "localTools[0]"


def test_loading_never_disturbs_imports_in_other_threads(tmp_path: Path) -> None:
    # Other threads keep importing modules found through sys.path (as the SDK client warm-up does)
    # while tool folders load, over and over: not one of their look-ups may fail.
    storm = tmp_path / "storm"
    for thread_no in range(3):  # each thread its own modules: they never race on one name
        for k in range(20):
            write(storm / f"storm_mod_{thread_no}_{k}.py", f"VALUE = {k}\n")
    tools_dir = tmp_path / "tools"
    write(tools_dir / "_shared.py", "SUFFIX = '!'\n")
    for k in range(5):
        write(
            tools_dir / f"t{k}.py",
            f"from agentcore import tool\nfrom _shared import SUFFIX\n\n@tool\ndef t{k}() -> str:\n    return 't{k}' + SUFFIX\n",
        )
    # Early in sys.path, where a look-up that overlaps an insert/remove at the front can skip it.
    sys.path.insert(1, str(storm))
    failures: list[BaseException] = []
    lookups = 0
    stop = threading.Event()

    def importer(thread_no: int) -> None:
        nonlocal lookups
        k = 0
        while not stop.is_set():
            name = f"storm_mod_{thread_no}_{k % 20}"
            try:
                assert k % 20 == importlib.import_module(name).VALUE
            except BaseException as exc:
                failures.append(exc)
            sys.modules.pop(name, None)  # the next import searches sys.path again
            lookups += 1
            k += 1

    threads = [threading.Thread(target=importer, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(200):
            tools = load_local_tools([tools_dir])
            assert [t() for t in tools] == [f"t{k}!" for k in range(5)]
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        sys.path.remove(str(storm))
    assert lookups > 100
    assert failures == []


def test_neighbour_package_and_relative_helper(tmp_path: Path) -> None:
    write(tmp_path / "_pkg" / "__init__.py", "from ._inner import WORD\n")
    write(tmp_path / "_pkg" / "_inner.py", "WORD = 'pkg'\n")
    write(
        tmp_path / "uses.py",
        """
        from agentcore import tool
        import _pkg
        from _pkg._inner import WORD

        @tool
        def uses() -> str:
            return _pkg.WORD + WORD
        """,
    )
    before = list(sys.path)
    (found,) = load_local_tools([tmp_path])
    assert found() == "pkgpkg"
    assert sys.path == before
    assert "_pkg" not in sys.modules  # helpers live under private names only


def test_sys_exit_at_import_is_a_config_error(tmp_path: Path) -> None:
    bad = write(tmp_path / "quits.py", "import sys\n\nsys.exit(7)\n")
    with pytest.raises(ConfigError) as info:
        load_local_tools([bad])
    assert info.value.file == str(bad.resolve()) and info.value.line == 3
    assert "sys.exit(7)" in str(info.value)
