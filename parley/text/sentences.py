"""Sentence spans over original text: the unit of chunking, citation and quote attribution."""

from __future__ import annotations

import re

# Abbreviations that end in a period but rarely end a sentence.
_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "capt",
    "st", "jr", "sr", "inc", "ltd", "co", "corp", "vs", "etc", "no", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "u.n", "e.g", "i.e",
    "a.m", "p.m", "approx", "dept", "est", "fig", "mt",
}
_CLOSERS = "\"'”’»)]"
# candidate boundary: terminal punctuation, optional closing quotes/brackets, then whitespace
_BOUNDARY = re.compile(r"[.!?…]+[" + re.escape(_CLOSERS) + r"]*(?=\s)")
_PARA = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*[#*\-•])")


def trim_span(text: str, a: int, b: int) -> tuple[int, int]:
    """The span [a, b) of text without its leading and trailing whitespace (a == b when blank)."""
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _is_abbrev(text: str, dot_pos: int) -> bool:
    """True when the period at dot_pos ends a known abbreviation or an initial."""
    m = re.search(r"([A-Za-z.]+)$", text[:dot_pos])
    if not m:
        return False
    word = m.group(1).lower().rstrip(".")
    if word in _ABBREV:
        return True
    return len(word) == 1 and word.isalpha()  # an initial: "J. Biden"


def _next_starts_sentence(text: str, pos: int) -> bool:
    """True when the text after whitespace at pos looks like a sentence start."""
    m = re.match(r"\s*([\"'“‘«(\[]*)(\S)", text[pos:])
    if not m:
        return True
    ch = m.group(2)
    return ch.isupper() or ch.isdigit() or bool(m.group(1))


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Return (start, end) spans of sentences within text[start:end], trimmed of whitespace.

    Paragraph breaks (blank lines) always end a sentence; a single newline ends one when the
    line before looks finished or the next line looks like a new block (headline-style text).
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []

    def emit(a: int, b: int) -> None:
        a, b = trim_span(text, a, b)
        if b > a:
            spans.append((a, b))

    # split into lines-blocks first: every newline is a hard break for headline-like lines
    block_start = start
    for line in re.finditer(r"[^\n]*(\n|$)", text[start:end]):
        ls, le = start + line.start(), start + line.end()
        if ls == le:
            break
        body = text[ls:le].rstrip("\n")
        nxt = text[le:end].lstrip(" \t")
        # a line break inside a paragraph of running prose continues the sentence
        cont = (
            body.strip()
            and not re.search(r"[.!?…:" + re.escape(_CLOSERS) + r"]\s*$", body)
            and nxt[:1].islower()
        )
        if cont:
            continue
        _split_block(text, block_start, le, emit)
        block_start = le
    if block_start < end:
        _split_block(text, block_start, end, emit)
    return spans


def _split_block(text: str, a: int, b: int, emit) -> None:
    pos = a
    for m in _BOUNDARY.finditer(text, a, b):
        dot = m.start()
        if text[dot] == "." and m.end() - dot == 1 and _is_abbrev(text, dot):
            continue
        if not _next_starts_sentence(text, m.end()):
            continue
        emit(pos, m.end())
        pos = m.end()
    emit(pos, b)


def sentences_of(text: str, start: int = 0, end: int | None = None) -> list[str]:
    """The sentence strings (convenience for tests and prompts)."""
    return [text[s:e] for s, e in split_sentences(text, start, end)]
