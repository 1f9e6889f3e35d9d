"""A chunk as a Chroma row's metadata, and back (shared by the store and the lexical index)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from parley.core.schema import Chunk


def chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    """A chunk's fields as Chroma metadata (no text, no None values, date as ISO string)."""
    meta: dict[str, Any] = {
        "source": chunk.source,
        "start": chunk.start,
        "end": chunk.end,
        "index": chunk.index,
        "doc_hash": chunk.doc_hash,
    }
    # Chroma metadata cannot hold None: absent keys mean "unknown"
    for key in ("title", "outlet"):
        if getattr(chunk, key):
            meta[key] = getattr(chunk, key)
    if chunk.date:
        meta["date"] = chunk.date.isoformat()
    return meta


def chunk_from_record(cid: str, text: str, meta: dict[str, Any]) -> Chunk:
    """Rebuild a Chunk from a Chroma row."""
    date = meta.get("date")
    return Chunk(
        id=cid,
        source=meta["source"],
        start=int(meta["start"]),
        end=int(meta["end"]),
        text=text,
        index=int(meta["index"]),
        doc_hash=meta["doc_hash"],
        title=meta.get("title"),
        outlet=meta.get("outlet"),
        date=dt.date.fromisoformat(date) if date else None,
    )
