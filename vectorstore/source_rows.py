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

Each bucket also has a token row (a random value a writer replaces after it marks and again after
it puts its sources' rows): a reader that remembers the tokens it saw before its last read needs
to re-read only the buckets whose token changed since (`FtsIndex` keeps them). A writer's token
always follows its rows, so a change a reader missed still shows as a token it has not seen.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

BUCKETS = 64
SUFFIX = ".sources"
_DIRTY = -1
_WRITE = 5000  # rows per Chroma call (it refuses batches above ~5,461)
_ONE_CALL = 5000  # up to this many rows, read them all in one call (no offset, no buckets)
_COMPLETE = "complete"
_TOKEN = -1  # the "bucket" of token rows; their id names the bucket they stand for


def _token_id(bucket: int) -> str:
    return f"~bucket-{bucket:02d}"

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

    def _write(self, ids: list[str], metadatas: list[dict[str, Any]]) -> None:
        for b in range(0, len(ids), _WRITE):  # the rows carry no vector of use: a constant 1-d one
            part = ids[b : b + _WRITE]
            self._call("upsert", self._col.upsert, ids=part, embeddings=[[1.0]] * len(part),
                       metadatas=metadatas[b : b + _WRITE])

    def _upsert(self, rows: Mapping[str, tuple[str, int]]) -> None:
        items = sorted(rows.items())
        self._write([s for s, _ in items],
                    [{"bucket": bucket_of(s), "doc_hash": h, "chunks": n} for s, (h, n) in items])

    def _retoken(self, sources: Iterable[str]) -> None:
        buckets = sorted({bucket_of(s) for s in sources})
        self._write([_token_id(b) for b in buckets], [{"bucket": _TOKEN, "token": uuid.uuid4().hex} for _ in buckets])

    def mark(self, sources: Iterable[str]) -> None:
        """These sources are about to change: readers count them from their chunks until `put`."""
        sources = list(sources)
        self._upsert({s: ("", _DIRTY) for s in sources})
        self._retoken(sources)

    def put(self, rows: Mapping[str, tuple[str | None, int]]) -> None:
        """The sources' state after a write: (doc_hash, chunks); 0 chunks removes the row."""
        keep = {s: (h or "", n) for s, (h, n) in rows.items() if n > 0}
        gone = sorted(s for s, (_, n) in rows.items() if n <= 0)
        if keep:
            self._upsert(keep)
        for b in range(0, len(gone), _WRITE):
            self._call("delete", self._col.delete, ids=gone[b : b + _WRITE])
        self._retoken(rows)

    def tokens(self) -> dict[int, str]:
        """Each bucket's token ("" for a bucket never written since the tokens began)."""
        got = self._call("get", self._col.get, ids=[_token_id(b) for b in range(BUCKETS)], include=["metadatas"])
        out = dict.fromkeys(range(BUCKETS), "")
        for cid, meta in zip(got["ids"], got["metadatas"], strict=True):
            out[int(cid.rsplit("-", 1)[1])] = str(meta["token"])
        return out

    def read(self, buckets: Iterable[int] | None = None) -> tuple[Summary, list[str]]:
        """The rows (of these buckets; None: all): (source -> {"doc_hash", "chunks"}, the dirty ones)."""
        out: Summary = {}
        dirty: list[str] = []
        wanted = sorted(set(range(BUCKETS) if buckets is None else buckets))
        # up to _ONE_CALL rows, one call beats a lookup per bucket
        small = len(wanted) > 1 and self._call("count", self._col.count) <= _ONE_CALL
        for b in [None] if small else wanted:
            got = self._call("get", self._col.get, where=None if b is None else {"bucket": b},
                             include=["metadatas"])
            for source, meta in zip(got["ids"], got["metadatas"], strict=True):
                if meta["bucket"] == _TOKEN or (b is None and meta["bucket"] not in wanted):
                    continue
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
