"""The Briefs tab and the page's rendering helpers, driven offline by AppTest with fakes over the seeds."""

from __future__ import annotations

import html

import pytest

from parley import page as ui
from parley.core.schema import (
    Article,
    ArticleMeta,
)
from parley.render import html as view
from parley.render.markdown import brief_markdown
from tests.app_helpers import (
    MARK,
    hand_brief,
    marks,
    page_opener,
    seeded_service,
)
from tests.brief_helpers import seed_scorer
from tests.choice_helpers import logprob_model
from tests.qa_helpers import fake_model


@pytest.fixture
def page(monkeypatch):
    """Return a function that opens the page on a given service."""
    return page_opener(monkeypatch)


def test_brief_renders_with_chart_sources_and_download(page, tmp_path, seeds_dir, seed_texts):
    svc = seeded_service(tmp_path, seeds_dir, fake_model("x"))
    brief = hand_brief(seed_texts)
    asked = []
    svc.actor_names = lambda: ["Russia", "United States"]
    svc.brief = lambda actor, topic=None, **kw: (asked.append((actor, topic)), brief)[1]
    at = page(svc)
    at.selectbox(key="brief_actor").select("Russia")
    at.text_input(key="brief_topic").input("negotiations")
    at.button(key="brief_go").click().run()
    assert not at.exception, at.exception
    assert asked == [("Russia", "negotiations")]
    assert any(s.value == "Russia on negotiations" for s in at.subheader)
    assert [m.value for m in at.metric][0] == "conditional"
    assert len(at.get("vega_lite_chart")) == 1
    assert len(at.get("download_button")) == 1
    assert any("Talks unlikely" in m.value and "not plotted" in m.value for m in at.markdown)
    found = marks(at)
    spans = [c for line in [*brief.summary, *brief.claims] for c in line.citations]
    assert sorted(found) == sorted((i + 1, s.text) for i, s in enumerate(spans))
    assert any("Sergey Ryabkov" in e.label for e in at.expander)
    table = at.dataframe[0].value
    assert list(table["stance"]) == ["noncommittal", "open", "conditional"]
    assert list(table["date"]) == ["2022-03-17", "2022-11-08", "undated"]


def test_real_brief_chain_renders_progress_and_positions(page, tmp_path, seeds_dir, seed_texts):
    at = page(seeded_service(tmp_path, seeds_dir, logprob_model(seed_scorer)))
    assert "Russia" in at.selectbox(key="brief_actor").options
    at.selectbox(key="brief_actor").select("Russia")
    at.button(key="brief_go").click().run(timeout=120)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    brief = at.session_state.brief
    assert brief.actor == "Russia" and brief.per_article and brief.positions
    bar = at.get("progress")  # the model work this first brief needed, with rate and time left
    assert len(bar) == 1 and "stance of Russia: 5/5" in bar[0].proto.text
    assert "ETA" in bar[0].proto.text
    shown = " ".join(m.value for m in at.markdown)
    assert "Positions (" in shown and "Unilateral concessions from our side are out of the question" in shown
    assert [m.value for m in at.metric][3] == "unknown"  # outlets unknown, never "0"
    assert len(at.get("vega_lite_chart")) == (1 if ui.timeline_rows(brief) else 0)
    numbers = ui.brief_citations(brief)
    assert sorted(marks(at)) == sorted((n, s.text) for n, s in numbers.values())
    assert all(seed_texts[s.source][s.start : s.end] == s.text for _, s in numbers.values())
    at.button(key="brief_go").click().run(timeout=120)  # again: everything cached, no bar
    assert not at.exception and len(at.get("progress")) == 0


def test_briefs_tab_says_when_briefs_are_unavailable(page, tmp_path, seeds_dir):
    svc = seeded_service(tmp_path, seeds_dir, fake_model("x"))
    svc.brief = None  # a service without the brief API (hides the method if it exists)
    at = page(svc)
    assert any("Briefs are not available" in i.value for i in at.info)


# --- rendering helpers ---------------------------------------------------------------------
def test_highlight_escapes_article_text_and_marks_exact_span():
    text = "Intro words here. <script>alert(1)</script> He said “talks & more”. Tail text follows."
    start = text.index("He said")
    end = text.index(". Tail")
    out = view.highlight_html(text, start, end, n=3, window=60)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert dict(MARK.findall(out)) == {"3": html.escape(text[start:end])}
    a, b = view.context_window(text, start, end, window=60)
    assert a <= start and b >= end and (a == 0 or text[a - 1].isspace())


def test_source_label_says_undated_without_a_date(seeds_dir):
    art = Article(doc_id="x.txt", path="x.txt", kind="txt", text="t", content_hash="h",
                  meta=ArticleMeta(title="Talks unlikely", outlet="RT"))
    assert view.source_label("x.txt", art) == "Talks unlikely · RT · undated"
    assert view.source_label("y.txt", None) == "y.txt · undated"


def test_timeline_plots_only_dated_articles(seed_texts):
    brief = hand_brief(seed_texts)
    rows = ui.timeline_rows(brief)
    assert [r["date"] for r in rows] == ["2022-03-17", "2022-11-08"]
    spec = ui.timeline_chart(brief).to_dict()
    values = spec["data"]["values"] if "data" in spec else spec["datasets"]
    assert "003_b571c39c7b842e1b.txt" not in str(values)
    assert spec["layer"][1]["encoding"]["x"]["field"] == "date"


def test_brief_markdown_lists_summary_quotes_and_sources(seed_texts):
    md = brief_markdown(hand_brief(seed_texts))
    assert "Russia" in md and "Sergey Ryabkov" in md
    assert "Unilateral concessions from our side are out of the question" in md
