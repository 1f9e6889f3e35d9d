"""Read article files (.txt, .md, .html) into `Article`s: decode, extract, clean, attach metadata."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from parley.core.errors import IngestError
from parley.core.schema import Article, ArticleMeta, content_hash
from vectorstore.clean import clean_text
from vectorstore.html import extract_html
from vectorstore.meta import extract_meta, merge_meta, read_sidecar, split_front_matter

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm"}
_KIND: dict[str, Literal["txt", "md", "html"]] = {
    ".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html",
}
_MAGIC = {
    b"%PDF": "a PDF", b"PK\x03\x04": "a ZIP/Office file", b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image", b"\xff\xd8\xff": "a JPEG image", b"\x1f\x8b": "gzip data",
    b"7z\xbc\xaf": "7z data", b"Rar!": "RAR data", b"\x7fELF": "a program",
    b"SQLite format 3": "a SQLite database", b"\xd0\xcf\x11\xe0": "an old Office file",
    b"RIFF": "audio/video data", b"OggS": "audio data", b"ID3": "an MP3",
}
_SIDECAR = ".meta.json"
_MB = 1024 * 1024  # as PARLEY_MAX_FILE_MB is read by the ingest pipeline
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # control characters that text never has


@dataclass(frozen=True)
class DecodePolicy:
    """When bytes count as text; set by hand on tests/test_loader.py and tests/test_bad_inputs.py
    (binary, UTF-16, cp1252 and hostile files), never swept: a question."""

    nul_scan_bytes: int = 65536  # a NUL byte this early means binary
    control_per_mille: int = 1  # more control characters than this per 1,000 characters…
    control_floor: int = 2  # …(and more than this many) means binary
    cp1252_prose_share: float = 0.8  # non-ASCII characters that must read as letters/typography…
    cp1252_letter_share: float = 0.6  # …and letters or spaces in the whole text, to accept cp1252


DECODE = DecodePolicy()


def iter_article_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Yield article files from files and folders (recursively), sorted, without sidecars or hidden files."""
    seen: set[Path] = set()
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        elif p.name.endswith(_SIDECAR):
            continue
        else:  # named explicitly: yield even a missing/unsupported file so read_article can say why
            found = [p]
        for f in found:
            if f not in seen:
                seen.add(f)
                yield f


def read_article(path: Path, *, max_bytes: int) -> Article:
    """Read one article file; raise a one-line IngestError naming the file when it cannot be used."""
    path = Path(path)
    name = path.name
    kind = _KIND.get(path.suffix.lower())
    if kind is None:
        raise IngestError(
            f"{name}: unsupported file type '{path.suffix or '(none)'}'; use .txt, .md or .html"
        )
    try:
        size = path.stat().st_size  # before reading: a 50 MB file is refused without loading it
        if path.is_dir():
            raise IngestError(f"{name}: is a folder, not a file; pass the folder to ingest all its files")
        if size > max_bytes:
            raise IngestError(
                f"{name}: file is {size / _MB:.1f} MB, over the {max_bytes / _MB:.1f} MB limit; "
                "split it or raise PARLEY_MAX_FILE_MB"
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise IngestError(f"{name}: file not found (moved or deleted?); check the path") from None
    except PermissionError:
        raise IngestError(f"{name}: permission denied; make the file readable") from None
    except OSError as err:
        raise IngestError(f"{name}: cannot read ({err.strerror or err}); check the file") from None
    text, encoding = _decode(raw, name)
    declared = read_sidecar(path)
    digest = _bytes_hash(raw)
    if declared:  # a changed sidecar (say, a corrected date) must count as a changed document
        digest = content_hash(digest, json.dumps(declared, sort_keys=True, default=str))
    return _build(text, name, kind=kind, path=str(path), encoding=encoding, digest=digest,
                  declared=declared)


def article_from_text(
    text: str, doc_id: str, *, kind: Literal["txt", "md", "html"] = "txt", path: str = "",
    meta: ArticleMeta | None = None,
) -> Article:
    """Build an Article from text already in memory (tests, uploads); `meta` fields win like a sidecar."""
    declared = meta.model_dump(exclude={"meta_source"}, exclude_none=True) if meta else None
    digest = _bytes_hash(text.encode("utf-8"))
    return _build(text, doc_id, kind=kind, path=path, encoding="utf-8", digest=digest, declared=declared)


def _bytes_hash(raw: bytes) -> str:
    # latin-1 maps each byte to one code point, so this is a hash of the exact file bytes
    return content_hash(raw.decode("latin-1"))


def _decode(raw: bytes, name: str) -> tuple[str, str]:
    """Decode UTF-8 (BOM or not), else clean-looking cp1252; refuse binary and other encodings."""
    if not raw.strip():
        raise IngestError(f"{name}: file is empty; add article text or remove it")
    for magic, what in _MAGIC.items():
        if raw.startswith(magic):
            raise IngestError(f"{name}: binary file ({what}), not text; export it as .txt, .md or .html")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(f"{name}: not UTF-8 text (looks like UTF-16); re-save as UTF-8")
    if b"\x00" in raw[: DECODE.nul_scan_bytes]:
        raise IngestError(f"{name}: binary file (contains NUL bytes), not text; use .txt, .md or .html")
    try:
        text = raw.decode("utf-8-sig")
        encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError as err:
        bad = raw[err.start : err.start + 1].hex()
        try:
            text, encoding = raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            raise IngestError(f"{name}: not UTF-8 text (byte 0x{bad} at offset {err.start}); re-save as UTF-8") from None
        if not _looks_like_text(text):
            raise IngestError(f"{name}: not UTF-8 text (byte 0x{bad} at offset {err.start}); re-save as UTF-8") from None
    controls = len(_CONTROL.findall(text))
    if controls > max(DECODE.control_floor, len(text) * DECODE.control_per_mille // 1000):
        raise IngestError(f"{name}: binary file (control bytes), not text; use .txt, .md or .html")
    if not text.strip():
        raise IngestError(f"{name}: file has only whitespace; add article text or remove it")
    return text, encoding


def _looks_like_text(text: str) -> bool:
    """cp1252 decodes almost anything: accept it only when the non-ASCII characters read as prose."""
    odd = [c for c in text if ord(c) > 127]
    fine = [c for c in odd if c.isalpha() or c in "‘’“”–—…•€£°«»§©®™ \u00a0"]
    letters = sum(c.isalpha() or c.isspace() for c in text)
    return (len(fine) >= DECODE.cp1252_prose_share * len(odd)
            and letters >= DECODE.cp1252_letter_share * len(text))


def _build(
    text: str, name: str, *, kind: Literal["txt", "md", "html"], path: str, encoding: str,
    digest: str, declared: dict[str, Any] | None,
) -> Article:
    if not text.strip():
        raise IngestError(f"{name}: file is empty; add article text or remove it")
    start = 0
    page: dict[str, Any] = {}
    if kind == "md":
        front, start = split_front_matter(text, name)
        if front:  # front matter is a sidecar inside the file; a real sidecar still wins
            declared = {**front, **(declared or {})}
    elif kind == "html":
        doc = extract_html(text)
        text = doc.text
        page = {k: v for k, v in vars(doc).items() if k != "text" and v is not None}
        if "date" in page:
            page.update(date_precision="day", date_basis="published date in the page's meta tags")
        if not text.strip():
            raise IngestError(f"{name}: no article text found in the HTML (only navigation/scripts?); save the article body")
    result = clean_text(text, title=(declared or {}).get("title") or page.get("title"), start=start)
    if not result.kept:
        raise IngestError(f"{name}: nothing left after removing boilerplate (menus, ads, comments); check the file holds an article")
    found = extract_meta(text, result.kept, result.title_span)
    if page:  # what the page's own meta tags state beats what we read off the text
        page.update(title=page.get("title") or found.title)
        found = found.model_copy(update={**page, "meta_source": "extracted"})
    meta = merge_meta(declared, found)
    return Article(
        doc_id=name, path=path or name, kind=kind, text=text, encoding=encoding,
        content_hash=digest, meta=meta, kept=result.kept,
    )

