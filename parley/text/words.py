"""Small text helpers shared by retrieval, citation support and metrics: tokens, folding, fuzzy names."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own said same say says she should so some such than that the their theirs
    them themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself
    yourselves according told added also within without would could may might must shall us
    still even however already yet per via one two""".split()
)

# hyphenated names split ("Thomas-Greenfield" → thomas, greenfield); apostrophes stay for folding
_WORD = re.compile(r"[\w][\w'’]*", re.UNICODE)


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Lowercase and strip accents/possessives: 'Zajarova’s' → 'zajarova'."""
    w = unicodedata.normalize("NFKD", word.lower())
    w = "".join(c for c in w if not unicodedata.combining(c))
    w = re.sub(r"['’]s$", "", w)
    return w.strip("'’-")


def tokens(text: str) -> list[str]:
    """All folded word tokens."""
    return [t for t in (fold(m.group()) for m in _WORD.finditer(text)) if t]


def stem(word: str) -> str:
    """A tiny suffix stripper so 'negotiations' meets 'negotiation' and 'talks' meets 'talk'."""
    for suf in ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "s"):
        if len(word) > len(suf) + 3 and word.endswith(suf):
            base = word[: -len(suf)]
            return base + ("y" if suf in ("ies", "ied") else "")
    return word


def content_tokens(text: str) -> list[str]:
    """Folded, stemmed tokens without stopwords or one-letter noise."""
    return [stem(t) for t in tokens(text) if t not in STOPWORDS and (len(t) > 1 or t.isdigit())]


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, capped at limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def fuzzy_equal(a: str, b: str) -> bool:
    """True for spelling variants of one name: same first letter, small edit distance."""
    if a == b:
        return True
    if len(a) < 5 or len(b) < 5 or a[0] != b[0]:
        return False
    limit = 1 if min(len(a), len(b)) < 7 else 2
    return edit_distance(a, b, limit) <= limit


def in_pool(tok: str, pool) -> bool:
    """True when tok, or a spelling variant of it (names of 5+ letters), is among pool's tokens."""
    return tok in pool or (len(tok) >= 5 and any(fuzzy_equal(tok, other) for other in pool))
