"""Ingest files: read, chunk, embed, store; idempotent, crash-safe, and bad files are skipped.

Order of writes is what makes a kill -9 harmless: chunks go to Chroma first, the docstore record
(with the chunk count) only afterwards. On the next run a document whose record is missing, whose
hash differs, or whose chunk count in Chroma disagrees with the record is simply redone.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from tqdm import tqdm

from parley.core.errors import IngestError
from parley.core.schema import Article, Chunk
from parley.core.settings import Settings
from vectorstore.docstore import DocStore
from vectorstore.store import ChunkStore

Reader = Callable[[Path], Article]
Chunker = Callable[[Article], list[Chunk]]

# embed this many chunks per flush: big enough to keep the model's batches full across small files
_FLUSH_BATCHES = 4


class IngestReport(BaseModel):
    """What an ingest run did."""

    files: int = 0
    added: int = 0
    unchanged: int = 0
    replaced: int = 0
    chunks: int = 0  # chunks embedded and written in this run
    skipped: list[tuple[str, str]] = []  # (file, one-line reason)

    def summary(self) -> str:
        """One line for humans."""
        return (
            f"{self.files} files: {self.added} added, {self.replaced} replaced, "
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped; {self.chunks} chunks written"
        )


def default_reader(settings: Settings) -> Reader:
    """The project's loader, bounded by PARLEY_MAX_FILE_MB."""
    from vectorstore.loader import read_article

    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    return lambda path: read_article(path, max_bytes=max_bytes)


def default_chunker(settings: Settings) -> Chunker:
    """The project's chunker at the configured size and overlap."""
    from vectorstore.chunking import chunk_article

    return lambda a: chunk_article(a, size=settings.chunk_size, overlap=settings.chunk_overlap)


def default_paths(paths: Iterable[Path]) -> list[Path]:
    """Expand files and directories into article files (the loader decides which)."""
    from vectorstore.loader import iter_article_paths

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
) -> IngestReport:
    """Ingest files and directories; unchanged files cost nothing, changed ones replace their chunks."""
    read = reader or default_reader(settings)
    chunk = chunker or default_chunker(settings)
    files = (expand or default_paths)([Path(p) for p in paths])
    report = IngestReport(files=len(files))
    stored = store.sources()
    pending: list[tuple[Article, list[Chunk], bool]] = []
    pending_chunks = 0
    flush_at = max(1, embedder_batch(embedder) * _FLUSH_BATCHES)
    seen: dict[str, Path] = {}

    def flush() -> None:
        nonlocal pending_chunks
        if not pending:
            return
        texts = [c.text for _, chunks, _ in pending for c in chunks]
        vectors = embedder.embed_array(texts) if hasattr(embedder, "embed_array") else embedder.embed_documents(texts)
        at, items = 0, []
        for article, chunks, _ in pending:
            items.append((article.doc_id, chunks, vectors[at : at + len(chunks)]))
            at += len(chunks)
        store.replace_sources(items)
        # the records go last: until one exists, a re-run treats its document as not done
        for article, chunks, existed in pending:
            docstore.put(article, chunks=len(chunks), embedding_model=getattr(embedder, "name", ""))
            report.chunks += len(chunks)
            if existed:
                report.replaced += 1
            else:
                report.added += 1
        pending.clear()
        pending_chunks = 0

    bar = tqdm(files, desc="ingest", unit="file", file=sys.stderr, disable=not progress)
    for path in bar:
        try:
            article = read(path)
            if article.doc_id in seen:
                raise IngestError(f"{path}: same file name as {seen[article.doc_id]}; rename one")
            seen[article.doc_id] = path
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
        have = stored.get(article.doc_id)
        if (
            rec is not None
            and rec.article.content_hash == article.content_hash
            and have is not None
            and have["doc_hash"] == chunks[0].doc_hash
            and have["chunks"] == rec.chunks == len(chunks)
        ):
            report.unchanged += 1
            continue
        pending.append((article, chunks, rec is not None or have is not None))
        pending_chunks += len(chunks)
        if pending_chunks >= flush_at:
            flush()
    flush()
    bar.close()
    return report


def embedder_batch(embedder: Any) -> int:
    """The embedder's batch size (16 when it does not say)."""
    return int(getattr(embedder, "batch_size", 16) or 16)
