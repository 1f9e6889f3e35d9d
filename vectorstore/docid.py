"""Document identity: an id per file that two different files never share.

A document's id is its path relative to the folder that was ingested (`seeds/` gives
`000_997b5712c965d847.txt`, `corpus/` gives `dirA/report.txt`); a file named on its own gets
its file name. When that id already belongs to ANOTHER document (another path and other bytes),
the file gets the next free id among `parent/name`, `grandparent/parent/name`, …, and finally
`name~<hash of its path>`: nothing is replaced by a stranger. A document is the same one when
its absolute path or its content hash matches, so re-ingesting a file (or an identical copy,
such as a re-upload) is idempotent and a changed file still replaces its old version. Ids stay
readable because citations show them. Stores written before this keep working: their ids are
file names, which is what a re-ingest of the same files finds first.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from parley.core.errors import IngestError
from parley.core.schema import Article, content_hash
from vectorstore.docstore import DocStore

_MAX_PARENTS = 8


def absolute(path: Path | str) -> str:
    """The absolute, normalised path of a file (symlinks kept: a link is its own document)."""
    return os.path.normpath(os.path.abspath(path))


class Roots:
    """The paths an ingest run was given, looked up from a file's parents (not scanned per file).

    A run given 2,000 files by name (a shell glob) has 2,000 roots; scanning them for every file
    made id assignment quadratic (12% of an ingest of 400 such files, bench_ingest's profile).
    """

    def __init__(self, roots: Sequence[Path | str]):
        self._order: dict[str, int] = {}
        for i, root in enumerate(roots):
            self._order.setdefault(absolute(root), i)

    def base_of(self, full: str) -> str | None:
        """The first given root (in the order given) that is a folder above `full`."""
        best: tuple[int, str] | None = None
        d = os.path.dirname(full)
        while True:
            i = self._order.get(d)
            if i is not None and (best is None or i < best[0]):
                best = (i, d)
            parent = os.path.dirname(d)
            if parent == d:
                return best[1] if best else None
            d = parent


def candidate_ids(path: Path, roots: Sequence[Path] | Roots) -> list[str]:
    """Ids this file may take, most preferred first."""
    here = absolute(path)
    full = Path(here)
    out: list[str] = []
    base = (roots if isinstance(roots, Roots) else Roots(roots)).base_of(here)
    if base is not None:
        out.append(full.relative_to(base).as_posix())
    parts = full.parts[1:]  # no leading "/"
    for n in range(1, min(len(parts), _MAX_PARENTS) + 1):
        out.append("/".join(parts[-n:]))
    out.append(f"{full.name}~{content_hash(str(full), n=8)}")
    return list(dict.fromkeys(out))


class Claims:
    """The ids taken in one run, both ways (id -> absolute path, and the paths)."""

    def __init__(self) -> None:
        self.by_id: dict[str, str] = {}
        self.paths: set[str] = set()

    def take(self, doc_id: str, path: str) -> None:
        """Record that `path` took `doc_id`."""
        self.by_id[doc_id] = path
        self.paths.add(path)


def same_document(known: Article, path: Path, article: Article) -> bool:
    """True when a stored article is this file (same path) or the same bytes (a copy)."""
    return absolute(known.path) == absolute(path) or known.content_hash == article.content_hash


def assign_id(
    article: Article, path: Path, roots: Sequence[Path] | Roots, docstore: DocStore, claims: Claims
) -> Article:
    """The article under the id it should have; `claims` spans one run."""
    here = absolute(path)
    claimed = claims.by_id
    if here in claims.paths:
        raise IngestError(f"{path}: listed twice in this run; it is ingested once")
    ids = candidate_ids(path, roots)
    chosen = None
    for doc_id in ids:  # first: an id this very document already has
        if doc_id in claimed:
            continue
        rec = docstore.record(doc_id)
        if rec is not None and same_document(rec.article, path, article):
            chosen = doc_id
            break
    if chosen is None:  # else the first id nobody holds
        chosen = next((i for i in ids if i not in claimed and not docstore.has(i)), None)
    if chosen is None:
        raise IngestError(f"{path}: every id for this file is taken by other documents; rename it")
    claims.take(chosen, here)
    return article.model_copy(update={"doc_id": chosen, "path": here})
