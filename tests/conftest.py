"""Shared test fixtures: every test gets its own data directory; nothing touches real data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Session fixtures shared by every module (one joined model, one llama.cpp server per run):
# defined in llm_helpers, registered here so modules never import them (an import would give
# each module its own "session" instance).
from llm_helpers import llama_server, local_gguf  # noqa: E402,F401

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt"))


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    """Point PARLEY_DATA_DIR at tmp_path and drop any PARLEY_* the developer has set."""
    for key in list(os.environ):
        if key.startswith("PARLEY_") and key != "PARLEY_SHARED_MODELS_DIR":
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PARLEY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env from the checkout
    yield


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture
def seed_texts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in SEED_FILES}
