"""Attach and verify citations: every answer sentence is matched to the retrieved sentence that supports it.

Small models rarely write `[n]` markers and often cite the wrong passage, so Parley decides
citations itself: it scores each answer sentence against every sentence of every retrieved
passage (lexical overlap with fuzzy name matching, plus embedding similarity when an embedder
is given). A model-written marker survives only when the passage it names really supports the
sentence; ids that were not retrieved are dropped; a sentence nothing supports is marked
unsupported and never shown as cited. At most two citations per sentence, the second only
when it adds support the first lacks — citing every passage is a bug, not a feature.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel

from chains.guard import injection_spans, overlaps_injection
from parley.core.schema import AnswerSentence, Citation, Passage
from parley.text.sentences import split_sentences
from parley.text.words import content_tokens, in_pool, tokens

MARKER = re.compile(r"\s*\[(?:(?:doc(?:ument)?|source|passage)\s*)?(\d+(?:\s*[,;]\s*\d+)*)\]", re.I)


class CitationPolicy(BaseModel):
    """Thresholds of the support score (0..1) used to attach citations to model-written prose.

    Not measured: set by hand when the synthesis path was written and kept since because the
    eval runs that followed (evals/reports/seeds-52, `parley eval --fixtures all`) showed
    citation precision 0.89-0.91 with them. Evidence-first answers do not use them (an evidence
    sentence is its own citation). A variant can override them (`policy: {citation: ...}`).
    """

    min_support: float = 0.45  # an automatic citation needs this much support
    min_marker_support: float = 0.3  # a model-written marker is kept above this
    second_ratio: float = 0.85  # a second citation must score this close to the best…
    second_gain: float = 0.2  # …and cover this share of the sentence the first did not
    lexical_weight: float = 0.6  # rest goes to embedding similarity when an embedder is given
    min_entity_recall: float = 0.6  # names/numbers of the sentence the passage must contain


@dataclass
class Candidate:
    """A sentence of a retrieved passage, in original-text coordinates."""

    pid: int  # 1-based passage id as shown to the model
    passage: Passage
    start: int
    end: int
    text: str
    toks: dict[str, float] = field(default_factory=dict)
    context: dict[str, float] = field(default_factory=dict)  # tokens of the whole passage


def _weighted_tokens(text: str) -> dict[str, float]:
    """Content tokens with weights: names and numbers (entities) count double."""
    out: dict[str, float] = {}
    words = re.findall(r"[\w][\w'’]*", text)
    for i, w in enumerate(words):
        toks = content_tokens(w)
        if not toks:
            continue
        weight = 2.0 if (w[:1].isupper() and i > 0) or w[:1].isdigit() else 1.0
        for t in toks:
            out[t] = max(out.get(t, 0.0), weight)
    return out


def candidates(passages: Sequence[Passage]) -> list[Candidate]:
    """Split every passage into sentence candidates, skipping instruction-like text."""
    out: list[Candidate] = []
    for pid, p in enumerate(passages, 1):
        ch = p.chunk
        bad = injection_spans(ch.text)
        context = _weighted_tokens(ch.text)
        for s, e in split_sentences(ch.text):
            if overlaps_injection(bad, s, e):
                continue
            text = ch.text[s:e]
            out.append(
                Candidate(pid, p, ch.start + s, ch.start + e, text, _weighted_tokens(text), context)
            )
    return out


def lexical_support(sentence: dict[str, float], cand: dict[str, float]) -> tuple[float, set[str]]:
    """Weighted share of the sentence's content tokens found in the candidate."""
    total = sum(sentence.values())
    if not total:
        return 0.0, set()
    hit = {t for t in sentence if in_pool(t, cand)}
    return sum(sentence[t] for t in hit) / total, hit


def entity_recall(sentence: dict[str, float], context: dict[str, float]) -> float:
    """Share of the sentence's names and numbers found in the passage (1.0 when it has none).

    A sentence that names someone the passage never mentions is not supported by it, however
    many other words overlap ("Thomas-Greenfield held the first contact" ≠ Sullivan's call).
    """
    ents = [t for t, w in sentence.items() if w > 1.0]
    if not ents:
        return 1.0
    return sum(1 for t in ents if in_pool(t, context)) / len(ents)


def strip_markers(text: str) -> tuple[str, list[int]]:
    """Remove [n] markers from a sentence, returning the clean text and the ids it named."""
    ids: list[int] = []
    for m in MARKER.finditer(text):
        ids += [int(x) for x in re.split(r"\s*[,;]\s*", m.group(1))]
    return MARKER.sub("", text).strip(), ids


def with_markers(text: str, ns: list[int]) -> str:
    """The sentence with [n] markers before its final punctuation."""
    marks = "".join(f"[{n}]" for n in ns)
    m = re.search(r"[.!?…]+[\"'”’»)]*$", text)
    return f"{text[: m.start()]} {marks}{text[m.start():]}" if m else f"{text} {marks}"


@dataclass
class Attached:
    sentences: list[AnswerSentence]
    citations: list[Citation]
    answer: str  # supported sentences with [n] markers


EmbedFn = Callable[[list[str]], list[list[float]]]


class CachedEmbed:
    """Wrap an embed function so each distinct text is embedded once per question."""

    def __init__(self, embed: EmbedFn):
        self.embed = embed
        self.cache: dict[str, list[float]] = {}

    def __call__(self, texts: list[str]) -> list[list[float]]:
        todo = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if todo:
            self.cache.update(zip(todo, self.embed(todo), strict=True))
        return [self.cache[t] for t in texts]


def attach_citations(
    answer_text: str,
    passages: Sequence[Passage],
    *,
    embed: EmbedFn | None = None,
    policy: CitationPolicy | None = None,
) -> Attached:
    """Turn a model's answer into cited sentences with verified, sentence-level spans."""
    policy = policy or CitationPolicy()
    cands = candidates(passages)
    raw = [answer_text[s:e] for s, e in split_sentences(answer_text)]
    parsed = [strip_markers(s) for s in raw]
    parsed = [(t, ids) for t, ids in parsed if tokens(t)]
    sims = _similarities([t for t, _ in parsed], cands, embed)

    by_key: dict[tuple[str, int, int], Citation] = {}
    sentences: list[AnswerSentence] = []
    for i, (text, marked) in enumerate(parsed):
        wt = _weighted_tokens(text)
        scored = []
        for j, c in enumerate(cands):
            lex, hit = lexical_support(wt, c.toks)
            if entity_recall(wt, c.context) < policy.min_entity_recall:
                scored.append((0.0, hit, c))
                continue
            score = lex
            if sims is not None:
                w = policy.lexical_weight
                score = w * lex + (1 - w) * max(0.0, float(sims[i, j]))
            scored.append((score, hit, c))
        chosen = _choose(scored, marked, wt, policy)
        ns = []
        for score, c in chosen:
            key = (c.passage.source, c.start, c.end)
            if key not in by_key:
                by_key[key] = Citation(
                    n=len(by_key) + 1, source=c.passage.source, start=c.start, end=c.end,
                    text=c.text, passage_rank=c.pid, support=round(score, 3),
                )
            ns.append(by_key[key].n)
        sentences.append(AnswerSentence(text=text, citations=ns, supported=bool(ns)))
    answer = " ".join(with_markers(s.text, s.citations) for s in sentences if s.supported)
    return Attached(sentences, list(by_key.values()), answer)


def _similarities(texts: list[str], cands: list[Candidate], embed: EmbedFn | None):
    if embed is None or not texts or not cands:
        return None
    vecs = np.asarray(embed(texts + [c.text for c in cands]), dtype=np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
    return vecs[: len(texts)] @ vecs[len(texts) :].T


def _choose(scored, marked: list[int], wt: dict[str, float], policy: CitationPolicy):
    """Pick at most two supporting candidates, preferring verified model markers."""
    if not scored:
        return []
    ranked = sorted(scored, key=lambda x: -x[0])
    first = None
    for pid in marked:  # a marker is honoured only if its passage supports the sentence
        floor = max(policy.min_marker_support, policy.second_ratio * ranked[0][0])
        inside = [x for x in ranked if x[2].pid == pid and x[0] >= floor]
        if inside:
            first = inside[0]
            break
    if first is None and ranked[0][0] >= policy.min_support:
        first = ranked[0]
    if first is None:
        return []
    chosen = [(first[0], first[2])]
    covered = first[1]
    total = sum(wt.values()) or 1.0
    for score, hit, c in ranked:
        if c is first[2] or score < max(policy.min_support, policy.second_ratio * first[0]):
            continue
        gain = sum(wt[t] for t in hit - covered) / total
        if gain >= policy.second_gain:
            chosen.append((score, c))
            break
    return chosen


def verify_passages(passages: Sequence[Passage], resolve: Callable[[str], str | None]) -> list[Passage]:
    """Keep passages whose span still reproduces their text in the stored original (no stale index)."""
    out = []
    for p in passages:
        original = resolve(p.source)
        if original is None or original[p.chunk.start : p.chunk.end] == p.chunk.text:
            out.append(p)
    return out
