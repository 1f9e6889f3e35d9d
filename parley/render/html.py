"""The one HTML renderer for the page: pure functions of typed models, every article string escaped.

Articles are untrusted input: titles, outlets, file names, ids, quotes and answer text all pass
through `html.escape` before they are wrapped in markup. `app.py` passes `unsafe_allow_html=True`
only for strings built here. `md_label` makes the same strings safe where Streamlit reads Markdown
(expander labels, captions, toasts): it escapes the characters that would turn into links, images,
HTML, emphasis or maths.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence

from parley.core.schema import Answer, Article, BriefLine, Position, Shift, SourceSpan
from parley.render.markdown import KIND_NOTE, outlets_phrase

_MARKER = re.compile(r"\[(\d+)\]")
_BLANKS = re.compile(r"\n\s*\n\s*")
_MD_SPECIAL = re.compile(r"([\\\[\]<>$])")  # links, images, HTML, maths; emphasis is harmless

SpanNumbers = Mapping[tuple[str, int, int], tuple[int, SourceSpan]]

PAGE_CSS = """
<style>
mark.parley-cite, mark.parley-near { background: #ffe98a; padding: 0 .15em; border-radius: .2em; }
mark.parley-near { background: #e3ecf7; }
.parley-context { font-size: .92rem; line-height: 1.6; color: inherit; opacity: .92; }
sup.parley-ref { color: #1565c0; font-weight: 600; margin-left: .05em; }
.parley-answer { font-size: 1.05rem; line-height: 1.65; margin-bottom: .75rem; }
.parley-unsupported { color: #9e9e9e; font-size: .85rem; font-style: italic; }
.parley-evidence { border-left: 3px solid #ffe98a; padding: .2rem .8rem; margin-bottom: .6rem; }
.parley-evidence-head { font-size: .8rem; color: #757575; margin-bottom: .2rem; }
</style>
"""


def esc(text: object) -> str:
    """HTML-escape any value (quotes included), one line."""
    return html.escape(" ".join(str(text).split()), quote=True)


def md_label(text: object) -> str:
    """A string made safe for Streamlit Markdown (labels, captions): no links, HTML or maths."""
    flat = _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return "\\" + flat if flat.startswith("#") else flat  # not a heading


def md_html(text: object) -> str:
    """Text for Markdown that also carries our own inline HTML: HTML- then Markdown-escaped."""
    return md_label(html.escape(" ".join(str(text).split()), quote=False))


# --- spans -----------------------------------------------------------------------------------
def escape_block(text: str) -> str:
    """Escape article text for HTML, keeping paragraph breaks readable (no blank lines left)."""
    text = _BLANKS.sub("\n\n", text)
    return html.escape(text).replace("\n\n", "<br><br>").replace("\n", " ")


def context_window(text: str, start: int, end: int, window: int = 400) -> tuple[int, int]:
    """About `window` characters around [start, end), widened to whole words."""
    half = max(0, window - (end - start)) // 2
    a, b = max(0, start - half), min(len(text), end + half)
    while a > 0 and not text[a - 1].isspace():  # don't cut a word in half
        a -= 1
    while b < len(text) and not text[b].isspace():
        b += 1
    return a, b


def _mark(css_class: str, n: int | None, inner: str) -> str:
    data_n = f' data-n="{int(n)}"' if n is not None else ""
    return f'<mark class="{esc(css_class)}"{data_n}>{inner}</mark>'


def highlight_html(
    text: str, start: int, end: int, *, n: int | None = None, window: int = 400,
    css_class: str = "parley-cite",
) -> str:
    """The span [start, end) of `text` inside its surrounding text, as escaped HTML with <mark>."""
    a, b = context_window(text, start, end, window)
    return (
        '<div class="parley-context">'
        + ("… " if a > 0 else "")
        + escape_block(text[a:start])
        + _mark(css_class, n, html.escape(text[start:end]))
        + escape_block(text[end:b])
        + (" …" if b < len(text) else "")
        + "</div>"
    )


def span_html(span: SourceSpan, article_text: str | None, *, n: int | None = None,
              css_class: str = "parley-cite") -> str:
    """Highlight a span inside its article; fall back to the bare quote when the text is gone."""
    if article_text is not None and span.matches(article_text):
        return highlight_html(article_text, span.start, span.end, n=n, css_class=css_class)
    return (f'<div class="parley-context">{_mark(css_class, n, escape_block(span.text))}'
            "<br><em>(article text unavailable)</em></div>")


# --- labels ----------------------------------------------------------------------------------
def source_label(source: str, article: Article | None) -> str:
    """'Title · Outlet · 2022-03-17' as plain text (file name when the title is unknown)."""
    meta = article.meta if article is not None else None
    title = " ".join((meta.title if meta and meta.title else source).split())
    if len(title) > 90:
        title = title[:87].rstrip() + "…"
    outlet = " ".join(meta.outlet.split()) if meta and meta.outlet else None
    date = meta.date.isoformat() if meta and meta.date else "undated"
    return " · ".join(p for p in (title, outlet, date) if p)


# --- answers ---------------------------------------------------------------------------------
def answer_html(answer: Answer) -> str:
    """The verified answer text, escaped, with [n] markers as superscript references."""
    body = escape_block(answer.answer)
    refs = _MARKER.sub(r'<sup class="parley-ref">[\1]</sup>', body)
    return f'<div class="parley-answer">{refs}</div>'


def evidence_html(evidence: Sequence[SourceSpan], seconds: float | None = None) -> str:
    """The articles' own sentences, numbered and escaped, shown before the model has finished."""
    when = f", {seconds:.1f} s" if seconds is not None else ""
    items = "".join(f'<li>“{esc(c.text)}” <sup class="parley-ref">[{i}]</sup></li>'
                    for i, c in enumerate(evidence, 1))
    return (f'<div class="parley-evidence"><div class="parley-evidence-head">From the articles '
            f"(verbatim, before the model{when})</div><ol>{items}</ol></div>")


def unsupported_html(sentences: Iterable[str]) -> str:
    """The draft sentences no passage supports, quoted and flagged as uncited."""
    items = " ".join(f"“{esc(s)}”" for s in sentences)
    return (f'<div class="parley-unsupported">Not supported by the articles, so left uncited: '
            f"{items}</div>")


# --- briefs ----------------------------------------------------------------------------------
def span_key(span: SourceSpan) -> tuple[str, int, int]:
    """The identity of a span: (source, start, end)."""
    return (span.source, span.start, span.end)


def brief_line_html(line: BriefLine, numbers: SpanNumbers) -> str:
    """A brief line, escaped, followed by the numbers of the spans it cites."""
    refs = "".join(f'<sup class="parley-ref">[{numbers[span_key(s)][0]}]</sup>'
                   for s in line.citations if span_key(s) in numbers)
    return md_html(line.text) + refs


def brief_lines_html(lines: Sequence[BriefLine], numbers: SpanNumbers) -> str:
    """Brief lines as a Markdown list of escaped lines with reference numbers."""
    return "\n".join(f"- {brief_line_html(x, numbers)}" for x in lines)


def position_html(p: Position, numbers: SpanNumbers) -> str:
    """A position: verbatim words in quotation marks (direct) or the sentence as reported."""
    refs = "".join(f'<sup class="parley-ref">[{numbers[span_key(s)][0]}]</sup>'
                   for s in p.sources if span_key(s) in numbers)
    if p.kind == "direct":
        said = f"**{md_html(p.speaker or 'unnamed source')}**: “{md_html(p.text)}”"
    else:
        said = f"{md_html(p.text)} <em>({md_html(KIND_NOTE.get(p.kind, p.kind))})</em>"
    label = f"{p.label} {p.confidence:.0%}" if p.label and p.confidence is not None else "not labelled"
    carried = f"{len(p.sources)} article{'s' if len(p.sources) != 1 else ''}, " \
              f"{outlets_phrase(p.outlets, p.unknown_outlets)}"
    return f"{said}{refs}  \n<small>{md_html(label)} · {md_html(carried)}</small>"


def shift_html(shift: Shift, before: str, after: str) -> str:
    """One shift or contradiction: kind, labels, note, and the two articles' labels."""
    return (f"- **{md_html(shift.kind)}**: {md_html(shift.from_label)} → "
            f"{md_html(shift.to_label)} — {md_html(shift.note)}  \n  "
            f"<small>{md_html(before)} → {md_html(after)}</small>")


# --- corpus ----------------------------------------------------------------------------------
def corpus_row_html(title: str, doc_id: str) -> str:
    """A corpus row's title and document id, both escaped."""
    return f"**{md_html(title)}**  \n<small>{md_html(doc_id)}</small>"
