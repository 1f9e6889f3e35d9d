"""Query terms for the lexical index: vocabulary rows and spelling-variant expansion.

Names reach us spelled many ways ("Zakharova"/"Zajarova", "Peskov"/"Peskow", "Kyiv"/"Kiev"), so
query words are expanded with the corpus words that parley.text's one spelling-variant matcher
pairs with them, and those variants score at a discount. The vocabulary lives in the index's
`terms` table, keyed by first letter and stem length, so a lookup reads only the few words that
could be variants, not the whole vocabulary.

The weights go to the BM25 index as per-word boosts (vectorstore/bm25_index.py).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from parley.text.words import POLICY, STOPWORDS, spelling_variants, stem, token_set
from parley.text.words import can_vary as matchable
from parley.text.words import tokens as tokenize

_CACHE_MAX = 50_000  # variant lookups kept per index (cleared on every write anyway)


def term_shape(term: str) -> tuple[str, int]:
    """A vocabulary row's lookup key: first letter and stem length."""
    s = stem(term)
    return s[:1], len(s)


@lru_cache(maxsize=262_144)
def _in_vocabulary(term: str) -> bool:
    return matchable(stem(term))


def chunk_terms(title: str, text: str) -> set[str]:
    """The words of a chunk that go into the vocabulary (those that can have variants)."""
    return {t for t in token_set(f"{title}\n{text}") if _in_vocabulary(t)}


class QueryTerms:
    """Expansion of a query against an index's vocabulary (reads through the index's lock)."""

    def __init__(self, read: Callable[..., list[tuple]], cache: dict[str, list[tuple[str, int]]]):
        self._read = read
        self._cache = cache

    def has(self, term: str) -> bool:
        """True when the vocabulary holds this (variant-capable) word."""
        return bool(self._read("SELECT 1 FROM terms WHERE term = ?", (term,)))

    def variants(self, word: str) -> list[tuple[str, int]]:
        """Vocabulary words the matcher pairs with `word`, with their edit distances."""
        hit = self._cache.get(word)
        if hit is None:
            s = stem(word)
            if not matchable(s):
                hit = []
            else:
                rows = self._read(
                    "SELECT term FROM terms WHERE head = ? AND slen BETWEEN ? AND ?",
                    (s[:1], len(s) - POLICY.max_edits, len(s) + POLICY.max_edits),
                )
                hit = spelling_variants(word, [r[0] for r in rows])
            if len(self._cache) > _CACHE_MAX:
                self._cache.clear()
            self._cache[word] = hit
        return hit

    def expand(self, query: str) -> dict[str, float]:
        """Query terms with weights: the words themselves (1.0) and spelling variants (discounted).

        Stopwords are dropped unless nothing else is left; a word missing from the corpus is
        probably spelled differently there, so its variants weigh almost as much as the word.
        """
        toks = tokenize(query)
        toks = [t for t in toks if t not in STOPWORDS] or toks
        weights = dict.fromkeys(toks, 1.0)
        for tok in toks:
            found = self.variants(tok)
            missing = bool(found) and not self.has(tok)
            for cand, d in found:
                w = (1.0 if d <= 1 else 0.8) if missing else 0.5 / max(d, 1)
                if weights.get(cand, 0.0) < w:
                    weights[cand] = w
        return weights
