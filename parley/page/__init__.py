"""The page's helpers that are not HTML: the service factory, uploads, history, table rows, charts.

Nothing here imports Streamlit, so every piece is testable on its own; the Streamlit side is the
tabs beside this file (chat.py, briefs.py, corpus.py), which app.py lays out. Every piece of HTML
the page shows comes from `parley.render.html`, which escapes article text; nothing here builds
markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from parley.core.schema import Answer, Article, SourceSpan
from parley.core.settings import get_settings
from parley.render.html import span_key
from parley.service import Parley
from vectorstore.ingest import IngestReport

UPLOAD_TYPES = ["txt", "md", "html", "htm"]


def make_service() -> Any:
    """Build the service the page uses (tests replace this function with one returning fakes)."""
    return Parley(get_settings())


def unsupported_sentences(answer: Answer) -> list[str]:
    """Sentences of the draft that no passage supports (never shown as cited)."""
    return [s.text for s in answer.sentences if not s.supported]


def passage_sources(answer: Answer) -> list[str]:
    """Distinct sources of the retrieved passages, in rank order."""
    seen: dict[str, None] = {}
    for p in answer.passages:
        seen.setdefault(p.chunk.source, None)
    return list(seen)


def history_pairs(messages: Sequence[dict]) -> list[tuple[str, str]]:
    """The (role, text) history the chain expects, from the page's message list."""
    out = []
    for m in messages:
        if m.get("error"):
            continue
        ans = m.get("answer")
        text = ans.answer if isinstance(ans, Answer) else m.get("content", "")
        if text:
            out.append((m["role"], text))
    return out


# --- uploads -------------------------------------------------------------------------------
class Upload(Protocol):
    """What st.file_uploader returns (name + bytes)."""

    name: str

    def getvalue(self) -> bytes: ...


def upload_name(name: str) -> str | None:
    """The file name part of an uploaded name, or None when there is none ("..", "/", "")."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()  # no directories from the browser
    return None if base in ("", ".", "..") else base


def save_uploads(uploads: Iterable[Upload], folder: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Write uploads into `folder` under their own file names; (saved paths, (name, reason) refused)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths, refused = [], []
    for up in uploads:
        name = upload_name(up.name)
        if name is None:
            refused.append((up.name, f"{up.name!r} is not a file name; rename the file and upload it again"))
            continue
        path = folder / name
        path.write_bytes(up.getvalue())
        paths.append(path)
    return paths, refused


def ingest_uploads(
    service: Any, uploads: Sequence[Upload],
    on_progress: Callable[[float, str], None] | None = None,
) -> Any:
    """Ingest uploads one by one from `<data_dir>/uploads` (a fixed place, so re-uploading a file
    updates its document), deleting each copy afterwards; returns the merged IngestReport."""
    total = IngestReport(files=0)
    folder = Path(service.settings.data_dir) / "uploads"
    paths, refused = save_uploads(uploads, folder)
    total.files += len(refused)
    total.skipped.extend(refused)
    try:
        for i, path in enumerate(paths):
            if on_progress:
                on_progress(i / max(1, len(paths)), f"Reading {path.name}")
            rep = service.ingest([path], progress=False)
            for field in ("files", "added", "unchanged", "replaced", "chunks"):
                setattr(total, field, getattr(total, field) + getattr(rep, field))
            # report the name the user uploaded, not the folder it passed through
            total.skipped.extend((Path(f).name, reason.replace(f"{folder}/", ""))
                                 for f, reason in rep.skipped)
            path.unlink(missing_ok=True)
    finally:
        for path in paths:
            path.unlink(missing_ok=True)
    if on_progress:
        on_progress(1.0, "Done")
    return total


def corpus_rows(articles: Sequence[Article], sources: dict[str, dict[str, Any]]) -> list[dict]:
    """One row per document for the corpus table: title, outlet, date, chunks."""
    return [
        {
            "doc_id": a.doc_id,
            "title": a.meta.title or a.doc_id,
            "outlet": a.meta.outlet or "—",
            "date": a.meta.date.isoformat() if a.meta.date else "undated",
            "chunks": int(sources.get(a.doc_id, {}).get("chunks", 0)),
        }
        for a in articles
    ]


CORPUS_PAGE = 50  # documents per page of the Corpus tab: a screenful (a layout choice, not a measurement)


def filter_rows(rows: Sequence[dict], query: str) -> list[dict]:
    """The rows whose title, outlet, date or document id contain every word of `query` (any case)."""
    words = query.casefold().split()
    if not words:
        return list(rows)
    def hay(r: dict) -> str:
        return " ".join(str(r[k]) for k in ("title", "outlet", "date", "doc_id")).casefold()
    return [r for r in rows if all(w in hay(r) for w in words)]


def page_of(rows: Sequence[dict], page: int, size: int = CORPUS_PAGE) -> tuple[list[dict], int, int]:
    """One page of rows (1-based, clamped into range), the page shown and the number of pages."""
    pages = max(1, -(-len(rows) // size))
    page = min(max(1, page), pages)
    return list(rows[(page - 1) * size : page * size]), page, pages


# --- briefs --------------------------------------------------------------------------------
STANCE_ORDER = ["open", "conditional", "noncommittal", "opposed"]
STANCE_COLOURS = ["#2e7d32", "#f9a825", "#78909c", "#c62828"]


def brief_citations(brief: Any) -> dict[tuple[str, int, int], tuple[int, SourceSpan]]:
    """Number every span the brief's summary, positions and claims cite, in order of first use."""
    out: dict[tuple[str, int, int], tuple[int, SourceSpan]] = {}
    spans = [s for line in [*brief.summary, *brief.claims] for s in line.citations]
    spans += [s for p in getattr(brief, "positions", []) for s in p.sources]
    for span in spans:
        out.setdefault(span_key(span), (len(out) + 1, span))
    return out


def timeline_rows(brief: Any) -> list[dict]:
    """Dated per-article stances for the chart (undated entries are never given a date)."""
    return [
        {
            "date": e.date.isoformat(),
            "stance": e.stance.label or "no position",
            "confidence": round(e.stance.confidence, 2),
            "title": e.title or e.source,
            "outlet": e.outlet or "—",
            "source": e.source,
        }
        for e in brief.timeline
        if e.date is not None
    ]


def stance_rows(stances: Sequence[Any], articles: dict[str, Article]) -> list[dict]:
    """Per-article stances as table rows, dated ones first in date order, undated last."""
    rows = []
    for s in stances:
        art = articles.get(s.source or "")
        date = s.date or (art.meta.date if art is not None else None)
        rows.append({
            "article": (art.meta.title if art is not None and art.meta.title else s.source),
            "date": date.isoformat() if date else "undated",
            "stance": s.label or "no position",
            "confidence": round(s.confidence, 2),
            "why": s.rationale or "",
        })
    return sorted(rows, key=lambda r: (r["date"] == "undated", r["date"]))


def timeline_chart(brief: Any) -> Any:
    """An Altair chart of stance by article date (None when nothing is dated)."""
    import altair as alt  # lazy: ~0.5 s to import, and only the brief tab draws this chart

    rows = timeline_rows(brief)
    if not rows:
        return None
    domain = [*STANCE_ORDER, "no position"]
    scale = alt.Scale(domain=domain, range=[*STANCE_COLOURS, "#bdbdbd"])
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("date:T", title="article date", scale=alt.Scale(padding=24),
                axis=alt.Axis(format="%-d %b %Y", tickCount=6, labelAngle=0)),
        y=alt.Y("stance:N", title=None, sort=domain, scale=alt.Scale(domain=domain)),
    )
    line = base.mark_line(color="#9e9e9e", strokeDash=[4, 4])
    points = base.mark_circle(size=220, opacity=0.95).encode(
        color=alt.Color("stance:N", scale=scale, legend=None),
        tooltip=["date:T", "stance:N", "confidence:Q", "title:N", "outlet:N", "source:N"],
    )
    return (line + points).properties(height=220)
