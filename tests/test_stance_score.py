"""`parley stance-score`: the stance step over a labelled CSV, with a fake and the real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from llm_helpers import require_llama_cpp

from evals.plan import EvalError
from evals.stance_score import parse_map, render, score_csv
from tests.eval_helpers import ScriptedChatModel

SAMPLE = Path(__file__).resolve().parent.parent / "evals" / "fixtures" / "stance_sample.csv"
COLS = ("Tweet", "Target", "Stance")


def _by_text() -> dict[str, str]:
    """A fake: FAVOR/AGAINST rows right, one off-topic NONE row 'open' (no cues to overrule it)."""
    return {
        "ready to cut emissions": '{"label": "open", "evidence": [1]}',
        "always open to building": '{"label": "open", "evidence": [1]}',
        "committed to keeping": '{"label": "open", "evidence": [1]}',
        "welcome the new budget": '{"label": "open", "evidence": [1]}',
        "afternoon at the beach": '{"label": "open", "evidence": [1]}',  # wrong on purpose
        "reject": '{"label": "opposed", "evidence": [1]}',
        "Impossible": '{"label": "opposed", "evidence": [1]}',
        "refuses": '{"label": "opposed", "evidence": [1]}',
    }


def test_scores_every_row_with_mapped_predictions():
    model = ScriptedChatModel(script=_by_text(), default='{"label": "noncommittal", "evidence": []}')
    report, rows = score_csv(SAMPLE, *COLS, model)
    assert report.n == 12 and model.calls == 12
    assert {r["gold"] for r in rows} == {"open", "opposed", "none"}
    # noncommittal predictions count as "none" (the CSV's NONE) by default
    assert all(r["pred"] == "none" for r in rows if r["raw"] == "noncommittal")
    assert report.accuracy == pytest.approx(11 / 12)
    per = {c.label: c for c in report.per_class}
    assert per["open"].recall == 1.0 and per["open"].precision == pytest.approx(4 / 5)
    assert per["none"].recall == pytest.approx(3 / 4) and per["opposed"].f1 == 1.0
    labels = report.labels
    assert report.confusion[labels.index("none")][labels.index("open")] == 1
    text = render(report)
    assert "accuracy=0.917" in text and "confusion" in text


def test_without_pred_map_noncommittal_is_an_error_against_none():
    model = ScriptedChatModel(script=_by_text(), default='{"label": "noncommittal", "evidence": []}')
    report, _ = score_csv(SAMPLE, *COLS, model, pred_map={})
    assert report.accuracy == pytest.approx(8 / 12)


def test_parse_map():
    assert parse_map("FAVOR=open, AGAINST=opposed", {}) == {"FAVOR": "open", "AGAINST": "opposed"}
    assert parse_map(None, {"a": "b"}) == {"a": "b"}
    with pytest.raises(EvalError, match="FAVOR"):
        parse_map("FAVOR", {})


def test_cli_prints_table_and_json(monkeypatch, capsys):
    from parley.cli import main

    monkeypatch.setattr("chains.models.make_chat_model",
                        lambda s: ScriptedChatModel(script=_by_text(),
                                                    default='{"label": "noncommittal", "evidence": []}'))
    args = ["stance-score", str(SAMPLE), "--text-col", "Tweet", "--target-col", "Target",
            "--label-col", "Stance"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "accuracy=0.917" in out and "macro-F1=" in out
    assert main([*args, "--json", "--map", "FAVOR=open,AGAINST=opposed,NONE=none", "--limit", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["report"]["n"] == 3 and len(data["rows"]) == 3
    assert main([*args[:2], "--text-col", "Nope", "--target-col", "Target", "--label-col", "Stance"]) == 1
    assert "Nope" in capsys.readouterr().err


@pytest.mark.integration
@pytest.mark.llm
def test_real_model_scores_the_sample(local_gguf):
    from llm_helpers import local_settings

    from chains.models import make_chat_model

    require_llama_cpp()
    model = make_chat_model(local_settings(local_gguf, max_tokens=48))
    report, rows = score_csv(SAMPLE, *COLS, model, limit=6)
    assert report.n == 6 and len(rows) == 6
    assert all(r["raw"] in {"open", "conditional", "opposed", "noncommittal"} for r in rows)
    assert sum(c.support for c in report.per_class) == 6
    # the clear-cut FAVOR/AGAINST rows are within the 0.5B model's reach (4 of 4 when measured)
    clear = [r for r in rows if r["gold"] != "none"]
    assert len(clear) == 4 and sum(r["pred"] == r["gold"] for r in clear) >= 3

