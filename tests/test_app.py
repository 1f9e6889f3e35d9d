"""The page (Ask, sidebar, Corpus), driven offline by AppTest with fakes over the seeds (Briefs: test_app_briefs.py)."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from parley import page as ui
from parley.core.errors import StoreError
from parley.core.settings import Settings
from parley.service import Parley
from tests.app_helpers import (
    APP,
    FailingModel,
    marks,
    page_opener,
    qa_model,
    seeded_service,
)
from tests.qa_helpers import fake_model
from vectorstore.embeddings import FakeEmbeddings

QUESTION = "Who held the first high-level US-Russia contact after the invasion?"
CITED = "Jake Sullivan held a conversation with Nikolai Patrushev [1]."
UNSUPPORTED = "The summit ended with a signed peace treaty in Istanbul."


@pytest.fixture
def page(monkeypatch):
    """Return a function that opens the page on a given service."""
    return page_opener(monkeypatch)


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
    svc = seeded_service(tmp_path, seeds_dir, qa_model(f"{CITED} {UNSUPPORTED}"), mode="evidence",
                         line=True)
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


def test_corpus_rows_filter_and_page():
    rows = [{"doc_id": f"{i:03d}.txt", "title": f"Talks {i}" if i % 2 else f"Sanctions {i}",
             "outlet": "Reuters" if i < 60 else "—", "date": "2022-01-10", "chunks": 3} for i in range(120)]
    assert len(ui.filter_rows(rows, "")) == 120
    assert [r["doc_id"] for r in ui.filter_rows(rows, "sanctions REUTERS 05")] == ["050.txt", "052.txt", "054.txt", "056.txt", "058.txt"]
    assert ui.filter_rows(rows, "no such words") == []
    part, at, pages = ui.page_of(rows, 3)
    assert (pages, at, [r["doc_id"] for r in part][:1], len(part)) == (3, 3, ["100.txt"], 20)
    assert ui.page_of(rows, 99)[1] == 3 and ui.page_of(rows, 0)[1] == 1  # clamped into range
    assert ui.page_of([], 1) == ([], 1, 1)


def test_corpus_filter_narrows_the_table(page, tmp_path, seeds_dir):
    svc = seeded_service(tmp_path, seeds_dir, fake_model("x"))
    at = page(svc)
    assert any(m.value == "#### 5 documents" for m in at.markdown)
    first = sorted(seeds_dir.glob("*.txt"))[0].name
    at.text_input(key="corpus_filter").input(first).run()
    assert not at.exception, at.exception
    assert any(m.value == "#### 1 of 5 documents" for m in at.markdown)
    assert [b.key for b in at.button if (b.key or "").startswith("rm_")] == [f"rm_{first}"]


def test_corpus_pages_through_the_documents(page, tmp_path, seeds_dir, monkeypatch):
    monkeypatch.setattr(ui, "CORPUS_PAGE", 2)  # 5 seeds: 3 pages of 2, 2, 1
    svc = seeded_service(tmp_path, seeds_dir, fake_model("x"))
    at = page(svc)
    names = sorted(p.name for p in seeds_dir.glob("*.txt"))
    shown = [b.key for b in at.button if (b.key or "").startswith("rm_")]
    assert len(shown) == 2 and "Showing 1–2 of 5" in [c.value for c in at.caption]
    at.number_input(key="corpus_page").set_value(3).run()
    assert not at.exception, at.exception
    last = [b.key for b in at.button if (b.key or "").startswith("rm_")]
    assert len(last) == 1 and last[0][3:] in names and last[0] not in shown
    assert "Showing 5–5 of 5" in [c.value for c in at.caption]


def test_corpus_page_number_survives_a_narrower_filter(page, tmp_path, seeds_dir, monkeypatch):
    monkeypatch.setattr(ui, "CORPUS_PAGE", 1)  # 5 seeds: 5 pages of 1
    svc = seeded_service(tmp_path, seeds_dir, fake_model("x"))
    at = page(svc)
    at.number_input(key="corpus_page").set_value(5).run()
    assert not at.exception, at.exception
    at.text_input(key="corpus_filter").input("00").run()  # every seed id has "00": still 5
    at.text_input(key="corpus_filter").input("000_ 001_").run()  # no document has both: none
    assert not at.exception, at.exception
    at.text_input(key="corpus_filter").input(".txt 2022").run()  # the dated seeds: fewer pages than 5
    assert not at.exception, at.exception
    shown = [b.key for b in at.button if (b.key or "").startswith("rm_")]
    assert len(shown) == 1
