"""One abstention policy: every rule and threshold that makes Parley say "the articles don't say".

Rules, in the order the Q&A chain applies them:

1. retrieval: the question's topic words barely occur in the retrieved passages (before any
   model call);
2. entities: a name, place or number of the question appears in no evidence sentence ("China's
   foreign minister" when no article names China; "on March 5" when no passage has a 5);
3. answer kind: the question asks for a number, a time or a named speaker's words and no
   sentence of the retrieved passages carries one about its subject (chains/answer_kind.py);
4. answerability: the model's calibrated probability that the evidence answers the question
   (a yes/no choice scored by `chains.choice`) is below a threshold;
5. synthesis only: the model's prose is unsupported, only restates the question, or its cited
   sentences do not cover the question.

Every threshold says, next to it, which run set it. Eval variants override any of them
(`policies: {qa: ...}` in `evals/variants/*.yaml`), so the run that chose a value can be repeated.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from chains.answer_kind import Said, missing_kind
from chains.citations import CitationPolicy
from chains.evidence import EvidencePolicy, question_parts, topic_tokens
from parley.text.words import content_tokens, in_pool

# question words written with a capital at the start of a question are not names
_OPENERS = {"what", "who", "whom", "which", "when", "where", "why", "how", "did", "does", "do",
            "is", "was", "were", "are", "has", "have", "had", "according", "in", "on", "at",
            "after", "before", "during", "the", "a", "an", "name", "list", "tell", "give",
            "exactly", "roughly", "approximately", "briefly", "besides", "apart"}
_CAPITAL = re.compile(r"\b[A-Z][\w'’.-]*")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")
_MONTH_YEAR = re.compile(r"\b(January|February|March|April|May|June|July|August|September|"
                         r"October|November|December)\s+(\d{4})\b")
_INITIALS = re.compile(r"\b([A-Z])\.(?=[A-Z]\b|[A-Z]\.)|(?<=\b[A-Z])\.(?=\s|$)")


class AbstainPolicy(BaseModel):
    """Every abstain rule's switch and threshold, each with the run that set it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Rule 1. Not tuned: carried over from qa.py (one of three topic words found). On the 81
    # fixtures it abstains on no answerable item and on no unanswerable one either (the
    # "entity rule off" rows of evals/reports/issue10/evidence-sweep.md).
    min_retrieval_support: float = Field(0.34, ge=0.0, le=1.0)
    # Rule 2. Switch and scope ("evidence": the chosen sentences with their neighbours;
    # "passages": the whole retrieved passages). Set by the model-free sweep
    # `python -m evals.evidence_sweep` (evals/reports/issue10/evidence-sweep.md): "passages"
    # abstains on 1 of 63 answerable and 6 of 18 unanswerable items; "evidence" on 9 and 11.
    entity_rule: bool = True
    entity_scope: str = Field("passages", pattern="^(evidence|passages)$")
    # Rule 3 (answer kind). A switch, no threshold. Its effect on every fixture, model-free, is
    # the "answer-kind rule" rows of `python -m evals.evidence_sweep`
    # (evals/reports/issue10/evidence-sweep.md).
    kind_rule: bool = True
    # What a "how many" question counts: its words up to the verb ("phrase": "billions of
    # dollars for European defense") or up to the first preposition ("noun": "billions"); the
    # share of the question's topic words a dated sentence must have for a "when" question; the
    # share of the "about ..." words a speaker's statement must have ("what did X say about
    # ..."; 0 = any one of them). All three set by the same sweep, over all 97 fixtures.
    kind_head: str = Field("phrase", pattern="^(phrase|noun)$")
    kind_time_share: float = Field(0.5, ge=0.0, le=1.0)
    kind_about_share: float = Field(0.0, ge=0.0, le=1.0)
    # Rule 4. Calibrated P(yes) below this abstains. Not tuned: 0.5 = "yes" as likely as "no"
    # once the model's prior is divided out. The eval `parley eval --fixtures qa --variants
    # qa-evidence ...` (evals/reports/issue10) records P(yes) per item and the abstention a
    # threshold would give; with the 0.5B model P(yes) barely separates the two kinds.
    use_answerability: bool = True
    min_answerable: float = Field(0.5, ge=0.0, le=1.0)
    # Rule 5 (synthesis). Not measured: carried over from qa.py (half the topic words).
    min_answer_coverage: float = Field(0.5, ge=0.0, le=1.0)


class AnswerPolicy(BaseModel):
    """All the numbers of the Q&A chain in one object: what a variant's `policies.qa` overrides."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    abstain: AbstainPolicy = AbstainPolicy()
    evidence: EvidencePolicy = EvidencePolicy()
    citation: CitationPolicy = CitationPolicy()


class Decision(BaseModel):
    """Abstain or not, and why, in words a reader understands."""

    abstain: bool
    reason: str | None = None
    rule: str | None = None


ANSWER = Decision(abstain=False)


def retrieval_support(question: str, texts: Sequence[str]) -> float:
    """Share of the question's topic words present in the texts (fuzzy for names)."""
    q = topic_tokens(question)
    if not q:
        return 1.0
    pool = {t for text in texts for t in content_tokens(text)}
    return sum(1 for t in q if in_pool(t, pool)) / len(q)


def question_entities(question: str) -> list[str]:
    """Names, places, numbers and month-year dates of a question ("China's" → "China")."""
    out = [f"{m} {y}" for m, y in _MONTH_YEAR.findall(question)]
    rest = _MONTH_YEAR.sub(" ", question)
    for i, m in enumerate(_CAPITAL.finditer(rest)):
        word = m.group().rstrip(".").removesuffix("'s").removesuffix("’s")
        if i == 0 and m.start() == 0 and word.lower() in _OPENERS:
            continue
        if content_tokens(word):
            out.append(word)
    out += _NUMBER.findall(rest)
    return list(dict.fromkeys(out))


def missing_entities(question: str, texts: Sequence[str],
                     dates: Sequence[dt.date | None] = ()) -> list[str]:
    """The question's names, numbers and dates that no text mentions (spelling variants count).

    A month with its year ("November 2022") is also found in the articles' dates: an article
    dated 2022-11-08 answers "What did the Kremlin say in November 2022?" without naming it.
    """
    # "U.N." and "UN" are one name: initials lose their dots before tokenising
    pool = {t for text in texts for t in content_tokens(_INITIALS.sub(r"\1", text))}
    dated = {f"{d:%B} {d.year}" for d in dates if d is not None}
    missing = []
    for ent in question_entities(question):
        if _MONTH_YEAR.fullmatch(ent) and ent in dated:
            continue
        toks = content_tokens(ent)
        if toks and not all(in_pool(t, pool) for t in toks):
            missing.append(ent)
    return missing


def check_retrieval(question: str, passages: Sequence[str], policy: AbstainPolicy) -> Decision:
    """Rule 1: abstain when retrieval found little of the question's topic."""
    if not passages:
        return Decision(abstain=True, rule="retrieval",
                        reason="No passage in the articles matches this question.")
    support = retrieval_support(question, passages)
    if support < policy.min_retrieval_support:
        return Decision(abstain=True, rule="retrieval", reason=(
            f"The articles barely touch this question's topic ({support:.0%} of its key words "
            f"occur in the closest passages; at least {policy.min_retrieval_support:.0%} needed)."))
    return ANSWER


def check_entities(question: str, evidence: Sequence[str], passages: Sequence[str],
                   policy: AbstainPolicy, dates: Sequence[dt.date | None] = ()) -> Decision:
    """Rule 2: abstain when a name, place or number of the question is nowhere in the evidence."""
    if not policy.entity_rule:
        return ANSWER
    scope = evidence if policy.entity_scope == "evidence" else passages
    missing = missing_entities(question, scope, dates)
    if missing:
        names = ", ".join(f"“{m}”" for m in missing)
        return Decision(abstain=True, rule="entities", reason=(
            f"The question names {names}, which the closest passages never mention: they "
            "are about something else."))
    return ANSWER


def check_kind(question: str, passages: Sequence[str], policy: AbstainPolicy,
               said: Said | None = None) -> Decision:
    """Rule 3: abstain when no passage sentence carries the kind of answer the question asks."""
    if not policy.kind_rule:
        return ANSWER
    # a multi-part question abstains only when every part lacks its kind: the parts that can be
    # answered keep their evidence
    kinds = [missing_kind(part, passages, said=said, head=policy.kind_head,
                          time_share=policy.kind_time_share, about_share=policy.kind_about_share)
             for part in question_parts(question)]
    if not kinds or any(k is None for k in kinds):
        return ANSWER
    kind = kinds[0]
    if kind.kind == "quantity":
        why = (f"The question asks for a number{' of ' + kind.subject if kind.subject else ''}; "
               "no sentence of the closest passages gives one.")
    elif kind.kind == "time":
        why = "The question asks when; no dated sentence of the closest passages is about it."
    else:
        on = f" about {kind.about}" if kind.about else ""
        why = (f"The question asks what {kind.subject} said{on}; the closest passages hold no "
               f"statement by {kind.subject}{' on it' if on else ''}.")
    return Decision(abstain=True, rule="kind", reason=why)


def check_answerable(p_yes: float | None, policy: AbstainPolicy) -> Decision:
    """Rule 4: abstain when the calibrated answerability is below the threshold."""
    if not policy.use_answerability or p_yes is None:
        return ANSWER
    if p_yes < policy.min_answerable:
        return Decision(abstain=True, rule="answerability", reason=(
            f"The closest sentences do not seem to answer the question (the model's calibrated "
            f"answerability is {p_yes:.2f}, below {policy.min_answerable:.2f})."))
    return ANSWER
