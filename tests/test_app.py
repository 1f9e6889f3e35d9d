"""The page, driven offline by AppTest with the service factory replaced by fakes over the seeds."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import streamlit as st
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from streamlit.testing.v1 import AppTest

from parley import page as ui
from parley.core.errors import ModelError, StoreError
from parley.core.schema import (
    Article,
    ArticleMeta,
    Brief,
    BriefLine,
    Coverage,
    Quote,
    Shift,
    SourceSpan,
    Stance,
    TimelineEntry,
)
from parley.core.settings import Settings
from parley.render import html as view
from parley.render.markdown import brief_markdown
from parley.service import Parley
from tests.brief_helpers import seed_scorer
from tests.choice_helpers import logprob_model
from tests.qa_helpers import fake_model
from vectorstore.embeddings import FakeEmbeddings

APP = Path(__file__).resolve().parent.parent / "app.py"
QUESTION = "Who held the first high-level US-Russia contact after the invasion?"
CITED = "Jake Sullivan held a conversation with Nikolai Patrushev [1]."
UNSUPPORTED = "The summit ended with a signed peace treaty in Istanbul."
MARK = re.compile(r'<mark class="parley-cite" data-n="(\d+)">(.*?)</mark>', re.S)


class FailingModel(GenericFakeChatModel):
    """A chat model whose endpoint is down."""

    def _stream(self, *args, **kwargs):
        raise ModelError("PARLEY_OPENAI_BASE_URL=http://127.0.0.1:9/v1 is not answering: start it")
        yield  # pragma: no cover - makes this a generator

    def _generate(self, *args, **kwargs):
        raise ModelError("PARLEY_OPENAI_BASE_URL=http://127.0.0.1:9/v1 is not answering: start it")


def qa_model(*replies: str, yes: float = 0.9):
    """Choices by logprobs (Yes/No, sentence numbers); other prompts get the replies in turn."""
    queue = list(replies)

    def score(text: str) -> dict[str, float]:
        if "Reply Yes or No" in text:
            p = 0.5 if "Question: N/A" in text else yes
            return {"Yes": p, "No": 1 - p}
        if "number only" in text:
            return {"1": 0.6, "2": 0.4}
        return {(queue.pop(0) if len(queue) > 1 else queue[0]): 1.0}

    return logprob_model(score)


def seeded_service(tmp_path: Path, seeds_dir: Path, model, mode: str = "synthesis") -> Parley:
    """A Parley over the seeds: fake embeddings, real on-disk Chroma, the given chat model."""
    settings = Settings(data_dir=tmp_path / "data", embedding_backend="fake", llm_backend="fake",
                        answer_mode=mode)
    svc = Parley(settings, model=model, embedder=FakeEmbeddings())
    report = svc.ingest([seeds_dir])
    assert report.added == 5 and not report.skipped
    return svc


@pytest.fixture
def page(monkeypatch):
    """Return a function that opens the page on a given service."""

    def open_page(svc) -> AppTest:
        st.cache_resource.clear()  # the page caches its service per process
        monkeypatch.setattr(ui, "make_service", lambda: svc)
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.run()
        assert not at.exception, at.exception
        return at

    return open_page


def marks(at: AppTest) -> list[tuple[int, str]]:
    """(n, text) of every highlighted citation on the page."""
    return [(int(n), html.unescape(t)) for m in at.markdown for n, t in MARK.findall(m.value)]


def test_ask_streams_then_shows_cited_answer_with_highlighted_quote(page, tmp_path, seeds_dir,
                                                                    seed_texts):
    svc = seeded_service(tmp_path, seeds_dir, qa_model(f"{CITED} {UNSUPPORTED}"))
    at = page(svc)
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception, at.exception

    answer = at.session_state.messages[-1]["answer"]
    assert not answer.abstained and answer.citations
    found = dict(marks(at))
    for c in answer.citations:
        # the highlighted text is exactly the cited quote, which is exactly the article's text
        assert found[c.n] == c.text == seed_texts[c.source][c.start : c.end]
    labels = [e.label for e in at.expander]
    assert any(lbl.startswith("[1]") and "2022-03-17" in lbl for lbl in labels)
    shown = " ".join(m.value for m in at.markdown if 'class="parley-answer"' in m.value)
    assert "Sullivan" in shown and "Istanbul" not in shown
    flagged = [m.value for m in at.markdown if 'class="parley-unsupported"' in m.value]
    assert flagged and "Istanbul" in flagged[0]


def test_evidence_mode_shows_the_articles_sentences_and_no_unchecked_line(page, tmp_path,
                                                                         seeds_dir, seed_texts):
    svc = seeded_service(tmp_path, seeds_dir, qa_model(f"{CITED} {UNSUPPORTED}"), mode="evidence")
    at = page(svc)
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception, at.exception
    answer = at.session_state.messages[-1]["answer"]
    assert answer.mode == "evidence" and not answer.abstained and answer.line is None
    found = dict(marks(at))
    for c in answer.citations:  # every evidence sentence opens highlighted in its article
        assert found[c.n] == c.text == seed_texts[c.source][c.start : c.end]
    shown = " ".join(m.value for m in at.markdown if 'class="parley-answer"' in m.value)
    assert "Patrushev" in shown and "Istanbul" not in shown
    assert any("No one-line answer" in c.value for c in at.caption)


def test_follow_up_passes_history_and_clear_empties_it(page, tmp_path, seeds_dir):
    svc = seeded_service(
        tmp_path, seeds_dir,
        qa_model(CITED, "Who did Jake Sullivan speak with?", "He spoke with Nikolai Patrushev [1]."),
    )
    seen = []
    stream = svc.stream
    svc.stream = lambda q, h=(): (seen.append((q, list(h))), stream(q, h))[1]
    at = page(svc)
    at.chat_input[0].set_value(QUESTION).run()
    at.chat_input[0].set_value("And who did he speak with?").run()
    assert not at.exception, at.exception
    assert seen[0][1] == []
    assert seen[1][1][0] == ("user", QUESTION)
    assert seen[1][1][1][0] == "assistant" and "Sullivan" in seen[1][1][1][1]
    assert len(at.chat_message) == 4

    [b for b in at.button if b.label == "Clear conversation"][0].click().run()
    assert at.session_state.messages == [] and len(at.chat_message) == 0


def test_abstention_is_shown_with_nearest_passages(page, tmp_path, seeds_dir):
    at = page(seeded_service(tmp_path, seeds_dir, qa_model("NOT IN ARTICLES", yes=0.05)))
    at.chat_input[0].set_value("What did Ryabkov say about the talks on January 10?").run()
    assert not at.exception, at.exception
    assert any("The articles don" in m.value for m in at.markdown)
    assert any("Why no answer" in c.value for c in at.caption)
    assert any("Nearest passages" in m.value for m in at.markdown)
    assert any('class="parley-near"' in m.value for m in at.markdown)
    assert marks(at) == []  # nothing is presented as cited


def test_model_error_is_one_readable_line(page, tmp_path, seeds_dir):
    at = page(seeded_service(tmp_path, seeds_dir, FailingModel(messages=iter([]))))
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception, at.exception
    assert "is not answering" in at.error[0].value
    assert at.session_state.messages[-1]["error"]


def test_service_that_cannot_start_shows_error(monkeypatch):
    def broken():
        raise StoreError("PARLEY_CHROMA_URL=http://127.0.0.1:9 is unreachable: start chroma")

    st.cache_resource.clear()
    monkeypatch.setattr(ui, "make_service", broken)
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception
    assert at.error[0].value.startswith("Parley could not start: PARLEY_CHROMA_URL")


def test_sidebar_shows_active_settings(page, tmp_path, seeds_dir):
    svc = seeded_service(tmp_path, seeds_dir, fake_model("x"))
    at = page(svc)
    side = " ".join(m.value for m in at.sidebar.markdown)
    for value in svc.settings.describe().values():
        assert value in side
    assert "5 ingested" in side


# --- briefs --------------------------------------------------------------------------------
def _span(texts: dict[str, str], source: str, phrase: str) -> SourceSpan:
    start = texts[source].index(phrase)
    return SourceSpan(source=source, start=start, end=start + len(phrase), text=phrase)


def hand_brief(texts: dict[str, str]) -> Brief:
    """A brief over the seeds, with real spans: two dated articles and the undated one."""
    s0 = _span(texts, "000_997b5712c965d847.txt", "They are specific contacts")
    s1 = _span(texts, "001_a8fea508baf53730.txt", "Russia is always open to negotiations with Ukraine")
    s3 = _span(texts, "003_b571c39c7b842e1b.txt",
               "Unilateral concessions from our side are out of the question")
    st0 = Stance(actor="Russia", topic="negotiations", source=s0.source, label="noncommittal",
                 confidence=0.6, evidence=[s0])
    st1 = Stance(actor="Russia", topic="negotiations", source=s1.source, label="open",
                 confidence=0.8, evidence=[s1])
    st3 = Stance(actor="Russia", topic="negotiations", source=s3.source, label="conditional",
                 confidence=0.7, evidence=[s3])
    quote = Quote(**s3.model_dump(), id="q1", speaker="Sergey Ryabkov",
                  speaker_title="Deputy Foreign Minister", actor="Russia", kind="direct",
                  sentence=s3)
    return Brief(
        actor="Russia", topic="negotiations",
        summary=[BriefLine(text="Moscow calls its US talks specific contacts.", citations=[s0]),
                 BriefLine(text="The Kremlin says it is open to talks.", citations=[s1])],
        stance=Stance(actor="Russia", topic="negotiations", source=None, label="conditional",
                      confidence=0.7, rationale="Open in words, with conditions."),
        per_article=[st0, st1, st3],
        claims=[BriefLine(text="No unilateral concessions.", citations=[s3])],
        quotes=[quote],
        timeline=[TimelineEntry(source=s0.source, date="2022-03-17", title="Contacts", stance=st0),
                  TimelineEntry(source=s1.source, date="2022-11-08", title="Open", stance=st1)],
        undated=[TimelineEntry(source=s3.source, date=None, title="Talks unlikely", stance=st3)],
        shifts=[Shift(before=s0.source, after=s1.source, from_label="noncommittal",
                      to_label="open", kind="shift", note="from contacts to openness")],
        coverage=Coverage(articles=3, outlets=3, sources=[s0.source, s1.source, s3.source],
                          total_articles=5),
    )


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


# --- corpus --------------------------------------------------------------------------------
class FakeUpload:
    """What st.file_uploader hands back: a name and bytes."""

    def __init__(self, name: str, data: bytes):
        self.name, self._data = name, data

    def getvalue(self) -> bytes:
        return self._data


def test_upload_ingests_reports_skips_and_remove_drops_chunks(page, tmp_path, seeds_dir):
    settings = Settings(data_dir=tmp_path / "data", embedding_backend="fake", llm_backend="fake")
    svc = Parley(settings, model=fake_model("x"), embedder=FakeEmbeddings())
    seed = sorted(seeds_dir.glob("*.txt"))[0]
    steps = []
    report = ui.ingest_uploads(
        svc, [FakeUpload(f"../../{seed.name}", seed.read_bytes()), FakeUpload("empty.txt", b"")],
        on_progress=lambda f, t: steps.append(f),
    )
    assert report.files == 2 and report.added == 1 and report.chunks > 0
    assert [f for f, _ in report.skipped] == ["empty.txt"] and report.skipped[0][1]
    assert steps[0] == 0.0 and steps[-1] == 1.0
    assert seed.name in svc.store.sources()

    at = page(svc)
    remove = at.button(key=f"rm_{seed.name}")
    remove.click().run()
    assert not at.exception, at.exception
    assert seed.name not in svc.store.sources() and svc.articles() == []


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
