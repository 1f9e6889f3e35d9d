"""Article metadata: sidecars and front matter win; otherwise only what the kept text states explicitly."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from parley.core.errors import IngestError
from parley.core.schema import ArticleMeta


@dataclass(frozen=True)
class DatelinePolicy:
    """Where an article states its own date; set by hand on the loader tests and the seeds'
    datelines, never swept: a question."""

    first_spans: int = 4  # a dateline sits in the first kept spans; later dates are events…
    max_words: int = 15  # …on a short line of its own, not inside a sentence of the body


DATELINE = DatelinePolicy()

META_FIELDS = ("title", "outlet", "date", "date_precision", "date_basis", "url")

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MON = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_PATTERNS = [
    re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b"),
    re.compile(r"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+" + _MON + r",?\s+(?P<y>(?:19|20)\d\d)\b", re.I),
    re.compile(r"\b" + _MON + r"\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)\b", re.I),
]
_SECTION_SUFFIX = re.compile(r"\s+[|｜]\s+[^|｜]{1,40}$")
# an explicit statement of who published the text; photo credits and wire labels are not outlets
_OUTLET = [
    re.compile(r"^(?:first |originally )?published (?:by|in|on) (?P<o>[A-Z][\w.&' -]{1,50}?)\.?$", re.I),
    re.compile(r"^(?:©|copyright)\s*(?:\(c\)\s*)?(?:19|20)\d\d\s+(?P<o>[A-Z][\w.&' -]{1,50}?)\.?(?:\s+all rights reserved\.?)?$", re.I),
]


def find_date(text: str) -> tuple[dt.date, str] | None:
    """The first explicit day-precision date written in text, with the matched words."""
    for pat in _DATE_PATTERNS:
        m = pat.search(text)
        if not m:
            continue
        month = int(m.group("m")) if "m" in m.groupdict() else _MONTHS[m.group("mon").lower()]
        try:
            return dt.date(int(m.group("y")), month, int(m.group("d"))), m.group(0)
        except ValueError:
            continue
    return None


def clean_title(line: str) -> str:
    """Headline text for metadata: no markdown marker, no " | Section" suffix."""
    title = line.strip().lstrip("#").strip()
    return _SECTION_SUFFIX.sub("", title).strip() or title


def extract_meta(text: str, kept: list[tuple[int, int]], title_span: tuple[int, int] | None) -> ArticleMeta:
    """Title, outlet and date stated in the kept text (a dateline near the top only); never guessed."""
    title = clean_title(text[title_span[0] : title_span[1]]) if title_span else None
    outlet = None
    # a site names itself in a copyright footer or a "published by" line, often in removed furniture
    for line in text.splitlines():
        for pat in _OUTLET:
            m = pat.match(line.strip())
            if m and not outlet:
                outlet = m.group("o").strip()
    date = precision = basis = None
    # a dateline sits in the first lines; dates deeper in the body are events, not the article's date
    for s, e in kept[: DATELINE.first_spans]:
        found = find_date(text[s:e])
        if found and len(text[s:e].split()) <= DATELINE.max_words:
            date, precision, basis = found[0], "day", f"stated in the text: '{found[1]}'"
            break
    fields = dict(title=title, outlet=outlet, date=date, date_precision=precision, date_basis=basis)
    known = any(v is not None for v in fields.values())
    return ArticleMeta(**fields, meta_source="extracted" if known else "none")


def _coerce(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """Keep the known fields of a sidecar/front matter mapping, with dates parsed."""
    out = {k: raw[k] for k in META_FIELDS if k in raw}
    if out.get("date") is not None and not isinstance(out["date"], dt.date):
        try:
            out["date"] = dt.date.fromisoformat(str(out["date"])[:10])
        except ValueError:
            raise IngestError(f"{where}: date {out['date']!r} is not YYYY-MM-DD; fix it") from None
    if isinstance(out.get("date"), dt.datetime):
        out["date"] = out["date"].date()
    for k in ("title", "outlet", "url", "date_precision", "date_basis"):
        if out.get(k) is not None:
            out[k] = str(out[k])
    return out


def read_sidecar(path: Path) -> dict[str, Any] | None:
    """Fields from `<stem>.meta.json` or `<name>.meta.json` next to path; None when there is none."""
    for side in (path.with_name(path.stem + ".meta.json"), path.with_name(path.name + ".meta.json")):
        if not side.is_file():
            continue
        try:
            raw = json.loads(side.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise IngestError(f"{side.name}: not a readable JSON sidecar ({err}); fix or remove it") from None
        if not isinstance(raw, dict):
            raise IngestError(f"{side.name}: sidecar must be a JSON object; fix or remove it")
        return _coerce(raw, side.name)
    return None


def split_front_matter(text: str, name: str) -> tuple[dict[str, Any] | None, int]:
    """Markdown `---` YAML front matter: its fields and where the body starts (0 when none)."""
    m = re.match(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", text, re.S | re.M)
    if not m:
        return None, 0
    try:
        raw = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as err:
        line = getattr(getattr(err, "problem_mark", None), "line", -1) + 2
        raise IngestError(f"{name}: front matter is not valid YAML (line {line}); fix or remove it") from None
    if not isinstance(raw, dict):
        raise IngestError(f"{name}: front matter must be a YAML mapping; fix or remove it")
    return _coerce(raw, name), m.end()


def merge_meta(declared: dict[str, Any] | None, extracted: ArticleMeta) -> ArticleMeta:
    """Declared fields (sidecar, front matter, HTML meta tags) win, even an explicit null date."""
    declared = declared or {}
    found = {k: getattr(extracted, k) for k in META_FIELDS}
    if "date" in declared:  # a declared date (or declared "undated") replaces the whole date story
        found.update(date=None, date_precision=None, date_basis=None)
    from_extract = any(v is not None and k not in declared for k, v in found.items())
    fields = {**found, **declared}
    if declared and from_extract:
        source = "mixed"
    elif declared:
        source = "sidecar"
    else:
        source = extracted.meta_source
    return ArticleMeta(**fields, meta_source=source)
