"""`parley stance-score`: the stance step over a labelled CSV, with a fake and the real model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from choice_helpers import logprob_model
from llm_helpers import local_settings, require_llama_cpp

from chains.models import make_chat_model
from evals.plan import EvalError
from evals.stance_score import extras, parse_map, render, score_csv
from parley.cli import main

SAMPLE = Path(__file__).resolve().parent.parent / "evals" / "fixtures" / "stance_sample.csv"
COLS = ("Tweet", "Target", "Stance")


LETTER = {"open": "A", "conditional": "B", "opposed": "C", "noncommittal": "D", "offtopic": "E"}


def _by_text() -> dict[str, str]:
    """FAVOR/AGAINST rows right, one off-topic NONE row 'open' on purpose, the rest noncommittal."""
    return {
        "ready to cut emissions": "open", "always open to building": "open",
        "committed to keeping": "open", "welcome the new budget": "open",
        "afternoon at the beach": "open",  # wrong on purpose
        "reject": "opposed", "Impossible": "opposed", "refuses": "opposed",
    }


def scripted(script: dict[str, str], default: str = "noncommittal"):
    """A fake logprob model: the scripted label's letter at 0.8, a flat prior on "N/A"."""
    def scorer(prompt: str) -> dict[str, float]:
        statement = re.search(r'Statement: "(.*)"', prompt).group(1)
        if statement == "N/A":
            return {k: 0.2 for k in "ABCDE"}
        label = next((v for k, v in script.items() if k.lower() in statement.lower()), default)
        return {k: 0.8 if k == LETTER[label] else 0.05 for k in "ABCDE"}
    return logprob_model(scorer)


def test_scores_every_row_with_mapped_predictions():
    model = scripted(_by_text())
    report, rows = score_csv(SAMPLE, *COLS, model)
    # one call per row, and one content-free call per target (4 targets)
    assert report.n == 12 and len(model.calls) == 12 + 4
    assert {r["gold"] for r in rows} == {"open", "opposed", "none"}
    # noncommittal predictions count as "none" (the CSV's NONE) by default
    assert all(r["pred"] == "none" for r in rows if r["raw"] == "noncommittal")
    assert report.accuracy == pytest.approx(11 / 12)
    per = {c.label: c for c in report.per_class}
    assert per["open"].recall == 1.0 and per["open"].precision == pytest.approx(4 / 5)
    assert per["none"].recall == pytest.approx(3 / 4) and per["opposed"].f1 == 1.0
    labels = report.labels
    assert report.confusion[labels.index("none")][labels.index("open")] == 1
    assert all(0 < r["confidence"] < 1 for r in rows)
    more = extras(rows)
    assert more["majority"]["accuracy"] == pytest.approx(4 / 12)
    assert more["calibration"]["n"] == 12
    text = render(report, more)
    assert "accuracy=0.917" in text and "confusion" in text and "majority baseline" in text


def test_off_topic_rows_are_no_position():
    model = scripted({"beach": "offtopic"}, default="open")
    _, rows = score_csv(SAMPLE, *COLS, model, limit=3)
    # row 2's cues ("out of the question", "reject") at weight 0.5 outweigh the scripted "open"
    assert [r["raw"] for r in rows] == ["open", "opposed", "none"]


def test_without_pred_map_noncommittal_is_an_error_against_none():
    report, _ = score_csv(SAMPLE, *COLS, scripted(_by_text()), pred_map={})
    assert report.accuracy == pytest.approx(8 / 12)


def test_parse_map():
    assert parse_map("FAVOR=open, AGAINST=opposed", {}) == {"FAVOR": "open", "AGAINST": "opposed"}
    assert parse_map(None, {"a": "b"}) == {"a": "b"}
    with pytest.raises(EvalError, match="FAVOR"):
        parse_map("FAVOR", {})


def test_cli_prints_table_and_json(monkeypatch, capsys):
    monkeypatch.setattr("chains.models.make_chat_model", lambda s: scripted(_by_text()))
    args = ["stance-score", str(SAMPLE), "--text-col", "Tweet", "--target-col", "Target",
            "--label-col", "Stance"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "accuracy=0.917" in out and "macro-F1=" in out and "majority baseline" in out
    assert main([*args, "--json", "--map", "FAVOR=open,AGAINST=opposed,NONE=none", "--limit", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["report"]["n"] == 3 and len(data["rows"]) == 3 and data["majority"]["label"]
    assert main([*args[:2], "--text-col", "Nope", "--target-col", "Target", "--label-col", "Stance"]) == 1
    assert "Nope" in capsys.readouterr().err


@pytest.mark.integration
@pytest.mark.llm
def test_real_model_scores_the_sample(local_gguf):
    require_llama_cpp()
    model = make_chat_model(local_settings(local_gguf, max_tokens=48))
    report, rows = score_csv(SAMPLE, *COLS, model, limit=6)
    assert report.n == 6 and len(rows) == 6
    assert all(r["raw"] in {"open", "conditional", "opposed", "noncommittal", "none"} for r in rows)
    assert all(0 < r["confidence"] < 1 for r in rows)  # a measured probability, not a constant
    assert sum(c.support for c in report.per_class) == 6
    # the clear-cut FAVOR/AGAINST rows: 8 of 8 on the whole sample when measured (2026-12-01,
    # shipped policy: the calibrated choice with the lexical cues mixed in at 0.25)
    clear = [r for r in rows if r["gold"] != "none"]
    assert len(clear) == 4 and sum(r["pred"] == r["gold"] for r in clear) >= 3

