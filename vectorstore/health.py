"""Does the chunk store agree with the article store? Find what disagrees and repair what can be.

The article store (one JSON record per article, with its full text) is the source of truth: a
record without its chunks is re-chunked and re-embedded from the record's own text (the original
file is not needed); chunks without a record are leftovers of an interrupted write and are
removed; an unreadable record is moved aside to `articles/.broken/` (its chunks then count as
leftovers). `parley doctor` prints the findings; `parley doctor --repair` applies the repairs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from parley.core.settings import Settings
from vectorstore.chunking import chunk_article
from vectorstore.docstore import DocStore
from vectorstore.ftsindex import FtsIndex
from vectorstore.store import ChunkStore

Kind = Literal["missing-chunks", "stale-chunks", "orphan-chunks", "unreadable-record"]


class Problem(BaseModel):
    """One disagreement between the chunk store and the article store."""

    kind: Kind
    doc_id: str
    detail: str

    def line(self) -> str:
        """One line for humans."""
        return f"{self.kind}: {self.doc_id}: {self.detail}"


def diagnose(store: ChunkStore, docstore: DocStore) -> list[Problem]:
    """Every disagreement between the two stores, records first."""
    out: list[Problem] = []
    sources = store.recount_sources()  # the ground truth, and the per-source rows mended to it
    recorded: set[str] = set()
    for path, rec in docstore.scan():
        if rec is None:
            out.append(Problem(kind="unreadable-record", doc_id=path.name,
                               detail=f"{path} is not a readable article record"))
            continue
        doc_id = rec.article.doc_id
        recorded.add(doc_id)
        have = sources.get(doc_id)
        if have is None:
            out.append(Problem(kind="missing-chunks", doc_id=doc_id,
                               detail=f"the record says {rec.chunks} chunks; the store has none"))
        elif have["chunks"] != rec.chunks or have["doc_hash"] != rec.article.content_hash:
            out.append(Problem(kind="stale-chunks", doc_id=doc_id,
                               detail=f"the store has {have['chunks']} chunks of another version; "
                                      f"the record says {rec.chunks}"))
    for doc_id, have in sorted(sources.items()):
        if doc_id not in recorded:
            out.append(Problem(kind="orphan-chunks", doc_id=doc_id,
                               detail=f"{have['chunks']} chunks with no article record"))
    return out


def repair(
    problems: list[Problem], settings: Settings, store: ChunkStore, docstore: DocStore,
    embedder: Any, on_step: Callable[[Problem], None] | None = None,
) -> int:
    """Apply the repair of each problem; returns how many were repaired."""
    done = 0
    for p in problems:
        if p.kind == "unreadable-record":
            src = docstore.root / p.doc_id
            broken = docstore.root / ".broken"
            broken.mkdir(exist_ok=True)
            src.replace(broken / p.doc_id)
        elif p.kind == "orphan-chunks":
            store.delete_source(p.doc_id)
        else:
            rec = docstore.record(p.doc_id)
            if rec is None:
                continue
            chunks = chunk_article(rec.article, size=settings.chunk_size, overlap=settings.chunk_overlap)
            vectors = embedder.embed_array([c.text for c in chunks])
            store.replace_sources([(p.doc_id, chunks, vectors)])
            docstore.put(rec.article, chunks=len(chunks), embedding_model=getattr(embedder, "name", ""))
        done += 1
        if on_step is not None:
            on_step(p)
    if done:
        FtsIndex.for_store(store).sync(store)  # the lexical index follows the chunk store
    return done


def blank_chroma_file(settings: Settings) -> Path | None:
    """The on-disk `chroma.sqlite3` when it is 0 bytes long (truncated or emptied), else None."""
    if settings.chroma_url:
        return None
    db = settings.chroma_path / "chroma.sqlite3"
    return db if db.is_file() and db.stat().st_size == 0 else None
