"""Typed data at every boundary: articles, chunks, passages, citations, answers, quotes, stances, briefs.

The contract every later piece relies on: a span names a document (`source`, the article's file
name) and a character range `[start, end)` in that article's ORIGINAL text, and
`article.text[start:end] == span.text`. Citations and quotes are spans; they are data, never
markers in prose.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

StanceLabel = Literal["open", "conditional", "opposed", "noncommittal"]
AttributionKind = Literal["direct", "reported", "anonymous", "outlet"]


def content_hash(*parts: str, n: int = 16) -> str:
    """Stable short hash of text parts (ids are content hashes)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:n]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceSpan(_Model):
    """A character range of an article's original text, with the text it covers."""

    source: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str

    @model_validator(mode="after")
    def _ordered(self) -> SourceSpan:
        if self.end < self.start:
            raise ValueError(f"span end {self.end} < start {self.start}")
        return self

    def matches(self, original: str) -> bool:
        """True when the original text reproduces this span exactly."""
        return original[self.start : self.end] == self.text


class ArticleMeta(_Model):
    """What is known about an article beyond its text; a sidecar wins over extraction."""

    title: str | None = None
    outlet: str | None = None
    date: dt.date | None = None
    date_precision: str | None = None
    date_basis: str | None = None
    url: str | None = None
    meta_source: Literal["sidecar", "extracted", "mixed", "none"] = "none"


class Article(_Model):
    """One ingested document. `text` is what every span indexes into."""

    doc_id: str  # the file name: the document's identity
    path: str
    kind: Literal["txt", "md", "html"]
    text: str  # original text (decoded file; for HTML, the extracted main text)
    encoding: str = "utf-8"
    content_hash: str
    meta: ArticleMeta = ArticleMeta()
    kept: list[tuple[int, int]] = []  # spans of `text` that survived cleaning, in order

    @property
    def cleaned_text(self) -> str:
        return "\n\n".join(self.text[s:e] for s, e in self.kept)


class Chunk(_Model):
    """A retrievable passage: a contiguous piece of an article's kept text."""

    id: str
    source: str
    start: int
    end: int
    text: str  # == article.text[start:end]
    index: int  # order within the article
    doc_hash: str
    title: str | None = None
    outlet: str | None = None
    date: dt.date | None = None

    @property
    def span(self) -> SourceSpan:
        return SourceSpan(source=self.source, start=self.start, end=self.end, text=self.text)


class Passage(_Model):
    """A chunk as retrieval returned it, with its rank and scores."""

    chunk: Chunk
    rank: int
    score: float  # fused score (higher is better)
    dense_score: float | None = None  # cosine similarity
    bm25_score: float | None = None

    @property
    def source(self) -> str:
        return self.chunk.source


class Citation(SourceSpan):
    """Numbered evidence for an answer sentence: a sentence-level span, verbatim."""

    n: int = Field(ge=1)
    passage_rank: int | None = None  # which retrieved passage it came from
    support: float = 0.0  # how strongly it supports the sentence it is attached to


class AnswerSentence(_Model):
    text: str
    citations: list[int] = []  # Citation.n values
    supported: bool = True


class Timings(_Model):
    retrieve_s: float = 0.0
    first_token_s: float | None = None
    generate_s: float = 0.0
    cite_s: float = 0.0
    total_s: float = 0.0
    evidence_s: float | None = None  # question in -> evidence sentences shown (no model yet)
    choose_s: float | None = None  # the model's rerank and answerability choices


class Answer(_Model):
    """The structured result of a question."""

    question: str
    standalone_question: str | None = None
    answer: str  # prose with [n] markers that match `citations`
    sentences: list[AnswerSentence] = []
    abstained: bool = False
    abstain_reason: str | None = None
    citations: list[Citation] = []
    passages: list[Passage] = []
    model: str = ""
    timings: Timings = Timings()
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    # evidence-first answers (issue 10): "evidence" = the articles' sentences, chosen by the
    # model, with a one-line answer only when it checks out; "synthesis" = model-written prose
    mode: Literal["evidence", "synthesis"] = "synthesis"
    evidence: list[Citation] = []  # the articles' own sentences answering the question
    line: str | None = None  # the checked one-line answer shown above the evidence
    line_check: str | None = None  # why the model's line was not shown (None: shown or none)
    answerability: float | None = None  # calibrated P(the evidence answers the question)


class Quote(SourceSpan):
    """A ledger entry: who said (or is reported to have said) what, where, verbatim."""

    id: str
    speaker: str | None  # None for anonymous sources / outlet assertions without a name
    speaker_title: str | None = None
    actor: str | None  # the registry actor the speaker belongs to
    kind: AttributionKind
    sentence: SourceSpan  # the whole sentence carrying the quote / report, for context
    date: dt.date | None = None


class Stance(_Model):
    """An actor's position on a topic in one article (or overall)."""

    actor: str
    topic: str
    source: str | None  # None for the overall stance
    label: StanceLabel | None  # None = no position found
    confidence: float = Field(0.0, ge=0.0, le=1.0)
    evidence: list[SourceSpan] = []
    rationale: str | None = None
    date: dt.date | None = None
    # the distribution `confidence` is read from: labels and "none" (no position) → probability
    probabilities: dict[str, float] = {}


class StatementStance(_Model):
    """One statement's stance: its span, label (None: not about the topic) and probabilities."""

    span: SourceSpan
    label: StanceLabel | None
    # calibrated, over the four labels (they sum to 1); "offtopic" apart: P(not about the topic)
    probabilities: dict[str, float]
    offtopic: float = Field(0.0, ge=0.0, le=1.0)
    confidence: float = Field(0.0, ge=0.0, le=1.0)  # probability of `label` (of off-topic when None)
    relevance: float | None = None  # embedding similarity of statement and topic, when measured


class BriefLine(_Model):
    """A sentence of a brief with the spans that support it."""

    text: str
    citations: list[SourceSpan] = []


class TimelineEntry(_Model):
    source: str
    date: dt.date | None
    outlet: str | None = None
    title: str | None = None
    stance: Stance


class Shift(_Model):
    before: str  # source
    after: str
    from_label: StanceLabel
    to_label: StanceLabel
    kind: Literal["shift", "contradiction"]
    note: str


class Coverage(_Model):
    """Which articles a brief read, which carry a position, and what it left out (never silently)."""

    articles: int  # articles where the actor takes a position on the topic
    outlets: int  # distinct named outlets among them
    sources: list[str]
    total_articles: int  # articles in the corpus
    unknown_outlets: int = 0  # of `articles`, how many name no outlet
    relevant: int = 0  # articles with the actor's statements or naming it
    read: int = 0  # of `relevant`, how many the brief read (retrieval, then recency)
    left_out: int = 0  # relevant - read: over the brief policy's article limit
    no_position: int = 0  # read, the actor speaks, but not on the topic
    others_only: int = 0  # articles naming the actor with no statement of its own (others' claims)
    others_only_sources: list[str] = []  # the most recent of them, up to the brief's article limit


class Position(_Model):
    """One distinct position of an actor: its statement as written, and every article carrying it."""

    text: str  # verbatim: the quoted words (direct) or the reporting sentence as written
    kind: AttributionKind  # direct = the speaker's own words; others are reported, never quoted
    speaker: str | None = None
    label: StanceLabel | None = None  # the statement's stance on the brief's topic, when labelled
    confidence: float | None = None  # calibrated probability of `label`
    sources: list[SourceSpan]  # the statement in each article that carries it (first = `text`)
    outlets: list[str] = []  # distinct named outlets carrying it
    unknown_outlets: int = 0  # articles carrying it whose outlet is unknown
    date: dt.date | None = None  # earliest dated article carrying it


class Disagreement(_Model):
    """Outlets disagree about what the actor said: two versions, side by side."""

    left: Position
    right: Position
    note: str


class ArticleAnalysis(_Model):
    """What ingest works out once per article: who it names and its ledger entries."""

    doc_id: str
    content_hash: str
    version: str  # digest of the ledger rules and actor registry the entries came from
    title: str | None = None
    outlet: str | None = None
    date: dt.date | None = None
    mentions: dict[str, int] = {}  # actor id -> times named in the kept text
    quotes: list[Quote] = []


class Brief(_Model):
    actor: str
    topic: str
    summary: list[BriefLine] = []
    stance: Stance
    per_article: list[Stance] = []
    claims: list[BriefLine] = []
    quotes: list[Quote] = []
    timeline: list[TimelineEntry] = []
    undated: list[TimelineEntry] = []
    shifts: list[Shift] = []
    coverage: Coverage
    model: str = ""
    positions: list[Position] = []  # distinct positions, one per statement however many outlets
    disagreements: list[Disagreement] = []
