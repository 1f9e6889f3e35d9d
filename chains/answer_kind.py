"""What kind of answer a question asks for, and whether the retrieved passages could hold one.

A question's grammar names the kind of its answer: "how many ..." a number, "when ..." a time,
"what did <speaker> say ..." a statement by that speaker. When no sentence of the retrieved
passages carries that kind of thing about the question's subject, the passages cannot answer,
however close their words are: the near-miss a word-overlap or embedding score cannot see.
Mechanical checks only (chains/abstain.py applies them as its answer-kind rule):

- quantity: a sentence with a number that also names what is counted ("how many households"
  needs "households" beside a number);
- time: a sentence with a date, weekday, year or relative day that shares a topic word with
  the question;
- speaker: the ledger (stored at ingest) holds a statement by the named speaker inside the
  passages; a speaker the actor registry does not know is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from parley.actors.registry import ActorRegistry
from parley.core.schema import Passage, Quote
from parley.ledger.build import spoken_by
from parley.text.expressions import has_date, has_quantity
from parley.text.names import TITLE_WORDS, name_key
from parley.text.sentences import sentences_of
from parley.text.words import content_tokens, in_pool, word_set

_QUANTITY_Q = re.compile(r"\bhow\s+(many|much)\b\s*(.*)", re.IGNORECASE)
_TIME_Q = re.compile(r"^(?:[^,?]*,\s*)?(?:when\b|(?:on|by|in|at|from)?\s*(?:what|which)\s+"
                     r"(?:date|day|days|year|month|week|time)\b)", re.IGNORECASE)
_SPEECH = ("say|says|said|tell|told|claim|claimed|state|stated|stress|stressed|warn|warned|add|"
           "agree|agreed|discuss|discussed|"
           "added|announce|announced|reply|replied|respond|responded|answer|answered|argue|"
           "argued|insist|insisted|write|wrote|note|noted|promise|promised|demand|demanded|"
           "propose|proposed|call|called|describe|described|deny|denied|confirm|confirmed")
# the verb in lower case: "State" in "the State Department" is no verb
_SPEAKER_Q = re.compile(r"\b[Ww]hat\s+(?:did|does|do|has|have|had)\s+(.+?)\s+(?:" + _SPEECH + r")\b"
                        r"(?:.*?\babout\s+(.+?)\??$)?")
# where the counted thing ends: at its verb ("how many households in Kyiv were ..." →
# "households in Kyiv"), or, for the "noun" head, at its first preposition ("households")
_HEAD_END = re.compile(r"\b(?:did|do|does|is|was|were|are|has|have|had|will|would|can|could|"
                       r"that|which|who|according)\b|[,?]", re.IGNORECASE)
_PREPOSITION = re.compile(r"\b(?:in|of|from|for|to|at|on|by|with)\b", re.IGNORECASE)
_JOINERS = {"and", "of", "the", "for", "on", ""}
# words of "how many/much" questions that are not what is counted
_NOT_HEAD = word_set("exactly roughly approximately about money time")
# question words that say "when" but are no topic
_TIME_WORDS = word_set("date day days year month week time exact")

@dataclass(frozen=True)
class Kind:
    """The kind of answer a question asks for: quantity, time or speaker (and its subject)."""

    kind: str
    subject: str = ""  # what is counted, or the speaker's name
    about: str = ""  # for a speaker: what the question asks them to have said something about


def question_kind(question: str, head: str = "phrase") -> Kind | None:
    """The answer kind a question's grammar asks for, or None for any other question."""
    m = _QUANTITY_Q.search(question)
    if m:
        rest = m.group(2)
        end = _HEAD_END.search(rest)
        head_text = rest[: end.start()] if end else rest
        if head == "noun":
            cut = _PREPOSITION.search(head_text)
            head_text = head_text[: cut.start()] if cut else head_text
        return Kind("quantity", " ".join(t for t in head_text.split()
                                         if not set(content_tokens(t)) & _NOT_HEAD))
    if _TIME_Q.search(question):
        return Kind("time")
    m = _SPEAKER_Q.search(question)
    if m and _is_name(m.group(1)):  # a name, not "what did they say"
        return Kind("speaker", m.group(1).strip(), (m.group(2) or "").strip())
    return None


Said = Callable[[str, list[str], float], "bool | None"]


def _is_name(phrase: str) -> bool:
    """True for a speaker's name or titled name ("Russia's deputy foreign minister", "Lavrov and
    Blinken"): capitalised words, titles and joiners only, at most 8 words."""
    words = phrase.split()
    return (0 < len(words) <= 8 and any(w[:1].isupper() for w in words)
            and all(w[:1].isupper() or name_key(w) in TITLE_WORDS or name_key(w) in _JOINERS
                    for w in words))


def missing_kind(question: str, passages: Sequence[str], *, said: Said | None = None,
                 head: str = "phrase", time_share: float = 0.0, about_share: float = 0.0
                 ) -> Kind | None:
    """The kind the passages lack (None when they could answer, or the question has no kind).

    `said(name, about, about_share)` answers whether the ledger holds a statement by `name`
    inside the passages whose sentence has that share of the `about` words (see `ledger_said`);
    None means the name is unknown, so nothing is concluded. A "when" question's dated sentence
    needs `time_share` of the question's topic words.
    """
    kind = question_kind(question, head)
    if kind is None:
        return None
    sentences = [s for p in passages for s in sentences_of(p)]
    if kind.kind == "quantity":
        counted = content_tokens(kind.subject)
        for s in sentences:
            if has_quantity(s):
                toks = set(content_tokens(s))
                if all(in_pool(t, toks) for t in counted) and (counted or _shares(question, toks)):
                    return None
        return kind
    if kind.kind == "time":
        for s in sentences:
            if has_date(s) and _shares(question, set(content_tokens(s)), time_share):
                return None
        return kind
    if said is None:
        return None
    return kind if said(kind.subject, content_tokens(kind.about), about_share) is False else None


def _shares(question: str, toks: set[str], share: float = 0.0) -> bool:
    """True when the sentence has `share` of the question's topic words ("when" words aside)."""
    return _covers([t for t in content_tokens(question) if t not in _TIME_WORDS], toks, share)


def _covers(words: list[str], toks: set[str], share: float) -> bool:
    """True when `toks` hold at least one of `words` and at least `share` of them."""
    hit = sum(1 for t in words if in_pool(t, toks))
    return hit > 0 and hit >= share * len(words)


def ledger_said(registry: ActorRegistry, quotes_of_doc: Callable[[str], list[Quote] | None],
                passages: Sequence[Passage]) -> Said:
    """`said(name, about, share)` over the ledger stored at ingest: a statement by `name` inside
    a passage whose sentence has `share` of the `about` words (any statement when `about` is
    empty).

    None when the name is not in the registry or a passage's article has no stored analysis.
    """
    def said(name: str, about: list[str], share: float = 0.0) -> bool | None:
        match = registry.lookup(name)
        if match is None:
            return None
        quotes: list[Quote] = []
        for src in dict.fromkeys(p.chunk.source for p in passages):
            got = quotes_of_doc(src)
            if got is None:
                return None
            quotes += got
        own = [q for q in spoken_by(quotes, registry, match)
               if not about or _covers(about, set(content_tokens(q.sentence.text)), share)]
        return any(q.source == p.chunk.source and q.sentence.start < p.chunk.end
                   and p.chunk.start < q.sentence.end for q in own for p in passages)
    return said
