"""Deterministic eval metrics: retrieval, facts, abstention, misreadings, citations (ALCE-style), latency.

Pure functions over `parley.core.schema` types and the original texts (`dict[source, text]`).
Per-answer citation metrics return None when there is nothing to score (an abstention, an
answer without citations); average them with `mean_defined`. The lexical support rule lives in
`evals/support.py` and is documented there. Stance metrics live in `evals/stance_metrics.py`
and are re-exported here, so every caller imports its metrics from one place.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel

from evals.fixtures import QAFixture
from evals.stance_metrics import ClassScores as ClassScores  # re-exported
from evals.stance_metrics import StanceReport as StanceReport
from evals.stance_metrics import accuracy as accuracy
from evals.stance_metrics import confusion_matrix as confusion_matrix
from evals.stance_metrics import macro_f1 as macro_f1
from evals.stance_metrics import stance_report as stance_report
from evals.support import fact_present, supports
from parley.core.schema import Answer, AnswerSentence, Citation, Passage
from parley.text.sentences import split_sentences

# "[1]", "[1, 2]", "[1][3]" — markers the answer prose carries
MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# an uncited sentence that says the sources do not answer is an abstention, not a claim
_ABSTAIN = re.compile(
    r"\b(articles?|sources?|texts?|documents?|passages?|context|reports?)\b[^.]*"
    r"\b(do(es)?\s*n[o']t|did\s*n[o']t|not|never|no)\b"
    r"|\bno information\b|\bI (do not|don't|cannot|can't) (know|find|tell|say)\b",
    re.IGNORECASE,
)


# ---------------------------------------------------------------- retrieval


def _ranked_sources(passages: Sequence[Passage], k: int | None) -> list[str]:
    ranked = sorted(passages, key=lambda p: p.rank)
    return [p.source for p in (ranked if k is None else ranked[:k])]


def recall_at_k(passages: Sequence[Passage], gold_sources: Iterable[str], k: int) -> float:
    """Share of gold sources that appear among the top-k passages (by rank)."""
    gold = set(gold_sources)
    if not gold:
        raise ValueError("recall_at_k needs at least one gold source")
    return len(gold & set(_ranked_sources(passages, k))) / len(gold)


def mrr(passages: Sequence[Passage], gold_sources: Iterable[str], k: int | None = None) -> float:
    """Reciprocal of the 1-based position of the first passage from a gold source (0 if none)."""
    gold = set(gold_sources)
    if not gold:
        raise ValueError("mrr needs at least one gold source")
    for pos, source in enumerate(_ranked_sources(passages, k), start=1):
        if source in gold:
            return 1.0 / pos
    return 0.0


# ---------------------------------------------------------------- facts and abstention


def fact_recall(answer_text: str, facts: Sequence[Sequence[str]]) -> float:
    """Share of facts with at least one accepted phrasing in the answer (1.0 when none required)."""
    if not facts:
        return 1.0
    return sum(fact_present(answer_text, f) for f in facts) / len(facts)


def forbidden_present(answer_text: str, forbidden: Sequence[Sequence[str]]) -> bool:
    """True when the answer makes a forbidden claim (any phrasing of one, matched like facts)."""
    return any(fact_present(answer_text, claim) for claim in forbidden)


def forbidden_rate(pairs: Sequence[tuple[Answer, QAFixture]]) -> float | None:
    """Share of items with forbidden claims whose answer makes one (None: no such items).

    Only answerable items carry forbidden claims (the loader enforces it); an abstention makes
    no claim and counts as clean — false abstentions are scored by `abstention_report`.
    """
    scored = [(a, f) for a, f in pairs if f.forbidden]
    if not scored:
        return None
    return sum(forbidden_present(a.answer, f.forbidden) for a, f in scored) / len(scored)


class AbstentionReport(BaseModel):
    """How well a system abstained exactly on the unanswerable items."""

    n: int
    answerable: int
    unanswerable: int
    accuracy: float  # abstained == not answerable
    false_abstentions: int  # abstained on an answerable item
    false_abstention_rate: float | None  # over answerable items
    missed_abstentions: int  # answered an unanswerable item
    missed_abstention_rate: float | None  # over unanswerable items


def abstention_report(pairs: Sequence[tuple[Answer, QAFixture]]) -> AbstentionReport:
    """Score abstention decisions over (answer, fixture) pairs."""
    if not pairs:
        raise ValueError("abstention_report needs at least one (answer, fixture) pair")
    ans = [f for _, f in pairs if f.answerable]
    false_abs = sum(1 for a, f in pairs if f.answerable and a.abstained)
    missed = sum(1 for a, f in pairs if not f.answerable and not a.abstained)
    n_unans = len(pairs) - len(ans)
    return AbstentionReport(
        n=len(pairs),
        answerable=len(ans),
        unanswerable=n_unans,
        accuracy=(len(pairs) - false_abs - missed) / len(pairs),
        false_abstentions=false_abs,
        false_abstention_rate=false_abs / len(ans) if ans else None,
        missed_abstentions=missed,
        missed_abstention_rate=missed / n_unans if n_unans else None,
    )


def abstention_accuracy(pairs: Sequence[tuple[Answer, QAFixture]]) -> float:
    """Share of items where the system abstained exactly when the item is unanswerable."""
    return abstention_report(pairs).accuracy


def false_abstention_rate(pairs: Sequence[tuple[Answer, QAFixture]]) -> float | None:
    """Share of answerable items the system abstained on (None without answerable items)."""
    return abstention_report(pairs).false_abstention_rate


# ---------------------------------------------------------------- citations


def _markers(text: str) -> tuple[str, list[int]]:
    """Strip [n] markers from text and return (clean text, cited numbers in order)."""
    ns = [int(x) for m in MARKER.finditer(text) for x in re.split(r"\s*[,;]\s*", m.group(1))]
    clean = re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", text))
    return " ".join(clean.split()), list(dict.fromkeys(ns))


def answer_sentences(answer: Answer) -> list[AnswerSentence]:
    """The answer's sentences with their citation numbers (markers stripped from the text)."""
    if answer.sentences:
        out = []
        for s in answer.sentences:
            clean, ns = _markers(s.text)
            out.append(AnswerSentence(text=clean, citations=list(dict.fromkeys([*s.citations, *ns]))))
        return out
    out = []
    for a, b in split_sentences(answer.answer):
        piece = answer.answer[a:b]
        lead = re.match(r"(\s*\[\d+(?:\s*[,;]\s*\d+)*\])+", piece)
        if lead and out:  # "... cities. [2] Next" — a leading marker belongs to the sentence before
            _, ns = _markers(lead.group())
            out[-1].citations.extend(n for n in ns if n not in out[-1].citations)
            piece = piece[lead.end() :]
        clean, ns = _markers(piece)
        if clean or ns:
            out.append(AnswerSentence(text=clean, citations=ns))
    return [s for s in out if s.text]


def is_abstention_sentence(sentence: AnswerSentence) -> bool:
    """True for an uncited sentence saying the sources do not answer."""
    return not sentence.citations and bool(_ABSTAIN.search(sentence.text))


def citation_valid(citation: Citation, texts: Mapping[str, str]) -> bool:
    """True when the citation's span reproduces the original text exactly."""
    original = texts.get(citation.source)
    return original is not None and citation.end <= len(original) and citation.matches(original)


def _supported(sentence: str, citation: Citation | None, texts: Mapping[str, str]) -> bool:
    # an invalid (hallucinated) span supports nothing, whatever its `text` claims
    if citation is None or not citation_valid(citation, texts):
        return False
    return supports(sentence, texts[citation.source][citation.start : citation.end])


def _claims(answer: Answer) -> list[AnswerSentence]:
    if answer.abstained:
        return []
    return [s for s in answer_sentences(answer) if not is_abstention_sentence(s)]


def citation_recall(answer: Answer, texts: Mapping[str, str]) -> float | None:
    """Share of claim sentences with at least one supporting citation (None: nothing claimed)."""
    claims = _claims(answer)
    if not claims:
        return None
    by_n = {c.n: c for c in answer.citations}
    ok = sum(1 for s in claims if any(_supported(s.text, by_n.get(n), texts) for n in s.citations))
    return ok / len(claims)


def citation_precision(answer: Answer, texts: Mapping[str, str]) -> float | None:
    """Share of citations that support the sentence they are attached to (None: no citations).

    A citation attached to two sentences counts twice; a citation no sentence refers to, or a
    marker naming no citation, counts as not supporting.
    """
    by_n = {c.n: c for c in answer.citations}
    claims = _claims(answer)
    pairs = [(s.text, by_n.get(n)) for s in claims for n in s.citations]
    attached = {n for s in claims for n in s.citations}
    unattached = [c for c in answer.citations if c.n not in attached]
    total = len(pairs) + len(unattached)
    if total == 0:
        return None
    return sum(_supported(text, c, texts) for text, c in pairs) / total


def span_validity(answer: Answer, texts: Mapping[str, str]) -> float | None:
    """Share of citations with texts[source][start:end] == text (must be 1.0; None: no citations)."""
    if not answer.citations:
        return None
    return sum(citation_valid(c, texts) for c in answer.citations) / len(answer.citations)


def boilerplate_leakage(
    answer: Answer, kept_spans_by_source: Mapping[str, Sequence[tuple[int, int]]]
) -> float | None:
    """Share of citations not inside any kept (cleaned) span of their source (None: no citations)."""
    if not answer.citations:
        return None

    def inside(c: Citation) -> bool:
        return any(s <= c.start and c.end <= e for s, e in kept_spans_by_source.get(c.source, ()))

    return sum(not inside(c) for c in answer.citations) / len(answer.citations)


def mean_defined(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None (None when there are none)."""
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


# ---------------------------------------------------------------- cost


class LatencySummary(BaseModel):
    n: int
    p50: float
    p95: float
    mean: float
    max: float


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation between order statistics."""
    if not values:
        raise ValueError("percentile of no values")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def latency_summary(latencies: Sequence[float]) -> LatencySummary:
    """p50/p95/mean/max of latencies in seconds."""
    if not latencies:
        raise ValueError("latency_summary needs at least one latency")
    return LatencySummary(
        n=len(latencies),
        p50=percentile(latencies, 50),
        p95=percentile(latencies, 95),
        mean=sum(latencies) / len(latencies),
        max=max(latencies),
    )
