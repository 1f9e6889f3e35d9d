"""`parley analyse` and `parley brief` through the CLI (fake logprob model, fake embeddings, real stores)."""

from __future__ import annotations

import io
import json

import pytest
from brief_helpers import seed_scorer
from choice_helpers import logprob_model

from chains.analysis import Progress
from parley.cli import main
from parley.cli.brief import ProgressPrinter


@pytest.fixture
def model(monkeypatch, seeds_dir, capsys):
    monkeypatch.setenv("PARLEY_EMBEDDING_BACKEND", "fake")
    fake = logprob_model(seed_scorer)
    monkeypatch.setattr("chains.models.make_chat_model", lambda settings: fake)
    assert main(["ingest", str(seeds_dir)]) == 0
    capsys.readouterr()
    return fake


def test_analyse_then_brief_json_reads_the_cache(model, capsys):
    assert main(["analyse"]) == 0
    err = capsys.readouterr().err
    assert "ledger:" in err and "52 ledger entries" in err
    assert "stance analysis: " in err and "ETA" in err  # the progress line (not a terminal)
    calls = len(model.calls)
    assert main(["brief", "Russia", "--json"]) == 0
    out, err = capsys.readouterr()
    assert len(model.calls) == calls and "stance of" not in err  # all cached: no model, no bar
    data = json.loads(out)
    assert data["per_article"] and all(s["label"] for s in data["per_article"])
    assert data["coverage"]["read"] == 5 and data["positions"]


def test_brief_on_first_need_shows_progress_and_markdown(model, capsys):
    assert main(["brief", "Russia"]) == 0
    out, err = capsys.readouterr()
    assert "stance of Russia: 5/5" in err
    assert out.startswith("# Russia: position brief") and "outlets unknown" in out


def test_progress_printer_prints_a_line_every_few_seconds_off_a_terminal():
    buf = io.StringIO()
    show = ProgressPrinter(buf, every=3600)
    p = Progress(what="stance", total=10)
    for i in range(10):
        p.done = i
        show(p)
    p.done, p.finished = 10, True
    show(p)
    lines = buf.getvalue().splitlines()
    assert len(lines) == 2 and lines[-1].startswith("stance: 10/10")
    show(Progress(what="stance", total=3, done=3, cached=3, finished=True))  # all cached: quiet
    assert len(buf.getvalue().splitlines()) == 2
