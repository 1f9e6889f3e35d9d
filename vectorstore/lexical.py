"""Lexical side of retrieval: accent-folding tokeniser, BM25 over chunks, spelling-variant expansion.

Names reach us spelled many ways ("Zakharova"/"Zajarova", "Peskov"/"Peskow", "Kyiv"/"Kiev"), so
query words are expanded with the corpus words that parley.text's one spelling-variant matcher
pairs with them (the citation check uses the same matcher), and those variants score at a discount.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from rank_bm25 import BM25Okapi

from parley.text.words import POLICY, STOPWORDS, spelling_variants
from parley.text.words import tokens as tokenize

MIN_VARIANT_LEN = POLICY.min_len


class LexicalIndex:
    """BM25 (rank-bm25's Okapi parameters and idf) over tokenised texts, with an inverted index.

    Scoring walks only the postings of the query's terms, so a query costs time proportional to
    the documents that contain its words, not to the corpus (rank-bm25 loops over every document).
    """

    def __init__(self, texts: Sequence[str]):
        docs = [tokenize(t) for t in texts]
        self.size = len(docs)
        self._bm25 = BM25Okapi(docs) if docs and any(docs) else None
        postings: dict[str, dict[int, int]] = defaultdict(dict)
        for i, toks in enumerate(docs):
            for t in toks:
                row = postings[t]
                row[i] = row.get(i, 0) + 1
        self._post = {
            t: (np.fromiter(row.keys(), np.int64), np.fromiter(row.values(), np.float64))
            for t, row in postings.items()
        }
        self._variant_cache: dict[str, list[tuple[str, int]]] = {}
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for t in self._post:
            if len(t) >= MIN_VARIANT_LEN and not t.isdigit():
                self._by_initial[t[0]].append(t)
        if self._bm25 is not None:
            k1, b = self._bm25.k1, self._bm25.b
            dl = np.asarray(self._bm25.doc_len, dtype=np.float64)
            self._norm = k1 * (1 - b + b * dl / self._bm25.avgdl)
            self._k1 = k1

    def vocabulary(self) -> set[str]:
        """All indexed tokens."""
        return set(self._post)

    def variants(self, word: str) -> list[tuple[str, int]]:
        """Indexed words within the edit limit of `word` (same first letter), with distances."""
        if len(word) < MIN_VARIANT_LEN or word in STOPWORDS or word.isdigit():
            return []
        hit = self._variant_cache.get(word)
        if hit is None:
            hit = self._variants(word)
            if len(self._variant_cache) > 50_000:  # bound memory on a long-running service
                self._variant_cache.clear()
            self._variant_cache[word] = hit
        return hit

    def _variants(self, word: str) -> list[tuple[str, int]]:
        return spelling_variants(word, self._by_initial.get(word[0], ()))

    def expand(self, query: str) -> dict[str, float]:
        """Query terms with weights: the words themselves (1.0) and spelling variants (discounted).

        Stopwords are dropped unless nothing else is left; a word missing from the corpus is
        probably spelled differently there, so its variants weigh almost as much as the word.
        """
        toks = tokenize(query)
        toks = [t for t in toks if t not in STOPWORDS] or toks
        weights = dict.fromkeys(toks, 1.0)
        for tok in toks:
            missing = tok not in self._post
            for cand, d in self.variants(tok):
                w = (1.0 if d <= 1 else 0.8) if missing else 0.5 / max(d, 1)
                if weights.get(cand, 0.0) < w:
                    weights[cand] = w
        return weights

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for the expanded query."""
        out = np.zeros(self.size, dtype=np.float64)
        if self._bm25 is None:
            return out
        for term, w in self.expand(query).items():
            post = self._post.get(term)
            if post is None:
                continue
            idx, tf = post
            idf = self._bm25.idf.get(term, 0.0)
            out[idx] += w * idf * tf * (self._k1 + 1) / (tf + self._norm[idx])
        return out

    def plain_scores(self, terms: list[str]) -> np.ndarray:
        """rank-bm25's own scores for exact terms (used to check our inverted index)."""
        if self._bm25 is None:
            return np.zeros(self.size)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float64)
