"""Reconcile the lexical index with the Chroma store, per source (doc hash and chunk count).

Needed only for changes that did not go through the index: another machine writing to the same
Chroma server, a data directory from before the index existed, a crash between the two writes.
Cheap when nothing changed (one generation read); otherwise one pass over the store's metadata
and a fetch of the sources that differ.
"""

from __future__ import annotations

from typing import Any

from parley.core.schema import Chunk


def sync_index(index: Any, store: Any, *, batch_sources: int = 200) -> int:
    """Bring `index` in line with `store` if the store's generation moved; returns sources redone."""
    gen = store.generation()  # read first: a change during the scan moves it again
    if gen == index.synced_generation():
        return 0
    have = store.sources()
    mine = index.sources()
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
    index.set_generation(gen, gone)
    return len(gone) + len(todo)
