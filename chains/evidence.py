"""Evidence first: the retrieved passages' own sentences that answer a question, verbatim.

Every sentence of the retrieved passages is scored against the question with the score the
chain already used to focus its prompt (share of the question's topic words in the sentence,
fuzzy for names, blended with embedding similarity). The best sentences become citations with
their exact spans; a sentence that cannot stand alone takes its neighbour along ("He
emphasized the size of the force." + the quote that gives it); a question in several parts gets
the best sentence for each part. No model is involved: this is what the reader sees first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.documents import Document
from pydantic import BaseModel, ConfigDict, Field

from chains.citations import Candidate, EmbedFn, candidates
from parley.core.schema import Chunk, Citation, Passage
from parley.text.words import content_tokens, in_pool, word_set

# words that carry no topic in a question (stemmed like the tokens they are compared with)
_QUESTION_WORDS = word_set(
    "what who whom which when where why how did does do say said says tell told according "
    "article articles report reported")


def topic_tokens(question: str) -> list[str]:
    """The question's content words that carry its topic (no who/what/say…)."""
    return [t for t in content_tokens(question) if t not in _QUESTION_WORDS]


def passages_from_documents(docs: Sequence[Document]) -> list[Passage]:
    """Convert retriever Documents (chunk fields and scores in metadata) into typed passages."""
    out = []
    for rank, d in enumerate(docs, 1):
        md = d.metadata
        chunk = Chunk(
            id=str(md.get("id") or md.get("chunk_id") or f"{md['source']}:{md['start']}"),
            source=md["source"], start=int(md["start"]), end=int(md["end"]), text=d.page_content,
            index=int(md.get("index", 0)), doc_hash=str(md.get("doc_hash", "")),
            title=md.get("title") or None, outlet=md.get("outlet") or None,
            date=md.get("date") or None,
        )
        out.append(Passage(chunk=chunk, rank=int(md.get("rank") or rank),
                           score=float(md.get("score") or 0.0),
                           dense_score=md.get("dense_score"), bm25_score=md.get("bm25_score")))
    return out


class EvidencePolicy(BaseModel):
    """How evidence is ranked and picked; each number with the run that set it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # lexical share vs embedding cosine. Not tuned: the weight qa.py's sentence focus used;
    # the held-out set found its top-2 sentences hold 0.88 of the facts.
    lexical_weight: float = Field(0.5, ge=0.0, le=1.0)
    # sentences shown before the model; the model's pick is added when it is not among them.
    # Set by `python -m evals.evidence_sweep` (evals/reports/issue10/evidence-sweep.md): 2 keep
    # 0.86 of the facts (1: 0.71, 3: 0.90) at two-thirds of the reading
    max_evidence: int = Field(2, ge=1, le=3)
    # sentences the model reranks (numbered options); more = a longer, slower prompt. Not
    # tuned: 6 made the choice prompts ~20% longer on the first smoke run; 5 kept
    rerank_candidates: int = Field(5, ge=2, le=9)
    # a neighbour is attached only while the pair stays this short (characters); not tuned
    neighbour_max_chars: int = Field(480, ge=0)


@dataclass
class Scored:
    """A candidate sentence and its score for the question."""

    cand: Candidate
    score: float


def score_sentences(question: str, cands: Sequence[Candidate], embed: EmbedFn | None,
                    lexical_weight: float = 0.5) -> list[float]:
    """Score each candidate: topic-word share (fuzzy) blended with embedding cosine."""
    q = topic_tokens(question) or content_tokens(question)
    lex = [sum(1 for t in q if in_pool(t, c.toks)) / (len(q) or 1) for c in cands]
    if embed is None or not cands:
        return lex
    v = np.asarray(embed([question] + [c.text for c in cands]), dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True) + 1e-9
    w = lexical_weight
    return [w * a + (1 - w) * float(b) for a, b in zip(lex, v[1:] @ v[0], strict=True)]


def unique_candidates(passages: Sequence[Passage]) -> list[Candidate]:
    """Sentences of the passages, each span once (overlapping chunks repeat sentences)."""
    seen: set[tuple[str, int, int]] = set()
    out = []
    for c in candidates(passages):
        key = (c.passage.source, c.start, c.end)
        if key not in seen and content_tokens(c.text):
            seen.add(key)
            out.append(c)
    return out


def rank_sentences(question: str, passages: Sequence[Passage], embed: EmbedFn | None,
                   policy: EvidencePolicy | None = None) -> list[Scored]:
    """Every distinct sentence of the passages, best first."""
    policy = policy or EvidencePolicy()
    cands = unique_candidates(passages)
    scores = score_sentences(question, cands, embed, policy.lexical_weight)
    order = sorted(range(len(cands)), key=lambda i: (-scores[i], cands[i].pid, cands[i].start))
    return [Scored(cands[i], scores[i]) for i in order]


_SPLIT = re.compile(
    r"\?\s+(?=\S)|;\s+|,?\s+(?:and|as well as|but)\s+(?=(?:(?:on|in|at|by|from|to|for|with)\s+)?"
    r"(?:what|who|whom|which|when|where|why|how|did|does|do|is|was|were|has|have|had)\b)",
    re.IGNORECASE)


def question_parts(question: str) -> list[str]:
    """The parts of a multi-part question ("What did X say, and what did Y want?")."""
    parts = [p.strip(" ,?") for p in _SPLIT.split(question)]
    parts = [p for p in parts if topic_tokens(p)]
    return parts if len(parts) > 1 else [question]


_PRONOUN_START = re.compile(r"^[\"“‘']?(?:He|She|They|It|This|That|These|Those|His|Her|Their|"
                            r"Its|The move|The statement|The remarks)\b")
_QUOTE_START = re.compile(r"^[\"“‘«]")


def _needs_next(c: Candidate, nxt: Candidate) -> bool:
    """A sentence announcing what follows ("… said:" or a quote it introduces)."""
    ends_colon = c.text.rstrip().endswith(":")
    quote_follows = bool(_QUOTE_START.match(nxt.text)) and not re.search(r"[\"“”‘’«»]", c.text)
    return ends_colon or (quote_follows and len(c.text.split()) <= 25)


def _needs_prev(c: Candidate) -> bool:
    """A sentence whose subject is a pronoun pointing back ("He said …")."""
    return bool(_PRONOUN_START.match(c.text))


def with_neighbour(c: Candidate, cands: Sequence[Candidate], max_chars: int) -> tuple[int, int]:
    """The span of a sentence, widened to its neighbour in the passage when it needs one."""
    same = sorted((x for x in cands if x.pid == c.pid), key=lambda x: x.start)
    i = next(j for j, x in enumerate(same) if x.start == c.start)
    start, end = c.start, c.end
    text, base = c.passage.chunk.text, c.passage.chunk.start

    def same_paragraph(a: int, b: int) -> bool:  # a neighbour never crosses a line break
        return "\n" not in text[a - base : b - base]

    if (i + 1 < len(same) and _needs_next(c, same[i + 1]) and same[i + 1].end - start <= max_chars
            and same_paragraph(c.end, same[i + 1].start)):
        end = same[i + 1].end
    elif (i > 0 and _needs_prev(c) and end - same[i - 1].start <= max_chars
          and same_paragraph(same[i - 1].end, c.start)):
        start = same[i - 1].start
    return start, end


def to_citation(c: Candidate, span: tuple[int, int], n: int, support: float) -> Citation:
    """A citation for a span inside the candidate's passage (text cut from the passage itself)."""
    ch = c.passage.chunk
    a, b = span
    return Citation(n=n, source=ch.source, start=a, end=b, text=ch.text[a - ch.start : b - ch.start],
                    passage_rank=c.pid, support=round(support, 3))


def _overlaps(a: Citation, b: Citation) -> bool:
    return a.source == b.source and a.start < b.end and b.start < a.end


def pick(ranked: Sequence[Scored], question: str, passages: Sequence[Passage],
         embed: EmbedFn | None, policy: EvidencePolicy, first: Sequence[Scored] = ()) -> list[Citation]:
    """1–3 evidence citations: `first` (e.g. the model's choice), the top sentences, one per part."""
    cands = [s.cand for s in ranked]
    chosen: list[Scored] = list(first)
    parts = question_parts(question)
    if len(parts) > 1:  # the best sentence for each part first: parts often sit in two articles
        for part in parts:
            scores = score_sentences(part, cands, embed, policy.lexical_weight)
            best = max(range(len(cands)), key=lambda i: scores[i], default=None)
            if best is not None:
                chosen.append(Scored(cands[best], scores[best]))
    chosen += ranked
    limit = min(3, max(policy.max_evidence, len(parts) if len(parts) > 1 else 0) + len(first))
    out: list[Citation] = []
    for s in chosen:
        span = with_neighbour(s.cand, cands, policy.neighbour_max_chars)
        cit = to_citation(s.cand, span, len(out) + 1, s.score)
        if any(_overlaps(cit, o) for o in out):
            continue
        out.append(cit)
        if len(out) >= limit:
            break
    return out


def select_evidence(question: str, passages: Sequence[Passage], embed: EmbedFn | None,
                    policy: EvidencePolicy | None = None) -> tuple[list[Scored], list[Citation]]:
    """The ranked sentences and the evidence shown before any model call."""
    policy = policy or EvidencePolicy()
    ranked = rank_sentences(question, passages, embed, policy)
    return ranked, pick(ranked, question, passages, embed, policy)
