"""Hostile file names and article texts through every page element; uploads named '..'; no key.

The page is driven by AppTest over a corpus holding a file named like the attack in issue 13,
with a hostile title, outlet and text. Every string passed with `unsafe_allow_html` may hold only
the renderer's own tags and attributes; Markdown elsewhere may form no link or image.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import streamlit as st
from bad_helpers import SENTINEL, set_sentinel_keys, snapshot
from streamlit.testing.v1 import AppTest
from stub_servers import stub_endpoint

from chains.models import make_chat_model
from parley import page as ui
from parley.core.schema import (
    Answer,
    AnswerSentence,
    BriefLine,
    Citation,
    Passage,
    Quote,
    Shift,
    SourceSpan,
)
from parley.core.settings import Settings
from parley.render import html as view
from parley.service import Parley
from tests.app_helpers import hand_brief
from vectorstore.embeddings import FakeEmbeddings

APP = Path(__file__).resolve().parent.parent / "app.py"
HOSTILE_NAME = '<iframe srcdoc="<script>alert(3)<&#47;script>">.txt'
XSS = ('<img src=x onerror=alert(1)> "><script>alert(2)</script> '
       "[click](javascript:alert(4)) ![t](http://127.0.0.1:9/t.png) $x$ <b onmouseover=alert(5)>")
ARTICLE = ("Geneva, 3 March. " + XSS + "\n\nThe foreign minister said the talks would resume next "
           "week. “We are ready to listen,” she told reporters after the meeting.\n\n") * 2
OURS = {"div": {"class"}, "mark": {"class", "data-n"}, "sup": {"class"}, "br": set(), "em": set(),
        "small": set(), "style": set(), "ol": set(), "li": set()}
MD_LINK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(")
RAW_TAG = re.compile(r"(?<!\\)<(script|img|iframe|b )")  # "\<" is a literal "<" in Markdown


class Tags(HTMLParser):
    """Every tag and attribute in an HTML string."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, set[str]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {a for a, _ in attrs}))


def only_our_tags(markup: str) -> None:
    p = Tags()
    p.feed(markup)
    for tag, attrs in p.found:
        assert tag in OURS and attrs <= OURS[tag], (tag, attrs, markup[:300])
    if not markup.lstrip().startswith("<"):  # inside an HTML block Markdown is not read
        assert not MD_LINK.search(markup), markup[:300]


@pytest.fixture
def hostile(tmp_path, monkeypatch) -> Parley:
    """A service over one hostile article (file name, title, outlet, text); sentinel keys set."""
    set_sentinel_keys(monkeypatch)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / HOSTILE_NAME).write_text(ARTICLE)
    stem = HOSTILE_NAME.removesuffix(".txt")
    (corpus / f"{stem}.meta.json").write_text(json.dumps(
        {"title": "<script>alert(6)</script> Talks " + XSS, "outlet": XSS, "date": "2022-03-17"}))
    svc = Parley(Settings(data_dir=tmp_path / "data", embedding_backend="fake", llm_backend="fake"),
                 embedder=FakeEmbeddings())
    report = svc.ingest([corpus])
    assert report.added == 1 and not report.skipped, report
    assert svc.store.sources().keys() == {HOSTILE_NAME}
    return svc


def hostile_answer(svc: Parley) -> Answer:
    text = svc.article_text(HOSTILE_NAME)
    start = text.index("<img")
    end = text.index("\n", start)
    cite = Citation(source=HOSTILE_NAME, start=start, end=end, text=text[start:end], n=1)
    chunk = svc.store.all_chunks()[0]
    return Answer(question=XSS, answer=f"{XSS} [1]", citations=[cite], evidence=[cite],
                  sentences=[AnswerSentence(text=XSS, citations=[1]),
                             AnswerSentence(text=XSS, supported=False)],
                  passages=[Passage(chunk=chunk, rank=1, score=1.0)], model=XSS, line=XSS)


def open_page(svc, monkeypatch, **state) -> AppTest:
    st.cache_resource.clear()
    monkeypatch.setattr(ui, "make_service", lambda: svc)
    at = AppTest.from_file(str(APP), default_timeout=60)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def check_page(at: AppTest) -> None:
    """Raw HTML only from the renderer; no Markdown link or image from an article; no key."""
    for m in at.markdown:
        if m.proto.allow_html:
            only_our_tags(m.value)
        else:
            assert not MD_LINK.search(m.value), m.value
        assert SENTINEL not in m.value
    labels = [e.label for e in at.expander] + [c.value for c in at.caption] + [
        w.value for w in at.warning] + [e.value for e in at.error]
    for text in labels:
        assert not MD_LINK.search(text) and not RAW_TAG.search(text) and SENTINEL not in text, text


def test_corpus_tab_escapes_the_hostile_file_name(hostile, monkeypatch):
    at = open_page(hostile, monkeypatch)
    rows = [m.value for m in at.markdown if m.proto.allow_html and "<small>" in m.value]
    assert rows and "&lt;iframe srcdoc=" in rows[0] and "<iframe" not in rows[0]
    check_page(at)


def test_answers_sources_and_passages_are_escaped(hostile, monkeypatch):
    answer = hostile_answer(hostile)
    abstained = answer.model_copy(update={"abstained": True, "abstain_reason": XSS, "citations": []})
    at = open_page(hostile, monkeypatch, messages=[
        {"role": "user", "content": XSS}, {"role": "assistant", "answer": answer},
        {"role": "assistant", "answer": abstained}, {"role": "assistant", "error": XSS}])
    marks = [m.value for m in at.markdown if 'class="parley-cite"' in m.value]
    assert marks and "&lt;img src=x onerror=alert(1)&gt;" in marks[0]
    check_page(at)


def test_brief_elements_are_escaped(hostile, monkeypatch, seed_texts):
    brief = hand_brief(seed_texts)
    quote = brief.quotes[0].model_copy(update={"speaker": XSS, "speaker_title": XSS})
    brief = brief.model_copy(update={
        "summary": [b.model_copy(update={"text": XSS}) for b in brief.summary],
        "claims": [b.model_copy(update={"text": XSS}) for b in brief.claims],
        "quotes": [Quote.model_validate(quote.model_dump())],
        "shifts": [Shift(before=HOSTILE_NAME, after=HOSTILE_NAME, from_label="open",
                         to_label="opposed", kind="shift", note=XSS)],
        "stance": brief.stance.model_copy(update={"rationale": XSS}),
    })
    hostile.actor_names = lambda: ["Russia"]
    hostile.brief = lambda actor, topic=None, **kw: brief
    at = open_page(hostile, monkeypatch, brief=brief)
    check_page(at)


def test_every_render_function_escapes():
    span = SourceSpan(source=HOSTILE_NAME, start=0, end=len(XSS), text=XSS)
    numbers = {(span.source, span.start, span.end): (1, span)}
    shift = Shift(before="a", after="b", from_label="open", to_label="opposed", kind="shift", note=XSS)
    for markup in (
        view.span_html(span, XSS + " tail", n=1), view.span_html(span, None, n=2),
        view.highlight_html(XSS * 3, 5, 40), view.unsupported_html([XSS, HOSTILE_NAME]),
        view.brief_lines_html([BriefLine(text=XSS, citations=[span])], numbers),
        view.shift_html(shift, XSS, HOSTILE_NAME), view.corpus_row_html(XSS, HOSTILE_NAME),
        view.answer_html(Answer(question="q", answer=XSS + " [1]")),
    ):
        only_our_tags(markup)
    assert not MD_LINK.search(view.md_label(XSS))


# --- uploads ---------------------------------------------------------------------------------
class Upload:
    def __init__(self, name: str, data: bytes):
        self.name, self._data = name, data

    def getvalue(self) -> bytes:
        return self._data


@pytest.mark.parametrize("name", ["..", ".", "/", "", "a/..", "..\\.."])
def test_upload_without_a_file_name_is_refused(name, hostile):
    before = snapshot(hostile.settings.data_dir)
    report = ui.ingest_uploads(hostile, [Upload(name, ARTICLE.encode())])
    assert report.added == 0 and len(report.skipped) == 1
    assert "is not a file name; rename the file" in report.skipped[0][1]
    assert snapshot(hostile.settings.data_dir) == before


def test_upload_path_parts_are_dropped(hostile):
    report = ui.ingest_uploads(hostile, [Upload("../../etc/x.txt", ARTICLE.encode() + b"x")])
    assert report.added == 1 and "x.txt" in hostile.store.sources()
    again = ui.ingest_uploads(hostile, [Upload("x.txt", ARTICLE.encode() + b"x")])
    assert again.unchanged == 1  # the same upload again changes nothing
    assert not list((hostile.settings.data_dir / "uploads").iterdir())  # no copies left behind


# --- secrets on the page -----------------------------------------------------------------------
def test_page_never_shows_a_key(hostile, monkeypatch):
    with stub_endpoint("http500_echo") as url:
        settings = Settings(data_dir=hostile.settings.data_dir, embedding_backend="fake",
                            llm_backend="openai", openai_base_url=url.replace("//", f"//u:{SENTINEL}@"),
                            llm_timeout_s=5)
        svc = Parley(settings, model=make_chat_model(settings), embedder=FakeEmbeddings())
        at = open_page(svc, monkeypatch)
        at.chat_input[0].set_value("What did the foreign minister say about the talks?").run()
    assert not at.exception, at.exception
    side = " ".join(m.value for m in at.sidebar.markdown)
    assert "u:" not in side and SENTINEL not in side
    check_page(at)
