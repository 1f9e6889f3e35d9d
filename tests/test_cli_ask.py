"""`parley ask` end to end through the console entry point (fake model, fake embedder, real Chroma)."""

from __future__ import annotations

import json

import pytest

from parley.cli import main
from tests.qa_helpers import fake_model


@pytest.fixture
def ingested(monkeypatch, seeds_dir, capsys):
    monkeypatch.setenv("PARLEY_EMBEDDING_BACKEND", "fake")
    assert main(["ingest", str(seeds_dir)]) == 0
    capsys.readouterr()


def test_ask_prints_cited_answer_with_numbered_sources(ingested, monkeypatch, capsys, seed_texts):
    reply = "Jake Sullivan held a conversation with Nikolai Patrushev [1]."
    monkeypatch.setattr("chains.models.make_chat_model", lambda settings: fake_model(reply))
    assert main(["ask", "Who held the first high-level contact after the invasion?"]) == 0
    out, err = capsys.readouterr()
    assert "draft: " in err and "Patrushev" in err  # the draft streamed
    assert "Sources:" in out
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("[1] "))
    source, span = line.split()[1].rsplit(":", 1)
    start, end = map(int, span.split("-"))
    assert "Sullivan" in seed_texts[source][start:end]


def test_ask_json_has_the_documented_fields(ingested, monkeypatch, capsys):
    monkeypatch.setattr("chains.models.make_chat_model", lambda settings: fake_model("NOT IN ARTICLES"))
    assert main(["ask", "What did the OSCE decide about peacekeepers in Vienna?", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"answer", "abstained", "citations", "passages", "model", "timings"} <= set(data)
    assert data["abstained"] is True and data["citations"] == []


def test_ask_with_endpoint_down_is_one_line_error(ingested, monkeypatch, capsys):
    monkeypatch.setenv("PARLEY_LLM_BACKEND", "openai")
    monkeypatch.setenv("PARLEY_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("PARLEY_OPENAI_API_KEY", "sk-very-secret")
    monkeypatch.setenv("PARLEY_LLM_TIMEOUT_S", "5")
    monkeypatch.setenv("PARLEY_LLM_MAX_RETRIES", "0")
    assert main(["ask", "What did Peskov say about the report?"]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("parley: error:") and "127.0.0.1:9" in err and "sk-very-secret" not in err
