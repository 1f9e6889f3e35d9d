"""Eval reports: terminal table, JSON and self-contained HTML, from a real (fake-model) run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evals.fixtures import FIXTURES_DIR, load_qa, load_stance
from evals.plan import load_variant, select
from evals.report import fmt, render_html, terminal_table, write_reports
from evals.runner import run_matrix
from evals.scoring import summarize
from tests.eval_helpers import QA_IDS, Factory, fake_settings


@pytest.fixture
def summary(seeds_dir, tmp_path):
    broken = tmp_path / "broken.yaml"
    # synthesis with today's abstain rules, as qa-default: the scripted model writes prose only
    broken.write_text("name: broken\nprompts: {qa: prompts/qa_terse.yaml}\n"
                      "settings: {max_tokens: 50, answer_mode: synthesis}\n"
                      "policies: {qa: {abstain: {entity_rule: false, use_answerability: false}}}\n")
    qa = select(load_qa(FIXTURES_DIR / "qa.yaml"), ids=QA_IDS)
    st = select(load_stance(FIXTURES_DIR / "stance.yaml"), ids=["st-000-us-neg"])
    # the stance step's choice: "B" (conditional), written as one token (no logprobs from this fake)
    script = {**Factory().script, "Actor: United States": "B"}
    run = run_matrix(fake_settings(), [load_variant("qa-default"), load_variant(broken)], qa, st,
                     corpus_dir=seeds_dir, model_factory=Factory(script, broken_max_tokens=50))
    return summarize(run)


def test_terminal_table_puts_variants_side_by_side(summary):
    text = terminal_table(summary)
    header = next(line for line in text.splitlines() if line.startswith("QA"))
    assert header.split() == ["QA", "qa-default", "broken"]
    fact = next(line for line in text.splitlines() if line.startswith("fact recall"))
    assert fact.split()[-2:] == ["1.000", "0.000"]
    assert "qa broken vs qa-default: broke 2" in text
    assert re.search(r"^accuracy\s+1\.000\s+", text, re.M)  # stance block present


def test_json_and_html_reports_hold_both_variants_and_the_diffs(summary, tmp_path):
    js, html = write_reports(summary, tmp_path / "out")
    data = json.loads(Path(js).read_text())
    assert [v["name"] for v in data["variants"]] == ["qa-default", "broken"]
    assert {c["item"] for c in data["qa_diffs"]["broken"]} == {"qa-000-sullivan-condition", "qa-000-weapons"}
    page = Path(html).read_text()
    assert "qa-default" in page and "broken" in page and "<svg" in page
    # the broken variant's row shows both answers: the reference's and its abstention
    assert "stop attacking Ukrainian cities" in page and "The articles don&#x27;t say" in page
    assert page.count("class='broke'") == 2
    # self-contained: no scripts, stylesheets, images or fonts from anywhere
    assert not re.search(r"<script|<link|<img|src=|@import|url\(", page)


def test_html_escapes_answers():
    summary = {"variants": [{"name": "<v>", "description": "", "model": "m", "k": 4, "prompts": {}}],
               "reference": "<v>", "corpus_hash": "h", "qa_items": {}, "stance_items": {}, "notes": ["<b>"]}
    page = render_html(summary)
    assert "<td>&lt;v&gt;</td>" in page and "<li>&lt;b&gt;</li>" in page


def test_fmt():
    assert fmt(None) == "—" and fmt(0.5) == "0.500" and fmt(True) == "yes" and fmt(1234.5) == "1234"



def test_html_lists_stance_items_with_evidence(summary):
    page = render_html(summary)
    assert "st-000-us-neg" in page and "gold <b>conditional</b>" in page
    assert "stop attacking Ukrainian cities" in page.split("all 1 stance items")[1]
