"""The hostile cipher.yml corpus: each case is a file (plus files it names) and the one line it must give.

``{cfg}`` in an expected line is the config file's path, ``{dir}`` its folder and ``{url}`` the fake
server's base URL. ``expect`` is the exact stderr line of ``config check``; ``run`` prints the same line
after ``error: ``. A case with ``pattern=True`` gives a regular expression instead (tool-module errors,
whose wording belongs to the tools loader).
"""

from __future__ import annotations

from dataclasses import dataclass, field

_LLM = "llm:\n  provider: openai\n  model: gpt-4o-mini\n  apiKey: sk-hostile-0123456789\n  baseURL: {url}\n"
_BASE = _LLM + "storage:\n  url: memory://\n"


def _bomb(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*l{i - 1}"] * 9)
        lines.append(f"l{i}: &l{i} [{refs}]")
    return "\n".join(f"  {line}" for line in lines) + "\n"


def _with(extra_llm: str) -> str:
    return _LLM + extra_llm + "storage:\n  url: memory://\n"


@dataclass(frozen=True)
class Case:
    """One malformed config and the exit code and line both commands must give."""

    name: str
    text: str | bytes
    expect: str
    code: int = 2
    files: dict[str, bytes] = field(default_factory=dict[str, bytes])
    env: dict[str, str] = field(default_factory=dict[str, str])
    pattern: bool = False


CASES: tuple[Case, ...] = (
    # --- YAML that costs time, memory or stack ---------------------------------------------------
    Case(
        "alias-bomb",
        _BASE + "pricing:\n" + _bomb(),
        "{cfg}:13 pricing.l4: the YAML expands to more than 20000 values "
        "(aliases repeated inside aliases?) (write the values out or use fewer nested aliases)",
    ),
    Case(
        "recursive-alias-list",
        _BASE + "localTools: &a [./x, *a]\n",
        "{cfg}:8 localTools[1]: an alias refers to a value that contains it (a recursive alias) "
        "(an alias (*name) can only repeat an anchor (&name) defined outside it)",
    ),
    Case(
        "recursive-alias-mapping",
        _BASE + "context: &c\n  compression: *c\n",
        "{cfg}:9 context.compression: an alias refers to a value that contains it (a recursive alias) "
        "(an alias (*name) can only repeat an anchor (&name) defined outside it)",
    ),
    Case(
        "recursive-merge",
        _BASE + "context: &c\n  <<: *c\n",
        "{cfg}:9 context: an alias refers to a value that contains it (a recursive alias) "
        "(an alias (*name) can only repeat an anchor (&name) defined outside it)",
    ),
    Case(
        "deep-flow-nesting",
        _BASE + "pricing: " + "[" * 20000 + "]" * 20000 + "\n",
        "{cfg}:8 pricing: the YAML is nested more than 40 levels deep (a config needs far fewer than 40 levels)",
    ),
    Case(
        "deep-block-nesting",
        _BASE + "pricing:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(60)) + "  " * 61 + "x: 1\n",
        "{cfg}:48 pricing.k0.k1.k2.k3.k4.k5.k6.k7.k8.k9.k10.k11.k12.k13.k14.k15.k16.k17.k18.k19.k20.k21"
        ".k22.k23.k24.k25.k26.k27.k28.k29.k30.k31.k32.k33.k34.k35.k36.k37.k38: "
        "the YAML is nested more than 40 levels deep (a config needs far fewer than 40 levels)",
    ),
    Case(
        "huge-file",
        _BASE + "# " + "x" * (1024 * 1024) + "\n",
        "{cfg}: the file is over the 1024 KiB a config may have "
        "(is this the right file? put long prompts in a file named by systemPrompt.file)",
    ),
    # --- bytes and characters -------------------------------------------------------------------------
    Case(
        "nul-byte",
        (_BASE + "systemPrompt: a\x00b\n"),
        "{cfg}:8: the file contains a NUL byte: it is not a text file",
    ),
    Case(
        "raw-escape-character",
        _BASE + "systemPrompt: a\x1b[31mred\n",
        "{cfg}:8: the file contains a control character (U+001B) that YAML does not allow "
        "(remove it; write escapes such as \\t inside double quotes if you need them)",
    ),
    Case(
        "escaped-nul-in-value",
        _LLM + 'localTools: ["./to\\0ols"]\nstorage:\n  url: memory://\n',
        "{cfg}:6 localTools[0]: the value contains a control character (U+0000) "
        "(remove it; only tabs and newlines are allowed in text)",
    ),
    Case(
        "escaped-escape-in-model",
        _BASE.replace("model: gpt-4o-mini", 'model: "gpt\\e[2J"'),
        "{cfg}:3 llm.model: the value contains a control character (U+001B) "
        "(remove it; only tabs and newlines are allowed in text)",
    ),
    Case(
        "control-character-from-env",
        _BASE.replace("model: gpt-4o-mini", "model: ${HOSTILE_MODEL}"),
        "{cfg}:3 llm.model: the value contains a control character (U+0007) "
        "(remove it; only tabs and newlines are allowed in text)",
        env={"HOSTILE_MODEL": "gpt\x07"},
    ),
    Case(
        "latin-1-file",
        (_BASE + "systemPrompt: caf\xe9\n").encode("latin-1"),
        "{cfg}:8: the file is not UTF-8 text (save it as UTF-8)",
    ),
    Case(
        "huge-integer",
        _with("  maxTokens: " + "9" * 5000 + "\n"),
        "{cfg}:6 llm.maxTokens: the number has too many digits",
    ),
    Case(
        "prompt-file-is-a-device",
        _BASE + "systemPrompt:\n  file: /dev/zero\n",
        "{cfg}:9 systemPrompt.file: the system prompt file /dev/zero is over the 4096 KiB limit",
    ),
    Case("non-text-key", _BASE + "5: x\n", "{cfg}:8 5: the key 5 is not text (quote it)"),
    Case("empty-tools-path", _BASE + "localTools: ['']\n", "{cfg}:8 localTools: a path must not be empty"),
    Case(
        "empty-json-log-path",
        _BASE + "logging:\n  jsonFile: ''\n",
        "{cfg}:9 logging.jsonFile: a path must not be empty",
    ),
    Case(
        "empty-file",
        "",
        "{cfg}: the file is empty (it needs at least an 'llm:' section with provider and model)",
    ),
    Case(
        "top-level-list",
        "- llm\n- provider\n",
        "{cfg}:1: expected a mapping of keys at the top level, got a list (start with 'llm:')",
    ),
    Case(
        "tab-indent",
        "llm:\n\tprovider: openai\n",
        "{cfg}:2: invalid YAML: found character '\\t' that cannot start any token "
        "(while scanning for the next token) (indent with spaces, not tabs)",
    ),
    Case(
        "duplicate-key",
        _BASE + "storage:\n  url: memory://\n",
        "{cfg}:8 storage: duplicate key 'storage' (keep only one of them)",
    ),
    # --- files the config names --------------------------------------------------------------------
    Case(
        "binary-system-prompt",
        _BASE + "systemPrompt:\n  file: prompt.png\n",
        "{cfg}:9 systemPrompt.file: the system prompt file {dir}/prompt.png is a binary file, not text "
        "(point it at a text (.md) file)",
        files={"prompt.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))},
    ),
    Case(
        "latin-1-system-prompt",
        _BASE + "systemPrompt:\n  file: prompt.md\n",
        "{cfg}:9 systemPrompt.file: the system prompt file {dir}/prompt.md is not UTF-8 text "
        "(bad byte at offset 3) (save it as UTF-8)",
        files={"prompt.md": "caf\xe9".encode("latin-1")},
    ),
    Case(
        "missing-system-prompt",
        _BASE + "systemPrompt:\n  file: absent.md\n",
        "{cfg}:9 systemPrompt.file: cannot read the system prompt file {dir}/absent.md: No such file or directory",
    ),
    Case(
        "system-prompt-is-a-folder",
        _BASE + "systemPrompt:\n  file: prompts\n",
        "{cfg}:9 systemPrompt.file: the system prompt file {dir}/prompts is a folder, not a file",
        files={"prompts/a.md": b"hello"},
    ),
    Case(
        "binary-prompts-folder-file",
        _BASE,
        "{cfg} systemPrompt: the prompt file {dir}/prompts/a.md is a binary file, not text "
        "(point it at a text (.md) file)",
        files={"prompts/a.md": b"\x00\x01\x02"},
    ),
    Case(
        "unwritable-json-log",
        _BASE + "logging:\n  jsonFile: blocker/log.jsonl\n",
        "{cfg}:9 logging.jsonFile: cannot write the JSON log file {dir}/blocker/log.jsonl: "
        "{dir}/blocker is not a folder (choose a writable path)",
        files={"blocker": b"a file, not a folder"},
    ),
    Case(
        "json-log-is-a-folder",
        _BASE + "logging:\n  jsonFile: logs\n",
        "{cfg}:9 logging.jsonFile: the JSON log file {dir}/logs is a folder, not a file",
        files={"logs/keep": b""},
    ),
    # --- values ----------------------------------------------------------------------------------------
    Case(
        "empty-model",
        _BASE.replace("model: gpt-4o-mini", "model: ''"),
        "{cfg}:3 llm.model: must not be empty",
    ),
    Case(
        "blank-model",
        _BASE.replace("model: gpt-4o-mini", "model: '   '"),
        "{cfg}:3 llm.model: must not be empty",
    ),
    Case(
        "infinite-timeout",
        _with("  timeout: .inf\n"),
        "{cfg}:6 llm.timeout: must be a finite number, got inf",
    ),
    Case("nan-timeout", _with("  timeout: .nan\n"), "{cfg}:6 llm.timeout: must be a finite number, got nan"),
    Case("negative-timeout", _with("  timeout: -3\n"), "{cfg}:6 llm.timeout: must be > 0, got -3"),
    Case(
        "infinite-tool-timeout",
        _BASE + "toolTimeout: .inf\n",
        "{cfg}:8 toolTimeout: must be a finite number, got inf",
    ),
    Case(
        "infinite-price",
        _BASE + "pricing:\n  m:\n    input: .inf\n    output: 1\n",
        "{cfg}:10 pricing.m.input: must be a finite number, got inf",
    ),
    Case("zero-iterations", _with("  maxIterations: 0\n"), "{cfg}:6 llm.maxIterations: must be >= 1, got 0"),
    Case(
        "base-url-without-scheme",
        _BASE.replace("baseURL: {url}", "baseURL: localhost:8080"),
        "{cfg}:5 llm.baseURL: invalid URL 'localhost:8080': it must start with http:// or https:// "
        "(e.g. https://api.example.com/v1)",
    ),
    Case(
        "base-url-without-host",
        _BASE.replace("baseURL: {url}", "baseURL: 'http://'"),
        "{cfg}:5 llm.baseURL: invalid URL 'http://': it has no host (e.g. https://api.example.com/v1)",
    ),
    Case(
        "base-url-bad-port",
        _BASE.replace("baseURL: {url}", "baseURL: 'http://127.0.0.1:99999/v1'"),
        "{cfg}:5 llm.baseURL: invalid URL 'http://127.0.0.1:99999/v1': the port must be a number from 1 to 65535 "
        "(e.g. https://api.example.com/v1)",
    ),
    Case(
        "base-url-with-space",
        _BASE.replace("baseURL: {url}", "baseURL: 'http://exa mple.com/v1'"),
        "{cfg}:5 llm.baseURL: invalid URL 'http://exa mple.com/v1': it contains spaces "
        "(e.g. https://api.example.com/v1)",
    ),
    Case(
        "mcp-url-not-http",
        _BASE + "mcpServers:\n  s:\n    url: ftp://example.com/mcp\n",
        "{cfg}:10 mcpServers.s.url: invalid URL 'ftp://example.com/mcp': it must start with http:// or https:// "
        "(e.g. https://api.example.com/v1)",
    ),
    Case(
        "unknown-key",
        _BASE + "toolTimout: 3\n",
        "{cfg}:8 toolTimout: unknown key 'toolTimout' (did you mean 'toolTimeout'?)",
    ),
    Case(
        "unset-variable",
        _BASE.replace("model: gpt-4o-mini", "model: ${HOSTILE_UNSET_VAR}"),
        "{cfg}:3 llm.model: environment variable 'HOSTILE_UNSET_VAR' is not set "
        "(set it in the environment or use ${HOSTILE_UNSET_VAR:-default})",
    ),
    Case(
        "missing-api-key",
        _BASE.replace("  apiKey: sk-hostile-0123456789\n", ""),
        "{cfg}:1 llm.apiKey: no API key for provider 'openai' "
        "(set OPENAI_API_KEY in the environment or llm.apiKey in cipher.yml)",
    ),
    # --- storage -------------------------------------------------------------------------------------
    Case(
        "storage-unknown-scheme",
        _LLM + "storage:\n  url: mysql://u@h/db\n",
        "{cfg}:7 storage.url: unsupported storage URL 'mysql://u@h/db' "
        "(use sqlite:///path/to/file.db, postgresql://user@host/db or memory://)",
    ),
    Case(
        "storage-not-a-url",
        _LLM + "storage:\n  url: my-database\n",
        "{cfg}:7 storage.url: unsupported storage URL 'my-database' "
        "(use sqlite:///path/to/file.db, postgresql://user@host/db or memory://)",
    ),
    Case(
        "storage-bad-postgres-port",
        _LLM + "storage:\n  url: postgresql://u@h:port/db\n",
        "{cfg}:7 storage.url: invalid storage URL 'postgresql://u@h:port/db': "
        "the port must be a number from 1 to 65535",
    ),
    Case(
        "storage-sqlite-under-a-file",
        _LLM + "storage:\n  url: sqlite:///{dir}/blocker/db.sqlite\n",
        "{cfg}:7 storage.url: cannot create the database {dir}/blocker/db.sqlite: {dir}/blocker is not a folder "
        "(choose a writable path)",
        files={"blocker": b"a file"},
    ),
    Case(
        "storage-sqlite-is-a-folder",
        _LLM + "storage:\n  url: sqlite:///{dir}/dbdir\n",
        "{cfg}:7 storage.url: the database path {dir}/dbdir is a folder (choose a writable path)",
        files={"dbdir/keep": b""},
    ),
    # --- local tools (messages worded by the tools loader) ---------------------------------------------
    Case(
        "missing-tool-path",
        _BASE + "localTools: [./no-such-tools]\n",
        "{cfg}:8 localTools[0]: local tools path not found: {dir}/no-such-tools (create it or remove it from localTools)",
    ),
    Case(
        "tool-module-syntax-error",
        _BASE + "localTools: [./tools]\n",
        r"{dir}/tools/broken\.py:2\b.*SyntaxError.*",
        files={"tools/broken.py": b"x = 1\ndef oops(:\n"},
        pattern=True,
    ),
    Case(
        "tool-module-raises",
        _BASE + "localTools: [./tools]\n",
        r"{dir}/tools/raises\.py:3\b.*RuntimeError.*boom.*",
        files={"tools/raises.py": b"import os\n\nraise RuntimeError('boom')\n"},
        pattern=True,
    ),
    Case(
        "tool-module-sys-exit",
        _BASE + "localTools: [./tools]\n",
        r"{dir}/tools/exits\.py:3\b.*sys\.exit\(7\).*",
        files={"tools/exits.py": b"import sys\n\nsys.exit(7)\n"},
        pattern=True,
    ),
)
