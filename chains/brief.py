"""Per-actor position briefs: stance per article and overall, claims, quotes, timeline, shifts.

Evidence is the claims ledger (verbatim spans); the model only picks stance labels and evidence
numbers and writes a short summary whose sentences are kept only when a statement supports
them. Undated articles are listed apart, never given an invented date.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser

from chains.citations import EmbedFn, attach_citations
from chains.stance import CUES, StanceChain, number_statements
from parley.core.errors import ParleyError
from parley.core.schema import (
    Article,
    Brief,
    BriefLine,
    Chunk,
    Coverage,
    Passage,
    Quote,
    Shift,
    SourceSpan,
    Stance,
    TimelineEntry,
)
from parley.text.words import content_tokens
from prompts import load_prompt

DEFAULT_TOPIC = "negotiations between the parties"
CLAIM_CUES = CUES["conditional"].pattern + "|" + CUES["opposed"].pattern


def _relevance(spans: list[SourceSpan], topic: str, embed: EmbedFn | None) -> list[float]:
    """How much each statement is about the topic (embedding cosine, else word overlap)."""
    if embed is not None and spans:
        import numpy as np

        v = np.asarray(embed([topic] + [s.text for s in spans]), dtype=np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True) + 1e-9
        return list(v[1:] @ v[0])
    t = set(content_tokens(topic))
    return [len(t & set(content_tokens(s.text))) / (len(t) or 1) for s in spans]


def statements_for(quotes: Sequence[Quote]) -> list[SourceSpan]:
    """The distinct sentences carrying an actor's ledger entries, in text order."""
    seen: dict[tuple[str, int, int], SourceSpan] = {}
    for q in quotes:
        s = q.sentence
        seen.setdefault((s.source, s.start, s.end), s)
    return sorted(seen.values(), key=lambda s: (s.source, s.start))


class BriefChain:
    """Build a Brief for one actor from articles, their ledger and a chat model."""

    def __init__(self, model: BaseChatModel, registry: Any, *, embed: EmbedFn | None = None,
                 max_statements: int = 6, model_name: str = ""):
        self.model = model
        self.registry = registry
        self.embed = embed
        self.max_statements = max_statements
        self.stance = StanceChain(model)
        self.summary_prompt = load_prompt("brief_summary")
        self.model_name = model_name or type(model).__name__

    def run(self, actor: str, articles: Sequence[Article], ledger: Sequence[Quote],
            topic: str | None = None) -> Brief:
        """The brief for `actor` (a registry id, name or alias) on `topic`."""
        topic = topic or DEFAULT_TOPIC
        found = self.registry.resolve(actor)
        if found is None:
            raise ParleyError(f"unknown actor '{actor}': add it (or an alias) to "
                              "PARLEY_DATA_DIR/actors.yaml, or run `parley actors` to see names")
        mine = [q for q in ledger if q.actor == found.id]
        by_source: dict[str, list[Quote]] = defaultdict(list)
        for q in mine:
            by_source[q.source].append(q)

        per_article: list[Stance] = []
        chosen: list[SourceSpan] = []
        for art in articles:
            spans = statements_for(by_source.get(art.doc_id, []))
            rel = _relevance(spans, topic, self.embed)
            top = sorted(zip(rel, range(len(spans)), spans, strict=True), reverse=True)[: self.max_statements]
            keep = [s for _, _, s in sorted(top, key=lambda x: x[1])]
            st = self.stance.classify(found.name, topic, keep, source=art.doc_id, date=art.meta.date)
            per_article.append(st)
            chosen += keep

        overall = self._overall(found.name, topic, per_article)
        timeline, undated = self._timeline(articles, per_article)
        return Brief(
            actor=found.name, topic=topic, stance=overall, per_article=per_article,
            summary=self._summary(found.name, topic, chosen),
            claims=self._claims(per_article), quotes=sorted(
                [q for q in mine if q.kind == "direct"], key=lambda q: (str(q.date), q.source, q.start)),
            timeline=timeline, undated=undated, shifts=self._shifts(timeline),
            coverage=self._coverage(articles, per_article), model=self.model_name,
        )

    def _overall(self, name: str, topic: str, stances: list[Stance]) -> Stance:
        labelled = [s for s in stances if s.label]
        if not labelled:
            return Stance(actor=name, topic=topic, source=None, label=None, rationale="no position found")
        weight: Counter[str] = Counter()
        for s in labelled:
            weight[s.label] += s.confidence or 0.1
        label, w = weight.most_common(1)[0]
        share = w / sum(weight.values())
        evidence = [e for s in labelled if s.label == label for e in s.evidence][:4]
        return Stance(actor=name, topic=topic, source=None, label=label,  # type: ignore[arg-type]
                      confidence=round(share * max(s.confidence for s in labelled if s.label == label), 3),
                      evidence=evidence,
                      rationale=f"{sum(1 for s in labelled if s.label == label)} of {len(labelled)} "
                                f"articles with a position say {label}")

    def _summary(self, name: str, topic: str, statements: list[SourceSpan]) -> list[BriefLine]:
        if not statements:
            return []
        statements = statements[:8]
        system, user = self.summary_prompt.render(actor=name, topic=topic,
                                                  statements=number_statements(statements))
        text = (self.model | StrOutputParser()).invoke([SystemMessage(system), HumanMessage(user)])
        passages = [Passage(chunk=Chunk(id=f"s{i}", source=s.source, start=s.start, end=s.end, text=s.text,
                                        index=i, doc_hash=""), rank=i, score=1.0)
                    for i, s in enumerate(statements, 1)]
        attached = attach_citations(text, passages, embed=self.embed)
        by_n = {c.n: c for c in attached.citations}
        lines = [BriefLine(text=s.text, citations=[SourceSpan(**by_n[n].model_dump(
            include={"source", "start", "end", "text"})) for n in s.citations])
            for s in attached.sentences if s.supported][:4]
        if len(lines) < 2:  # the model's summary did not hold up: quote the evidence instead
            lines = [BriefLine(text=s.text, citations=[s]) for s in statements[:3]]
        return lines

    @staticmethod
    def _claims(stances: list[Stance]) -> list[BriefLine]:
        import re

        rx = re.compile(CLAIM_CUES, re.I)
        seen, out = set(), []
        for st in stances:
            for e in st.evidence:
                key = (e.source, e.start)
                if key in seen:
                    continue
                seen.add(key)
                out.append((0 if rx.search(e.text) else 1, BriefLine(text=e.text, citations=[e])))
        return [b for _, b in sorted(out, key=lambda x: x[0])][:8]

    @staticmethod
    def _timeline(articles: Sequence[Article], stances: list[Stance]):
        dated, undated = [], []
        for art, st in zip(articles, stances, strict=True):
            if st.label is None:
                continue
            entry = TimelineEntry(source=art.doc_id, date=art.meta.date, outlet=art.meta.outlet,
                                  title=art.meta.title, stance=st)
            (dated if art.meta.date else undated).append(entry)
        dated.sort(key=lambda e: e.date)
        return dated, undated

    @staticmethod
    def _shifts(timeline: list[TimelineEntry]) -> list[Shift]:
        out = []
        for a, b in zip(timeline, timeline[1:], strict=False):
            la, lb = a.stance.label, b.stance.label
            if la and lb and la != lb:
                close = abs((b.date - a.date).days) <= 7
                kind = "contradiction" if close and {la, lb} == {"open", "opposed"} else "shift"
                out.append(Shift(before=a.source, after=b.source, from_label=la, to_label=lb, kind=kind,
                                 note=f"{la} on {a.date} → {lb} on {b.date}"))
        return out

    @staticmethod
    def _coverage(articles: Sequence[Article], stances: list[Stance]) -> Coverage:
        used = [a for a, s in zip(articles, stances, strict=True) if s.label]
        outlets = {a.meta.outlet for a in used if a.meta.outlet}
        return Coverage(articles=len(used), outlets=len(outlets), sources=[a.doc_id for a in used],
                        total_articles=len(articles))
