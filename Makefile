# Two commands do all set-up on a fresh machine: `make chat` and `make test`.
PYTHON ?= $(shell command -v python3.13 || command -v python3.12 || command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install chat test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
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

# Peers go into their own venv (bench/.venv-peers), created by the harness. `make bench BENCH_ARGS=--quick`
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
