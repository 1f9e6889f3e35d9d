"""`parley ask` end to end through the console entry point (fake model, fake embedder, real Chroma)."""

from __future__ import annotations

import json

import pytest
from choice_helpers import logprob_model

from parley.cli import main


@pytest.fixture
def ingested(monkeypatch, seeds_dir, capsys):
    monkeypatch.setenv("PARLEY_EMBEDDING_BACKEND", "fake")
    assert main(["ingest", str(seeds_dir)]) == 0
    capsys.readouterr()


def _model(reply: str = "Nothing.", yes: float = 0.9):
    """Choices by logprobs (Yes/No, sentence numbers); any other prompt gets `reply`."""
    def score(text: str) -> dict[str, float]:
        if "Reply Yes or No" in text:
            p = 0.5 if "Question: N/A" in text else yes
            return {"Yes": p, "No": 1 - p}
        if "number only" in text:
            return {"1": 0.6, "2": 0.4}
        return {reply: 1.0}
    return logprob_model(score)


def _span_lines(out: str) -> list[tuple[str, int, int]]:
    spans = []
    for ln in out.splitlines():
        parts = ln.split()
        if len(parts) == 1 and ".txt:" in parts[0]:
            source, span = parts[0].rsplit(":", 1)
            start, end = map(int, span.split("-"))
            spans.append((source, start, end))
    return spans


def test_ask_prints_evidence_first_then_the_checked_line(ingested, monkeypatch, capsys, seed_texts):
    line = "Jake Sullivan held a conversation with Nikolai Patrushev."
    monkeypatch.setenv("PARLEY_ANSWER_LINE", "true")  # off by default with the embedded model
    monkeypatch.setattr("chains.models.make_chat_model", lambda settings: _model(line))
    assert main(["ask", "Who held the first high-level contact after the invasion?"]) == 0
    out, err = capsys.readouterr()
    assert "draft: " in err and "Patrushev" in err  # the line streamed as a draft
    assert out.index("Evidence (") < out.index("Answer: " + line)
    spans = _span_lines(out)
    assert spans and any("Sullivan" in seed_texts[s][a:b] for s, a, b in spans)


def test_ask_by_default_prints_the_evidence_alone(ingested, monkeypatch, capsys):
    monkeypatch.setattr("chains.models.make_chat_model", lambda settings: _model("A line."))
    assert main(["ask", "Who held the first high-level contact after the invasion?"]) == 0
    out, err = capsys.readouterr()
    assert "Evidence (" in out and "Answer:" not in out and "draft: " not in err


def test_ask_synthesis_mode_prints_cited_prose(ingested, monkeypatch, capsys, seed_texts):
    reply = "Jake Sullivan held a conversation with Nikolai Patrushev [1]."
    monkeypatch.setattr("chains.models.make_chat_model", lambda settings: _model(reply))
    assert main(["ask", "Who held the first high-level contact after the invasion?",
                 "--mode", "synthesis"]) == 0
    out, _ = capsys.readouterr()
    assert "Evidence (" in out and "Sources:" in out
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("[1] ") and "“" in ln
                and ".txt:" in ln.split()[1])
    source, span = line.split()[1].rsplit(":", 1)
    start, end = map(int, span.split("-"))
    assert "Sullivan" in seed_texts[source][start:end]


def test_ask_json_has_the_documented_fields(ingested, monkeypatch, capsys):
    monkeypatch.setattr("chains.models.make_chat_model", lambda settings: _model(yes=0.05))
    assert main(["ask", "What did Peskov say about the Wall Street Journal report?", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"answer", "abstained", "citations", "passages", "model", "timings", "evidence"} <= set(data)
    assert data["timings"]["evidence_s"] is not None
    assert data["abstained"] is True and data["citations"] == [] and data["evidence"]
    assert {"source", "start", "end", "text"} <= set(data["evidence"][0])


def test_ask_with_endpoint_down_is_one_line_error(ingested, monkeypatch, capsys):
    monkeypatch.setenv("PARLEY_LLM_BACKEND", "openai")
    monkeypatch.setenv("PARLEY_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("PARLEY_OPENAI_API_KEY", "sk-very-secret")
    monkeypatch.setenv("PARLEY_LLM_TIMEOUT_S", "5")
    monkeypatch.setenv("PARLEY_LLM_MAX_RETRIES", "0")
    assert main(["ask", "What did Peskov say about the report?"]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("parley: error:") and "127.0.0.1:9" in err and "sk-very-secret" not in err
