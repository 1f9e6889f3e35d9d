"""Hand-built articles and chunks for store/ingest/retrieval unit tests (no loader needed)."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from pathlib import Path

from parley.core.errors import IngestError
from parley.core.schema import Article, Chunk, content_hash
from parley.text.sentences import split_sentences


def make_article(doc_id: str, text: str, *, path: str | None = None) -> Article:
    """An Article over `text` with every paragraph kept."""
    kept = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
    return Article(
        doc_id=doc_id, path=path or doc_id, kind="txt", text=text,
        content_hash=content_hash(text), kept=kept,
    )


def para_chunks(article: Article, size: int = 400) -> list[Chunk]:
    """Greedy paragraph packing into chunks of about `size` chars; spans index the original text."""
    chunks: list[Chunk] = []
    start = end = None
    for a, b in article.kept:
        if start is not None and b - start > size:
            chunks.append(_chunk(article, start, end, len(chunks)))
            start = None
        start = a if start is None else start
        end = b
    if start is not None:
        chunks.append(_chunk(article, start, end, len(chunks)))
    return chunks


def _chunk(article: Article, start: int, end: int, index: int) -> Chunk:
    text = article.text[start:end]
    return Chunk(
        id=content_hash(article.doc_id, str(start), str(end), text), source=article.doc_id,
        start=start, end=end, text=text, index=index, doc_hash=article.content_hash,
    )


def read_txt(path: Path) -> Article:
    """A minimal reader: UTF-8 text files only, empty or binary files rejected."""
    data = Path(path).read_bytes()
    if not data.strip():
        raise IngestError(f"{path}: empty file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise IngestError(f"{path}: not UTF-8 text") from e
    return make_article(Path(path).name, text, path=str(path))


def expand_txt(paths: Iterable[Path]) -> list[Path]:
    """Files as given; directories expanded to their sorted *.txt files."""
    out: list[Path] = []
    for p in paths:
        out.extend(sorted(p.glob("*.txt")) if p.is_dir() else [p])
    return out


HAND_READERS = {"reader": read_txt, "chunker": para_chunks, "expand": expand_txt}


def generate_corpus(
    out_dir: Path,
    seed_texts: dict[str, str],
    n_files: int,
    sentences_per_file: int = 24,
    seed: int = 7,
) -> list[Path]:
    """Write n_files articles made of shuffled seed sentences (paragraphs of three sentences)."""
    pool = [t[a:b] for t in seed_texts.values() for a, b in split_sentences(t) if b - a > 40]
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n_files):
        sents = rng.sample(pool, min(sentences_per_file, len(pool)))
        paras = [" ".join(sents[j : j + 3]) for j in range(0, len(sents), 3)]
        title = f"Generated report {i}: {sents[0][:60]}"
        p = out_dir / f"{i:03d}_gen{seed}.txt"
        p.write_text(title + "\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")
        paths.append(p)
    return paths
