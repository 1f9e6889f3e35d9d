"""Boilerplate removal for news text: keep the article, drop web furniture, as spans of the original.

The cleaner never rewrites text. It splits the text into units (lines, or hard-wrapped
paragraphs), scores each with general features (prose-likeness, link prefixes, call-to-action /
comment / cookie / ad vocabulary, credits, hashtags, repeats) and its place in the document
(head before the first prose, middle, tail after the last prose), and returns the kept ranges.
A unit may be cut in two (a standfirst with a repeated headline glued to its end), which is why
`kept` is a list of spans rather than a list of lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel

from vectorstore.boilerplate import (
    _BLOCK_START,
    _ITEM,
    _TERMINAL,
    _credit,
    _hashtags,
    _is_dateline,
    _junk,
    _link,
    _link_target,
    _vocab,
    _vocab_score,
    _words,
)
from vectorstore.clean_policy import CLEAN


class Removed(BaseModel):
    """A range of the text the cleaner dropped, and why."""

    start: int
    end: int
    reason: str
    text: str


class CleanResult(BaseModel):
    """Kept spans (ordered, non-overlapping, trimmed) and what was removed."""

    kept: list[tuple[int, int]]
    removed: list[Removed]
    title_span: tuple[int, int] | None = None  # the headline line, when one was recognised


@dataclass
class _Unit:
    start: int
    end: int
    text: str
    reason: str | None = None  # set when dropped

    @property
    def dropped(self) -> bool:
        return self.reason is not None


def _units(text: str, start: int) -> list[_Unit]:
    """Non-blank lines as trimmed units; hard-wrapped prose lines are joined into one unit."""
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text) if m.start() >= start]
    lines = [(a, b) for a, b in lines if text[a:b].strip()]
    # hard-wrapped files (no line much past 100 chars) join lines by length; others only by case
    wrapped = max((b - a for a, b in lines), default=0) <= CLEAN.wrapped_max_chars
    units: list[_Unit] = []
    prev_end = -1
    for a, b in lines:
        a += len(text[a:b]) - len(text[a:b].lstrip())
        b -= len(text[a:b]) - len(text[a:b].rstrip())
        if units and _continues(text, a, b, prev_end, wrapped):
            units[-1].end = b
            units[-1].text = text[units[-1].start : b]
        else:
            units.append(_Unit(a, b, text[a:b]))
        prev_end = b
    return units


def _continues(text: str, a: int, b: int, prev_end: int, wrapped: bool) -> bool:
    """True when line [a, b) continues the previous line's sentence (no blank line between)."""
    if "\n\n" in text[prev_end:a].replace("\r", "").replace(" ", "").replace("\t", ""):
        return False
    last_line = text[text.rfind("\n", 0, prev_end) + 1 : prev_end].strip()
    line = text[a:b]
    if line.strip() == last_line or _BLOCK_START.match(line) or _TERMINAL.search(last_line):
        return False
    # a long unfinished line followed by more text is hard-wrapped prose
    joined = line[:1].islower() or (
        wrapped and len(last_line) >= CLEAN.wrap_join_min_chars and not last_line.startswith("#"))
    # ...unless either line is furniture on its own (a caption line above the first paragraph)
    return joined and not any(_content_reason(x, _feat(x)) for x in (last_line, line))


@dataclass
class _Feat:
    words: list[str]
    terminal: bool
    sentence_like: bool  # reads as a finished sentence (or is long)
    prose: bool  # a real paragraph: marks where the article body starts and ends


def _feat(text: str) -> _Feat:
    words = _words(text)
    terminal = bool(_TERMINAL.search(text))
    n = len(words)
    return _Feat(
        words=words,
        terminal=terminal,
        sentence_like=(terminal and n >= CLEAN.sentence_min_words) or n >= CLEAN.long_unit_words,
        prose=(terminal and n >= CLEAN.prose_min_words) or n >= CLEAN.long_unit_words,
    )


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def _content_reason(text: str, f: _Feat) -> str | None:
    """Reasons that hold whatever the unit's position: credits, tags, junk, links, vocabulary."""
    return (
        _credit(text, f.words)
        or _hashtags(text)
        or _junk(text, f.words)
        or _link(text, f.terminal)
        or _vocab(text, f.words, f.prose)
    )


def clean_text(text: str, *, title: str | None = None, start: int = 0) -> CleanResult:
    """Split `text` into kept article spans and removed boilerplate (text before `start` is skipped)."""
    removed: list[Removed] = []
    if start > 0 and text[:start].strip():
        removed.append(Removed(start=0, end=start, reason="front matter", text=text[:start]))
    units = _units(text, start)
    feats = [_feat(u.text) for u in units]
    for u, f in zip(units, feats, strict=True):
        u.reason = _content_reason(u.text, f)

    # repeated lines: teasers and link titles recur; the headline recurs as site furniture
    counts: dict[str, int] = {}
    for u in units:
        for key in {_norm(u.text), _norm(_link_target(u.text) or "")} - {""}:
            counts[key] = counts.get(key, 0) + 1
    title_i = _find_title(units, feats, counts, title)
    seen_title = False
    seen_sentences: set[str] = set()
    for i, u in enumerate(units):
        key = _norm(u.text)
        if title_i is not None and key == _norm(units[title_i].text):
            if seen_title and i != title_i:
                u.reason = u.reason or "repeated title"
            seen_title = seen_title or i == title_i
        elif counts.get(key, 0) > 1 and len(feats[i].words) >= CLEAN.repeat_min_words and not u.dropped:
            if not feats[i].sentence_like:  # teaser headlines: every copy is a link
                u.reason = "repeated line (teaser or link title)"
            elif key in seen_sentences:  # a pull quote repeats a sentence: keep the first
                u.reason = "repeated sentence (pull quote)"
            seen_sentences.add(key)

    # a repeated headline glued to the end of a real line: cut it off, keep the rest
    heads = {units[title_i].text} if title_i is not None else set()
    heads |= {
        u.text for u, f in zip(units, feats, strict=True)
        if counts.get(_norm(u.text), 0) > 1 and len(u.text) >= CLEAN.glued_head_min_chars
        and not f.sentence_like
    }
    for i, u in enumerate(units):
        if u.dropped or i == title_i:
            continue
        for h in sorted(heads, key=lambda x: (-len(x), x)):  # longest first, same order every run
            if u.text.endswith(h) and len(u.text) - len(h) >= CLEAN.glued_rest_min_chars and u.text != h:
                cut = u.end - len(h)
                u.end = cut - (len(text[u.start : cut]) - len(text[u.start : cut].rstrip()))
                u.text = text[u.start : u.end]
                feats[i] = _feat(u.text)
                removed.append(Removed(start=cut, end=cut + len(h), reason="glued repeat of headline", text=h))
                break

    _structural(units, feats, title_i)
    kept: list[tuple[int, int]] = []
    for u in units:
        if u.dropped:
            removed.append(Removed(start=u.start, end=u.end, reason=u.reason or "", text=u.text))
        else:
            kept.append((u.start, u.end))
    removed.sort(key=lambda r: r.start)
    title_span = None
    if title_i is not None and not units[title_i].dropped:
        title_span = (units[title_i].start, units[title_i].end)
    return CleanResult(kept=kept, removed=removed, title_span=title_span)


def _find_title(
    units: list[_Unit], feats: list[_Feat], counts: dict[str, int], title: str | None
) -> int | None:
    """Index of the headline: the given title, else a head line that recurs, else the first headline-like one."""
    head = []
    for i, (u, f) in enumerate(zip(units, feats, strict=True)):
        if f.prose and not u.dropped:
            break
        if not u.dropped:
            head.append(i)
    if title:
        want = _norm(title)
        for i in head:
            if _norm(units[i].text).startswith(want) or want.startswith(_norm(units[i].text)):
                return i
    for i in head:
        if counts.get(_norm(units[i].text), 0) > 1 and len(feats[i].words) >= CLEAN.repeat_min_words:
            return i
    for i in head:
        if units[i].text.startswith("#") or len(feats[i].words) >= CLEAN.repeat_min_words:
            return i
    return None


def _structural(units: list[_Unit], feats: list[_Feat], title_i: int | None) -> None:
    """Drop short non-prose lines by position: labels before the title, furniture after the body."""
    items = {i for i, u in enumerate(units)
             if _ITEM.match(u.text) and len(feats[i].words) >= CLEAN.repeat_min_words}
    for i in sorted(items):  # a list under a removed heading ("Most read") is more of the same
        if i > 0 and units[i - 1].dropped:
            units[i].reason = units[i].reason or "list under a removed heading"
    live = [i for i, u in enumerate(units) if not u.dropped]
    prose = [i for i in live if feats[i].prose]
    body = [i for i in live if feats[i].prose or i in items]
    first = prose[0] if prose else len(units)
    last = body[-1] if body else -1
    for pos, i in enumerate(live):
        u, f = units[i], feats[i]
        n = len(f.words)
        if i == title_i:
            continue
        # a CTA-ish line wedged between two removed lines is part of the same widget
        if (n <= CLEAN.cta_max_words and 0 < i < len(units) - 1
                and _vocab_score(u.text) >= CLEAN.line_min_score):
            if units[i - 1].dropped and units[i + 1].dropped:
                u.reason = "call-to-action next to other furniture"
                continue
        if f.prose:
            continue
        if i < first:  # the head: section labels, bylines, standfirst
            if title_i is not None and i < title_i:
                if not f.sentence_like:
                    u.reason = "section label before the headline"
            elif not (n >= CLEAN.header_keep_min_words or f.sentence_like or _is_dateline(u.text)):
                u.reason = "short label in the header"
        elif i > last:  # the tail: widgets, labels, buttons after the last paragraph
            if not (f.sentence_like and n >= CLEAN.tail_keep_min_words):
                u.reason = "short line after the article"
        else:  # the middle: keep crossheads, list items and short quotes; drop stray labels
            prev_ok = pos > 0 and feats[live[pos - 1]].prose
            next_ok = pos + 1 < len(live) and feats[live[pos + 1]].prose
            lo, hi = CLEAN.crosshead_words
            crosshead = lo <= n <= hi and u.text[:1].isupper() and prev_ok and next_ok
            intro = u.text.endswith(":") and pos + 1 < len(live) and live[pos + 1] in items
            if not (f.sentence_like or crosshead or i in items or intro or u.text.startswith("#")):
                u.reason = "short non-prose line"
