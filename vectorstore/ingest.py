"""Ingest files: read, chunk, embed, store; idempotent, resumable, and bad files are skipped.

Order of writes is what makes a kill -9 harmless: chunks go to Chroma first, then to the lexical
index (which then also records the store generation it matches), the docstore record (with the
chunk count) last. On the next run a document whose record is missing or stale is looked up in
the lexical index (synced with Chroma first): if its chunks are all stored it only gets its
record, without being embedded again; otherwise it is redone.

Articles are searchable as soon as their batch is written (every few embedder batches), not at
the end of the run; `on_stored` hears of each batch, after it is searchable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from parley.core.errors import IngestError
from parley.core.schema import Article, Chunk
from parley.core.settings import Settings
from vectorstore.chunking import chunk_article
from vectorstore.docid import Claims, Roots, assign_id
from vectorstore.docstore import DocStore
from vectorstore.ftsindex import FtsIndex
from vectorstore.loader import iter_article_paths, read_article
from vectorstore.progress import IngestProgress, ProgressReporter
from vectorstore.store import ChunkStore

Reader = Callable[[Path], Article]
Chunker = Callable[[Article], list[Chunk]]

# Chunks embedded per flush, in embedder batches: the first flush is small so that the first
# articles are searchable within seconds; each later one doubles up to the cap. The embedder
# sorts a flush's texts by length before batching, so a bigger flush pads less: on bench/corpus.py
# chunks, padded tokens over real ones were 1.117 at 64 texts a call, 1.038 at 256, 1.023 at 512
# (scratch measure recorded in bench/RESULTS-scale.md), and 64-text calls ran ~7% slower.
_FIRST_FLUSH_BATCHES = 4
_MAX_FLUSH_BATCHES = 32


class IngestReport(BaseModel):
    """What an ingest run did."""

    files: int = 0
    added: int = 0
    unchanged: int = 0
    replaced: int = 0
    resumed: int = 0  # stored by an interrupted run: record written, nothing embedded again
    chunks: int = 0  # chunks embedded and written in this run
    skipped: list[tuple[str, str]] = []  # (file, one-line reason)

    def summary(self) -> str:
        """One line for humans."""
        return (
            f"{self.files} files: {self.added} added, {self.replaced} replaced, "
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped"
            + (f", {self.resumed} resumed" if self.resumed else "")
            + f"; {self.chunks} chunks written"
        )


def default_reader(settings: Settings) -> Reader:
    """The project's loader, bounded by PARLEY_MAX_FILE_MB."""
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    return lambda path: read_article(path, max_bytes=max_bytes)


def default_chunker(settings: Settings) -> Chunker:
    """The project's chunker at the configured size and overlap."""
    return lambda a: chunk_article(a, size=settings.chunk_size, overlap=settings.chunk_overlap)


def default_paths(paths: Iterable[Path]) -> list[Path]:
    """Expand files and directories into article files (the loader decides which)."""
    return list(iter_article_paths(paths))


def ingest_paths(
    paths: Iterable[Path | str],
    settings: Settings,
    embedder: Any,
    store: ChunkStore,
    docstore: DocStore,
    progress: bool = True,
    *,
    reader: Reader | None = None,
    chunker: Chunker | None = None,
    expand: Callable[[Iterable[Path]], list[Path]] | None = None,
    lexical: FtsIndex | None = None,
    on_progress: Callable[[IngestProgress], None] | None = None,
    on_stored: Callable[[list[Article]], None] | None = None,
) -> IngestReport:
    """Ingest files and directories; unchanged files cost nothing, changed ones replace their chunks.

    `progress`: a bar on a terminal, else a line every few seconds on stderr; `on_progress` gets
    the same figures after every file (the page's progress bar).
    """
    read = reader or default_reader(settings)
    chunk = chunker or default_chunker(settings)
    roots = [Path(p) for p in paths]
    files = (expand or default_paths)(roots)
    report = IngestReport(files=len(files))
    lex = lexical or FtsIndex.for_store(store)
    lex.sync(store)  # a crash between the Chroma and index writes shows here, and is mended
    lex.fill_vectors(store)  # an index from before vectors were kept beside it: once
    pending: list[tuple[Article, list[Chunk], bool]] = []
    pending_chunks = 0
    flush_at = max(1, embedder_batch(embedder) * _FIRST_FLUSH_BATCHES)
    flush_cap = max(1, embedder_batch(embedder) * _MAX_FLUSH_BATCHES)
    seen, given = Claims(), Roots(roots)  # ids taken in this run; the paths it was given
    bar = ProgressReporter(len(files), sum(_size(p) for p in files), show=progress, callback=on_progress)

    def flush() -> None:
        nonlocal pending_chunks, flush_at
        if not pending:
            return
        texts = [c.text for _, chunks, _ in pending for c in chunks]
        vectors = embedder.embed_array(texts) if hasattr(embedder, "embed_array") else embedder.embed_documents(texts)
        at, items = 0, []
        for article, chunks, _ in pending:
            items.append((article.doc_id, chunks, vectors[at : at + len(chunks)]))
            at += len(chunks)
        before, mine = store.generation(), store.local_writes
        store.replace_sources(items)
        lex.replace_sources(items, generations=own_change(store, before, mine))
        # the records go last: until one exists, a re-run treats its document as not done
        for article, chunks, existed in pending:
            docstore.put(article, chunks=len(chunks), embedding_model=getattr(embedder, "name", ""))
            report.chunks += len(chunks)
            if existed:
                report.replaced += 1
            else:
                report.added += 1
        bar.update(chunks=len(texts))
        if on_stored is not None:
            on_stored([article for article, _, _ in pending])
        pending.clear()
        pending_chunks = 0
        flush_at = min(flush_cap, flush_at * 2)

    for path in files:
        bar.update(files=1, nbytes=_size(path))
        try:
            # ids never collide: dirA/report.txt and dirB/report.txt are two documents
            article = assign_id(read(path), path, given, docstore, seen)
            chunks = chunk(article)
            if not chunks:
                raise IngestError(f"{path}: no article text left to index after cleaning")
        except IngestError as e:
            report.skipped.append((str(path), str(e)))
            continue
        except (OSError, UnicodeError, ValueError) as e:  # the loader should say IngestError; be safe
            reason = " ".join(f"{path}: {type(e).__name__}: {e}".split())
            report.skipped.append((str(path), reason))
            continue
        rec = docstore.record(article.doc_id)
        have = lex.source(article.doc_id)
        stored = have is not None and have["doc_hash"] == chunks[0].doc_hash and have["chunks"] == len(chunks)
        if stored and rec is not None and rec.article.content_hash == article.content_hash and rec.chunks == len(chunks):
            report.unchanged += 1
            continue
        if stored and lex.has_chunks([c.id for c in chunks]):
            # an interrupted run stored these very chunks but died before the record: keep them
            docstore.put(article, chunks=len(chunks), embedding_model=getattr(embedder, "name", ""))
            report.resumed += 1
            continue
        pending.append((article, chunks, rec is not None or have is not None))
        pending_chunks += len(chunks)
        if pending_chunks >= flush_at:
            flush()
    flush()
    bar.close()
    return report


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def embedder_batch(embedder: Any) -> int:
    """The embedder's batch size (16 when it does not say)."""
    return int(getattr(embedder, "batch_size", 16) or 16)


def remove_source(store: ChunkStore, doc_id: str, lexical: FtsIndex | None = None) -> int:
    """Remove a document's chunks from the store and from the lexical index; returns how many."""
    before, mine = store.generation(), store.local_writes
    n = store.delete_source(doc_id)
    (lexical or FtsIndex.for_store(store)).delete_source(doc_id, generations=own_change(store, before, mine))
    return n


def own_change(store: ChunkStore, before: int, mine: int) -> tuple[int, int] | None:
    """(generation before, after) of a write of ours, when nothing but our own bumps moved it.

    `mine` is `store.local_writes` read with `before`. When the generation moved by more than our
    bumps, another writer changed the store in between: None, so the lexical index does not claim
    that writer's change as seen and its next sync reads the buckets that changed.
    """
    after = store.generation()
    return (before, after) if after - before == store.local_writes - mine else None
