"""Article records (full original text, meta, kept spans, hash) as JSON files, one per article.

Citations and the page resolve spans against these records, so `article.text` here is exactly
the text every span indexes into. Writes are atomic (temp file + rename): a crash leaves either
the old record or the new one, never half a file.

`all()` is read on every page interaction and every ingest: it keeps the articles it parsed and
re-reads only when the folder changed (its mtime: every write here is a rename into it, every
delete an unlink), and then only the files whose inode, size or mtime changed. A folder changed
less than `_SETTLED_NS` ago is listed again next time (a clock tick can hide a second write);
a record edited in place by hand is seen after the next write to the folder or a restart.
The parsed articles stay in memory (about 2.7x their size on disk, measured on 5,000 generated
articles): the listing held them all before too, only no longer just for the call.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from parley.core.errors import StoreError
from parley.core.schema import Article, content_hash

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")
# how old the folder's mtime must be before a listing is trusted until it changes: file times
# come from a coarse clock (a jiffy, 1-10 ms), so a write in the same tick as a listing keeps the
# mtime; 2 s is far beyond any tick (not measured: a margin)
_SETTLED_NS = 2_000_000_000


class DocRecord(BaseModel):
    """What the docstore keeps per article: the article and how many chunks it was stored as."""

    article: Article
    chunks: int
    embedding_model: str = ""


class DocStore:
    """JSON records under a directory (settings.articles_dir), keyed by doc_id (the file name)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        # file name -> ((inode, size, mtime), article or None when unreadable)
        self._files: dict[str, tuple[tuple[int, int, int], Article | None]] = {}
        self._listed: int | None = None  # the folder mtime the cache is known to match
        self._lock = threading.Lock()

    def _path(self, doc_id: str) -> Path:
        # doc ids are file names; anything unusual is hashed so it cannot escape the directory
        name = doc_id if _SAFE.match(doc_id) else f"doc-{content_hash(doc_id)}"
        return self.root / f"{name}.json"

    def ensure_writable(self) -> None:
        """Make the directory and prove a record can be written there, or StoreError saying why."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-probe-")
            os.close(fd)
            os.unlink(tmp)
        except OSError as e:
            raise StoreError(f"cannot write article records in {self.root} ({e.strerror or e}); "
                             "check that PARLEY_DATA_DIR is a writable folder") from None

    def put(self, article: Article, *, chunks: int, embedding_model: str = "") -> None:
        """Write (or replace) an article's record atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        rec = DocRecord(article=article, chunks=chunks, embedding_model=embedding_model)
        path = self._path(article.doc_id)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(rec.model_dump_json())
            # rename is atomic for readers and survives kill -9; no fsync (it costs more than
            # storing the chunks): after a power cut a torn record reads as absent and is redone
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def record(self, doc_id: str) -> DocRecord | None:
        """The stored record, or None when there is none (or it is unreadable)."""
        path = self._path(doc_id)
        if not path.is_file():
            return None
        try:
            rec = DocRecord.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # unreadable record: treated as absent, so ingest redoes the document
        return rec if rec.article.doc_id == doc_id else None

    def get(self, doc_id: str) -> Article:
        """The article named doc_id, or StoreError saying how to get it."""
        rec = self.record(doc_id)
        if rec is None:
            raise StoreError(
                f"article '{doc_id}' is not in the article store {self.root}; run `parley ingest` on it"
            )
        return rec.article

    def has(self, doc_id: str) -> bool:
        """True when a readable record exists."""
        return self.record(doc_id) is not None

    def ids(self) -> list[str]:
        """All stored doc ids, sorted."""
        return sorted(a.doc_id for a in self.all())

    def all(self) -> list[Article]:
        """Every stored article, sorted by doc_id (parsed once; see the module's note)."""
        try:
            folder = self.root.stat().st_mtime_ns if self.root.is_dir() else None
        except OSError:
            folder = None
        if folder is None:
            return []
        with self._lock:
            if self._listed != folder:
                self._files = self._relist()
                self._listed = folder if time.time_ns() - folder > _SETTLED_NS else None
            files = self._files
        return sorted((a for _, a in files.values() if a is not None), key=lambda a: a.doc_id)

    def _relist(self) -> dict[str, tuple[tuple[int, int, int], Article | None]]:
        out = {}
        with os.scandir(self.root) as it:
            for e in it:
                if not e.name.endswith(".json") or e.name.startswith(".tmp-"):
                    continue
                try:
                    st = e.stat()
                except OSError:
                    continue
                key = (st.st_ino, st.st_size, st.st_mtime_ns)
                old = self._files.get(e.name)
                if old is not None and old[0] == key:
                    out[e.name] = old
                    continue
                try:
                    art = DocRecord.model_validate(json.loads(Path(e.path).read_text(encoding="utf-8"))).article
                except (OSError, ValueError):
                    art = None
                out[e.name] = (key, art)
        return out

    def scan(self) -> Iterator[tuple[Path, DocRecord | None]]:
        """Every record file with its record, or None when it cannot be read (for `parley doctor`)."""
        if not self.root.is_dir():
            return
        for p in sorted(self.root.glob("*.json")):
            if p.name.startswith("."):
                continue
            try:
                yield p, DocRecord.model_validate_json(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                yield p, None

    def delete(self, doc_id: str) -> bool:
        """Remove an article's record; True if one was removed."""
        path = self._path(doc_id)
        if path.is_file():
            path.unlink()
            return True
        return False
