# Parley: `make run` sets up and opens the chat page on the seeds; `make test` runs every test.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
# llama-cpp-python compiles from source: a portable build (pip caches the wheel afterwards)
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF

.PHONY: setup run ingest test test-fast lint bench

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -e '.[local,dev]'
	touch $@

setup: $(VENV)/.installed

ingest: setup
	$(BIN)/parley ingest seeds/ --analyse

run: ingest
	$(BIN)/parley ask "Who held the first high-level US-Russia contact after the invasion?"
	$(BIN)/streamlit run app.py --server.headless true --server.address 127.0.0.1 --server.port $(PORT) --browser.gatherUsageStats false

test: setup
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not integration"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python -m bench
