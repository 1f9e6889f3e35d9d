"""Search latency and memory in a fresh process that only opens the store and searches.

    python -m bench.probe QUERIES.json   (settings from PARLEY_* as usual; prints one JSON line)

QUERIES.json: {"queries": [...], "vectors": [[...], ...], "reps": 3, "contains": false}. The
query vectors are given (embedded once by the caller), so the figures are the store's and the
index's, and the bare Chroma query gets the very same vector. The embedding model is not loaded
here: its ~100-200 MB are the same at any corpus size.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

from parley.core.settings import get_settings
from parley.text.words import STOPWORDS, tokens
from vectorstore.retrieval import HybridRetriever
from vectorstore.store import ChunkStore


class _NoModel:
    """Opens the store under the real model's name and dim; never embeds (vectors are given)."""

    name, dim = "all-MiniLM-L6-v2", 384

    def embed_query(self, text: str) -> list[float]:
        raise RuntimeError("the probe is given query vectors")


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _timed(fn, *args, **kw) -> float:
    t = time.perf_counter()
    fn(*args, **kw)
    return time.perf_counter() - t


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    queries, reps = spec["queries"], int(spec.get("reps", 3))
    vecs = [np.asarray(v, dtype=np.float32) for v in spec["vectors"]]
    s = get_settings()
    rss0 = _rss_mb()
    store = ChunkStore.open(s, _NoModel())
    ret = HybridRetriever(store=store, embedder=_NoModel(), k=5)
    t = time.perf_counter()
    ret.search(queries[0], 5, vector=vecs[0])  # first search: opens (and, if needed, syncs) the index
    first_s = time.perf_counter() - t
    idx = ret.index()
    seq = HybridRetriever(store=store, embedder=_NoModel(), k=5, parallel=False)
    out = {"hybrid": [], "hybrid_sequential": [], "bare": [], "lexical": [], "dense_ids": [], "contains_query": [],
           "contains_get": [], "expand_cold": []}
    # each query's words looked up once before the timed passes, so every column sees the same
    # (warm) spelling-variant cache; the first lookup's cost is reported on its own (expand_cold:
    # a question with words this process has not seen since the index last changed pays it)
    for q in queries:
        out["expand_cold"].append(_timed(lambda q=q: idx.query_terms().expand(q)))
    for rep in range(reps):
        for q, v in zip(queries, vecs, strict=True):
            out["bare"].append(_timed(store._col.query, query_embeddings=[v], n_results=5))
            out["hybrid"].append(_timed(ret.search, q, 5, vector=v))
            out["hybrid_sequential"].append(_timed(seq.search, q, 5, vector=v))
            out["lexical"].append(_timed(lambda q=q: idx.search(idx.query_terms().expand(q), 20)))
            out["dense_ids"].append(_timed(store.query_ids, v, 20))
            if spec.get("contains") and rep == 0:  # one pass: it scans documents
                words = [w for w in tokens(q) if w not in STOPWORDS and len(w) > 3] or tokens(q)
                # Chroma's own full-text filter: one term (case-sensitive substring, no ranking)
                term = max(words, key=len).capitalize() if q[:1].isupper() else max(words, key=len)
                out["contains_query"].append(_timed(store._col.query, query_embeddings=[v], n_results=20,
                                                    where_document={"$contains": term}))
                out["contains_get"].append(_timed(store._col.get, where_document={"$contains": term},
                                                  limit=20, include=[]))
    ms = {k: [x * 1000 for x in v] for k, v in out.items() if v}
    print(json.dumps({
        "chunks": store.count(), "indexed": idx.count(), "first_search_s": first_s,
        "p50": {k: float(np.percentile(v, 50)) for k, v in ms.items()},
        "p95": {k: float(np.percentile(v, 95)) for k, v in ms.items()},
        "rss_start_mb": rss0, "rss_mb": _rss_mb(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
