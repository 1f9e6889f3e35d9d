"""Reconcile the lexical index with the Chroma store, per source (doc hash and chunk count).

Needed only for changes that did not go through the index: another machine writing to the same
Chroma server, a data directory from before the index existed, a crash between the two writes.
Cheap when nothing changed (one generation read); otherwise a read of the store's per-source rows
in the buckets that changed since the last sync, and a fetch of the sources that differ.
"""

from __future__ import annotations

from typing import Any

from parley.core.schema import Chunk


def sync_index(index: Any, store: Any, *, batch_sources: int = 200) -> int:
    """Bring `index` in line with `store` if the store's generation moved; returns sources redone.

    Only the buckets of the store's per-source rows whose token changed since the index's last
    sync are read (vectorstore/source_rows.py); all of them when either side has no tokens yet.
    """
    gen = store.generation()  # read first: a change during the scan moves it again
    if gen == index.synced_generation():
        return 0
    tokens = store.source_tokens()  # before the rows: a write after this shows as a new token
    seen = index.bucket_tokens()
    changed = None if tokens is None or seen is None else {b for b, t in tokens.items() if seen.get(b) != t}
    have = store.sources(changed)
    mine = index.sources(changed)
    gone = [s for s in mine if s not in have]
    todo = sorted(s for s, v in have.items() if mine.get(s) != v)
    for b in range(0, len(todo), batch_sources):
        part = todo[b : b + batch_sources]
        by_source: dict[str, list[Chunk]] = {s: [] for s in part}
        ids = store.ids_of(part)
        for c in store.get_chunks(ids):
            by_source[c.source].append(c)
        vecs = store.embeddings_of(ids)
        items = []
        for s, found in by_source.items():
            cs = sorted(found, key=lambda c: (c.index, c.start))
            items.append((s, cs, [vecs[c.id] for c in cs] if all(c.id in vecs for c in cs) else None))
        index.replace_sources(items)
    index.set_generation(gen, gone, tokens)
    return len(gone) + len(todo)
