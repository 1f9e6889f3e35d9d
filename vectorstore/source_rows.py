"""One row per source beside the chunk collection: the doc_hash its chunks carry and how many.

Why: to know what a store holds per source (lexical-index sync on a host that fell behind, the
page's corpus table) the chunk collection's metadata had to be read whole, in pages by offset,
and Chroma's cost per page grows with the offset: at 1M chunks on a `chroma run` server the
read had not finished after 13 minutes (bench/RESULTS-scale.md). Here each source is one small
row in a companion collection, placed in one of `BUCKETS` buckets by a stable hash of its name,
so a full read is one `where` lookup per bucket (an indexed metadata match), never an offset;
up to 5,000 rows, one call reads them all (64 lookups cost ~30 ms on a five-source store).

Writes: a writer marks its sources dirty (chunks = -1) before it touches their chunks and puts
the final row after; a reader that meets a dirty row (a write under way, or one a kill cut
short) counts that source from its chunks. A store from before these rows (no `complete` mark
in the companion's metadata) is counted from its chunks once and its rows are written; the
mark is set only if no write happened meanwhile. `ChunkStore.scan_sources` stays the ground
truth (the doctor uses it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

BUCKETS = 64
SUFFIX = ".sources"
_DIRTY = -1
_WRITE = 5000  # rows per Chroma call (it refuses batches above ~5,461)
_ONE_CALL = 5000  # up to this many rows, read them all in one call (no offset, no buckets)
_COMPLETE = "complete"

Summary = dict[str, dict[str, Any]]  # source -> {"doc_hash": str | None, "chunks": int}


def bucket_of(source: str) -> int:
    """The bucket of a source: stable across processes and machines (not Python's hash)."""
    return int.from_bytes(hashlib.blake2b(source.encode("utf-8"), digest_size=4).digest(), "big") % BUCKETS


class SourceRows:
    """The companion collection `<collection>.sources`; `call` wraps Chroma calls (errors)."""

    def __init__(self, client: Any, collection: str, call: Callable[..., Any]):
        self._call = call
        self._client = client
        self.name = collection + SUFFIX
        self._col = call("open", client.get_or_create_collection, self.name, embedding_function=None,
                         metadata={_COMPLETE: 0})

    def complete(self) -> bool:
        """Whether every source of the store has its row (set after the one-off count)."""
        col = self._call("read", self._client.get_collection, self.name, embedding_function=None)
        return bool((col.metadata or {}).get(_COMPLETE, 0))

    def set_complete(self) -> None:
        """Mark the rows as covering the whole store."""
        self._call("modify", self._col.modify, metadata={_COMPLETE: 1})

    def _upsert(self, rows: Mapping[str, tuple[str, int]]) -> None:
        items = sorted(rows.items())
        for b in range(0, len(items), _WRITE):
            part = items[b : b + _WRITE]
            self._call("upsert", self._col.upsert, ids=[s for s, _ in part], embeddings=[[1.0]] * len(part),
                       metadatas=[{"bucket": bucket_of(s), "doc_hash": h, "chunks": n} for s, (h, n) in part])

    def mark(self, sources: Iterable[str]) -> None:
        """These sources are about to change: readers count them from their chunks until `put`."""
        self._upsert({s: ("", _DIRTY) for s in sources})

    def put(self, rows: Mapping[str, tuple[str | None, int]]) -> None:
        """The sources' state after a write: (doc_hash, chunks); 0 chunks removes the row."""
        keep = {s: (h or "", n) for s, (h, n) in rows.items() if n > 0}
        gone = sorted(s for s, (_, n) in rows.items() if n <= 0)
        if keep:
            self._upsert(keep)
        for b in range(0, len(gone), _WRITE):
            self._call("delete", self._col.delete, ids=gone[b : b + _WRITE])

    def read(self) -> tuple[Summary, list[str]]:
        """Every row: (source -> {"doc_hash", "chunks"}, the dirty sources)."""
        out: Summary = {}
        dirty: list[str] = []
        small = self._call("count", self._col.count) <= _ONE_CALL  # then one call beats 64 lookups
        for b in [None] if small else range(BUCKETS):
            got = self._call("get", self._col.get, where=None if b is None else {"bucket": b},
                             include=["metadatas"])
            for source, meta in zip(got["ids"], got["metadatas"], strict=True):
                if int(meta["chunks"]) == _DIRTY:
                    dirty.append(source)
                else:
                    out[source] = {"doc_hash": meta["doc_hash"] or None, "chunks": int(meta["chunks"])}
        return out, dirty


def summarise(metadatas: Iterable[Mapping[str, Any]], out: Summary | None = None) -> Summary:
    """Per source from chunk metadata: its doc_hash (None when its chunks disagree) and count."""
    out = {} if out is None else out
    for meta in metadatas:
        entry = out.setdefault(meta["source"], {"doc_hash": meta["doc_hash"], "chunks": 0})
        entry["chunks"] += 1
        if entry["doc_hash"] != meta["doc_hash"]:
            entry["doc_hash"] = None  # mixed hashes: a half-done replace; redo it
    return out
