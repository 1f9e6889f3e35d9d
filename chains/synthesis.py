"""Synthesis mode: the model writes a short prose answer; Parley attaches and verifies citations.

The Q&A chain's path before evidence-first answers (and still the mode for stronger models):
the best sentences of the passages go into the prompt, the model writes, every sentence of its
answer is matched to the retrieved sentence that supports it, and the abstention policy's
synthesis rules (unsupported, restated question, off-question) decide what is shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from chains.abstain import ANSWER, AbstainPolicy, Decision, retrieval_support
from chains.citations import Attached, CitationPolicy, EmbedFn, attach_citations, candidates
from chains.evidence import score_sentences
from chains.guard import escape_delimiters, mask_injections
from parley.core.schema import Passage
from parley.text.words import content_tokens

NOT_FOUND = re.compile(
    r"NOT IN (?:THE )?ARTICLES|(?:documents|articles|passages|context)\s+(?:do(?:es)? not|don't|doesn't)\s+"
    r"(?:contain|say|mention|provide|include|specify)|\bno (?:information|mention)\b|"
    r"\b(?:cannot|can't|unable to) (?:answer|determine|find)\b",
    re.IGNORECASE,
)
# verbs that carry no information of their own in an answer ("X spoke with …")
_GENERIC = {"spoke", "speak", "talk", "held", "hold", "met", "meet", "made", "make", "took", "take",
            "gave", "give", "went", "go", "came", "come", "reported", "report", "describ", "called"}


def focus_sentences(question: str, passages: Sequence[Passage], embed: EmbedFn | None,
                    max_sentences: int = 8, lexical_weight: float = 0.5
                    ) -> dict[int, list[tuple[int, int]]]:
    """The sentences of the passages most relevant to the question, per passage id.

    Small models read prompts slowly and lose the answer in long ones: showing the best few
    sentences (in article order) keeps the prompt short and the answer on topic.
    """
    cands = candidates(passages)
    if len(cands) <= max_sentences:
        picked = cands
    else:
        scores = score_sentences(question, cands, embed, lexical_weight)
        order = sorted(range(len(cands)), key=lambda i: -scores[i])[:max_sentences]
        picked = [cands[i] for i in sorted(order)]
    out: dict[int, list[tuple[int, int]]] = {}
    for c in picked:
        out.setdefault(c.pid, []).append((c.start - c.passage.chunk.start, c.end - c.passage.chunk.start))
    return out


def format_documents(passages: Sequence[Passage], max_chars: int = 900,
                     focus: dict[int, list[tuple[int, int]]] | None = None) -> str:
    """Passages with explicit ids for the prompt; article text masked and delimited as data."""
    parts = []
    for i, p in enumerate(passages, 1):
        c = p.chunk
        if focus is not None:
            if i not in focus:
                continue
            text = " … ".join(c.text[a:b] for a, b in focus[i])
        else:
            text = c.text
        text = escape_delimiters(mask_injections(text))[:max_chars]
        meta = " ".join(f'{k}="{v}"' for k, v in (("source", c.source), ("date", c.date)) if v)
        parts.append(f"<document id={i} {meta}>\n{text}\n</document>")
    return "\n".join(parts)


def restates_question(question: str, answer: str) -> bool:
    """True when the answer adds no content word beyond the question (it answers nothing)."""
    q = set(content_tokens(question))
    new = {t for t in content_tokens(answer) if t not in q and t not in _GENERIC}
    return not new


def check_prose(question: str, raw: str, passages: Sequence[Passage], embed: EmbedFn | None,
                citation: CitationPolicy, policy: AbstainPolicy) -> tuple[Decision, Attached | None]:
    """Attach citations to the model's prose and apply the synthesis abstain rules."""
    if not raw or NOT_FOUND.search(raw):
        return Decision(abstain=True, rule="model", reason="The model found no answer in the passages."), None
    attached = attach_citations(raw, passages, embed=embed, policy=citation)
    if not attached.citations:
        return Decision(abstain=True, rule="unsupported", reason=(
            "No sentence of the model's answer is supported by the passages.")), attached
    if restates_question(question, " ".join(x.text for x in attached.sentences if x.supported)):
        return Decision(abstain=True, rule="restated", reason=(
            "The model's answer only restates the question.")), attached
    # a true, well-cited sentence that does not address the question is not an answer
    coverage = retrieval_support(question, [c.text for c in attached.citations])
    if coverage < policy.min_answer_coverage:
        return Decision(abstain=True, rule="coverage", reason=(
            f"The cited passages do not address the question (coverage {coverage:.2f}).")), attached
    return ANSWER, attached
