"""A transparent lexical judge: does a cited span support an answer sentence? And fact matching.

Deliberately independent of the citation code in `chains/` (an eval that reused the system's own
scorer would grade the system against itself). The rule, in full:

* Text is normalised: accents stripped, case folded, `%` read as "percent", thousands separators
  dropped (100,000 → 100000), every other non-alphanumeric character becomes a space.
* Content words: normalised words that are not stopwords (single digits count).
* Key entities: non-stopword words written with a capital letter (the first word too: answers
  often open with a name, "Lavrov said ..."; stopwords cover openers like "The", "However"),
  and every number.
* Two words match when equal, or (not numbers, both ≥ 5 letters) when they share a 5-letter prefix
  (a crude stemmer: negotiation/negotiate, Ukraine/Ukrainian) or their difflib ratio is ≥ 0.8
  (transliterations: Zakharova/Zajarova, Peskov/Peskow). Numbers match only exactly.
* support = min(content-word recall, key-entity recall) of the sentence's words in the cited
  span, and 0 when any number of the sentence is missing from the span (a wrong figure is never
  "mostly supported"). A span supports the sentence when support ≥ JUDGE.support_threshold (0.5).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache


@dataclass(frozen=True)
class JudgePolicy:
    """The judge's thresholds. Not measured against hand-labelled pairs: each is a question."""

    support_threshold: float = 0.5  # at least half the sentence's words and names are in the span
    # difflib ratios: Zakharova/Zajarova 0.824, Peskov/Peskow 0.833, Sergei/Sergey 0.833;
    # Kyiv/Kiev (0.75, and under prefix_len letters) is not matched by the judge
    fuzzy_ratio: float = 0.8
    prefix_len: int = 5  # the crude stemmer: negotiation/negotiate, Ukraine/Ukrainian


JUDGE = JudgePolicy()

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    said say says told according added s t d ll re ve m however meanwhile moreover furthermore
    additionally overall therefore thus instead yes""".split()
)

_SEP = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")
_NONWORD = re.compile(r"[\W_]+")
_WORD = re.compile(r"[^\W_]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def normalize(text: str) -> str:
    """Fold case and accents, keep only words separated by single spaces."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(c for c in t if not unicodedata.combining(c)).casefold()
    t = _SEP.sub("", t.replace("%", " percent "))
    return _NONWORD.sub(" ", t).strip()


def contains_phrase(text: str, phrase: str) -> bool:
    """True when phrase occurs in text as whole words, case- and accent-insensitively."""
    p = normalize(phrase)
    return bool(p) and f" {p} " in f" {normalize(text)} "


def content_words(text: str) -> set[str]:
    """Normalised non-stopword words of text."""
    return {w for w in normalize(text).split() if w not in STOPWORDS and (len(w) > 1 or w.isdigit())}


def numbers(text: str) -> set[str]:
    """Numbers in text, thousands separators dropped, decimal commas read as points."""
    return {_SEP.sub("", m.group()).replace(",", ".") for m in _NUMBER.finditer(text)}


def key_entities(text: str) -> set[str]:
    """Capitalised words (except one-letter words and stopwords) and numbers, normalised."""
    out: set[str] = set()
    for m in _WORD.finditer(text):
        w = m.group()
        norm = normalize(w)
        if w[0].isupper() and len(norm) > 1 and norm not in STOPWORDS:
            out.add(norm)
    return out | numbers(text)


@lru_cache(maxsize=65536)
def words_match(a: str, b: str) -> bool:
    """Equal, or (non-numeric, ≥5 letters) same 5-letter prefix or difflib ratio ≥ 0.8."""
    if a == b:
        return True
    n = JUDGE.prefix_len
    if a.isdigit() or b.isdigit() or len(a) < n or len(b) < n:
        return False
    return a[:n] == b[:n] or SequenceMatcher(None, a, b).ratio() >= JUDGE.fuzzy_ratio


def _recall(words: set[str], pool: set[str]) -> float:
    if not words:
        return 1.0
    return sum(1 for w in words if any(words_match(w, p) for p in pool)) / len(words)


def support_score(sentence: str, cited: str) -> float:
    """How well cited text supports a sentence, in [0, 1] (see the module docstring)."""
    words = content_words(sentence)
    if not words:
        return 0.0  # nothing checkable ("Yes.") is never supported
    pool = content_words(cited)
    if not numbers(sentence) <= numbers(cited):
        return 0.0
    # a number entity already passed the exact check above; recall runs over the word pool
    ents = {e for e in key_entities(sentence) if not _NUMBER.fullmatch(e)}
    return min(_recall(words, pool), _recall(ents, pool))


def supports(sentence: str, cited: str, threshold: float = JUDGE.support_threshold) -> bool:
    """True when cited text supports the sentence (support_score ≥ threshold)."""
    return support_score(sentence, cited) >= threshold


def fact_present(text: str, phrasings: Sequence[str]) -> bool:
    """True when any accepted phrasing of a fact occurs in text."""
    return any(contains_phrase(text, p) for p in phrasings)
