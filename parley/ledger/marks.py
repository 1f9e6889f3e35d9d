"""Quotation marks → quoted segments, as exact character ranges of the original text.

Handles curly “ ” (and German „ “), straight " ", single ‘ ’ (apostrophes are not quotes:
"Russia’s", "don’t"), and « » in both directions. Newsroom habits handled on purpose: a quote
that runs on to the end of a paragraph and is re-opened in the next one, a stray closing mark
typed as an opening one ("… about. “"), and single quotes nested inside double ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parley.text.sentences import trim_span

_PARA = re.compile(r"\n[ \t]*\n")
_MARKS = re.compile("[“”„\"«»‘'’]")


@dataclass(frozen=True)
class Segment:
    """The words inside one pair of quotation marks."""

    start: int  # first character of the words (after the opening mark and spaces)
    end: int  # one past the last word character (closing mark, spaces and a trailing comma excluded)
    outer_start: int  # the opening mark
    outer_end: int  # one past the closing mark (== end of paragraph text when left open)
    style: str  # "double" | "straight" | "single" | "guillemet"
    closed: bool


def paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Blank-line separated paragraphs of text[start:end], trimmed, as spans."""
    out, pos = [], start
    for m in _PARA.finditer(text, start, end):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, end))
    return [(a, b) for a, b in (trim_span(text, *span) for span in out) if b > a]


def _inner(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and (text[b - 1].isspace() or text[b - 1] == ","):
        b -= 1
    return a, b


def quote_segments(text: str, start: int, end: int) -> list[Segment]:
    """Quoted segments inside one paragraph text[start:end], in order."""
    segs: list[Segment] = []
    open_at: int | None = None
    style = ""
    closer = ""

    def at(i: int) -> str:
        return text[i] if start <= i < end else " "

    def emit(close_at: int, outer_end: int, closed: bool) -> None:
        a, b = _inner(text, open_at + 1, close_at)
        if b > a:
            segs.append(Segment(a, b, open_at, outer_end, style, closed))

    skip_to = start
    for mk in _MARKS.finditer(text, start, end):  # only the marks matter: jump between them
        i = mk.start()
        if i < skip_to:
            continue
        c, prev, nxt = text[i], at(i - 1), at(i + 1)
        if open_at is None:
            word_before = prev.isalnum()
            if c in "“„" and not nxt.isspace():
                open_at, style, closer = i, "double", "”“"
            elif c == "”" and prev.isspace() and not nxt.isspace():  # a reversed opening mark
                open_at, style, closer = i, "double", "”“"
            elif c == '"' and not nxt.isspace() and not word_before:
                open_at, style, closer = i, "straight", '"'
            elif c == "«" or (c == "»" and not nxt.isspace() and not word_before):
                open_at, style, closer = i, "guillemet", "»" if c == "«" else "«"
            elif c in "‘'" and nxt.isalpha() and not word_before:
                close = _single_close(text, i + 1, end)
                if close is not None:  # otherwise an apostrophe ('90s) or a lone mark
                    open_at, style = i, "single"
                    emit(close, close + 1, True)
                    open_at, skip_to = None, close + 1
        elif c in closer:
            if style == "double" and c == "“" and prev.isspace() and not nxt.isspace():
                emit(i, i, False)  # a new quote opens before the old one closed
                open_at = i
            else:
                emit(i, i + 1, True)
                open_at = None
    if open_at is not None and style != "single":
        emit(end, end, False)  # runs on to the end of the paragraph (continued in the next one)
    return segs


def _single_close(text: str, i: int, end: int) -> int | None:
    """Where a single-quoted phrase opened just before i closes, within the same sentence."""
    limit = min(end, i + 200)
    while i < limit:
        c = text[i]
        if c in "’'" and not (i + 1 < end and text[i + 1].isalnum()) and text[i - 1] != " ":
            return i
        if c in ".!?" and i + 1 < end and text[i + 1].isspace() and text[i + 1 : i + 3].strip()[:1].isupper():
            return None
        if c == "\n":
            return None
        i += 1
    return None


def mask(text: str, segs: list[Segment], start: int, end: int) -> str:
    """text[start:end] with quoted words blanked (same length), so attribution never reads them."""
    chars = list(text[start:end])
    for s in segs:
        for k in range(max(s.start, start), min(s.end, end)):
            chars[k - start] = "\x00" if not chars[k - start].isspace() else chars[k - start]
    return "".join(chars)
