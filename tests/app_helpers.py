"""Shared by the page tests: the page opened on a fake service, scripted models, a hand-made brief."""

from __future__ import annotations

import html
import re
from pathlib import Path

import streamlit as st
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from streamlit.testing.v1 import AppTest

from parley import page as ui
from parley.core.errors import ModelError
from parley.core.schema import (
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
from parley.service import Parley
from tests.choice_helpers import logprob_model
from vectorstore.embeddings import FakeEmbeddings

APP = Path(__file__).resolve().parent.parent / "app.py"
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


def seeded_service(tmp_path: Path, seeds_dir: Path, model, mode: str = "synthesis",
                   line: bool = False) -> Parley:
    """A Parley over the seeds: fake embeddings, real on-disk Chroma, the given chat model."""
    settings = Settings(data_dir=tmp_path / "data", embedding_backend="fake", llm_backend="fake",
                        answer_mode=mode, answer_line=line)
    svc = Parley(settings, model=model, embedder=FakeEmbeddings())
    report = svc.ingest([seeds_dir])
    assert report.added == 5 and not report.skipped
    return svc


def page_opener(monkeypatch):
    """A function that opens the page on a given service (the `page` fixture of the page tests)."""

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
