"""BM25 over the chunks by tantivy (a Rust search library, from PyPI): on disk beside the SQLite file.

Why not SQLite's FTS5, which this replaced: FTS5's bm25() counts every query word's documents by
reading its whole posting list on every query, so a question with common words cost time in
proportion to the corpus (p95 65 ms for the lexical side alone at 1M chunks, 9 ms at 100k, in
bench/RESULTS-scale.md). Tantivy keeps document counts in its term dictionary and skips blocks
of postings that cannot reach the top k (block-max WAND): the same queries take a few ms at 1M.

One document per chunk: `rid` (the chunk's row in the SQLite file, a fast field), `source` (for
deletes by source) and `body` (title and text; lower-cased, accents folded). The SQLite file
stays the record: chunk fields, texts, vectors and the vocabulary live there, and this index can
always be rebuilt from it. Each write also replaces one stamp document (source STAMP) whose
`stamp` the SQLite file stores in the same transaction; a difference means a writer died between
the two commits, and the index is rebuilt (ftsindex.FtsIndex.mend).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import tantivy

from parley.core.errors import StoreError

STAMP = "\x00stamp"  # the source of the stamp document (no chunk source starts with NUL)
_WRITER_HEAP = 32_000_000  # bytes tantivy buffers before it writes a segment (its minimum is 15 MB)


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("rid", stored=False, fast=True, indexed=True)
    sb.add_unsigned_field("stamp", stored=False, fast=True, indexed=False)
    sb.add_text_field("source", stored=False, tokenizer_name="raw")
    sb.add_text_field("body", stored=False, tokenizer_name="fold")
    return sb.build()


SCHEMA = _schema()
# words are runs of letters and digits, lower-cased, accents folded ("Zajárova" -> "zajarova")
ANALYZER = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.ascii_fold()).build())


class Bm25Index:
    """Tantivy index of chunk rows; the caller serialises writers (SQLite's write lock)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._index = tantivy.Index(SCHEMA, path=str(self.path), reuse=True)
        except (OSError, ValueError) as e:
            raise StoreError(f"cannot open the BM25 index {self.path} ({e}); delete it: it is rebuilt "
                             "from the lexical index on the next search") from e
        self._index.register_tokenizer("fold", ANALYZER)
        self._index.config_reader(reload_policy="manual")  # reload() when SQLite says it changed
        self._searcher = self._index.searcher()

    def reload(self) -> None:
        """See the latest commit (any process's)."""
        self._index.reload()
        self._searcher = self._index.searcher()

    # --- writes -----------------------------------------------------------------------------
    def write(self, drop: Iterable[str], add: Iterable[tuple[int, str, str]], stamp: int, *,
              everything: bool = False) -> None:
        """Drop these sources' documents, add (rid, source, body) rows, set the stamp; one commit.

        `everything`: drop every document first (a rebuild).
        """
        w = self._writer()
        try:
            if everything:
                w.delete_all_documents()
            for source in (*drop, STAMP):
                w.delete_documents_by_term("source", source)
            for rid, source, body in add:
                w.add_document(_doc(rid, source, body))
            mark = tantivy.Document()
            mark.add_text("source", STAMP)
            mark.add_unsigned("stamp", stamp)
            w.add_document(mark)
            w.commit()
        except BaseException:
            w.rollback()
            raise
        finally:
            w.wait_merging_threads()
        self.reload()

    def _writer(self) -> tantivy.IndexWriter:
        try:
            return self._index.writer(heap_size=_WRITER_HEAP, num_threads=1)
        except ValueError as e:  # another writer holds tantivy's lock: callers hold SQLite's first
            raise StoreError(f"BM25 index {self.path} is locked by another writer ({e})") from e

    # --- reads ------------------------------------------------------------------------------
    def stamp(self) -> int | None:
        """The stamp of the last write (None: never written)."""
        s = self._searcher
        hits = s.search(tantivy.Query.term_query(SCHEMA, "source", STAMP), 1, count=False).hits
        return int(s.fast_field_values("stamp", [hits[0][1]])[0]) if hits else None

    def search(self, weights: dict[str, float], n: int,
               within: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """The n best rows by BM25 for weighted words (each word's score times its weight).

        `within`: only these rows (a `where` filter, or the chunks whose scores were asked for).
        """
        if n <= 0 or within is not None and not within:
            return []
        clauses = []
        for term, weight in sorted(weights.items()):
            toks = ANALYZER.analyze(term)
            if not toks or weight <= 0:
                continue
            q = (tantivy.Query.term_query(SCHEMA, "body", toks[0]) if len(toks) == 1
                 else tantivy.Query.phrase_query(SCHEMA, "body", toks))
            clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(q, float(weight))))
        if not clauses:
            return []
        if within is not None:
            rows = tantivy.Query.term_set_query(SCHEMA, "rid", [int(r) for r in within])
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(rows, 0.0)))
        s = self._searcher
        hits = [(score, addr) for score, addr in
                s.search(tantivy.Query.boolean_query(clauses), n, count=False).hits if score > 0]
        rids = s.fast_field_values("rid", [addr for _, addr in hits])
        return [(int(r), float(score)) for r, (score, _) in zip(rids, hits, strict=True) if r is not None]


def _doc(rid: int, source: str, body: str) -> tantivy.Document:
    d = tantivy.Document()
    d.add_unsigned("rid", rid)
    d.add_text("source", source)
    d.add_text("body", body)
    return d
