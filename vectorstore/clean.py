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

from vectorstore.meta import find_date


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


_BLOCK_START = re.compile(r"\s*(?:[#>|*•\-–—]|\d+[.)]\s)")


# ---- line rules: general patterns of web furniture, not a list of known strings ----

_TERMINAL = re.compile(r"[.!?…][\"'”’»)\]“\s]*$")  # "about. “" (a stray opening quote) still ends
_CREDIT = re.compile(
    r"©|\(c\)\s*\d{4}|\b(?:getty images|shutterstock|afp photo|ap photo|reuters/|epa-efe"
    r"|photo(?:graph)?s? (?:by|credit)|image (?:by|credit|source))"
    r"|^\W*(?:photo|photograph|image|picture|foto|bild|credit|caption|illustration)\s*[:：|/]"
    r"|\b(?:photo(?:graph)?|image|picture|foto|credit|illustration|composite|graphic)s?\s*[:：/]\s*[\w .&/-]{2,40}$",
    re.I,
)
_WIRE = re.compile(r"^[^.!?]{0,40}\([^()]{2,25}\)\W*$")
_LINK = re.compile(
    r"^\W{0,3}(?:read(?: more| also| next| this| the full story)?|also read|see also"
    r"|related(?: articles?| stories| news| content| coverage)?|more (?:on this(?: story)?|from|stories|news)"
    r"|recommended(?: for you)?|watch(?: now)?|listen|trending(?: now)?|most read|popular now"
    r"|you (?:may|might) also like|further reading|continue reading|click here|lee también|leer más"
    r"|lesen sie auch|mehr zum thema|weiterlesen|lire aussi|lire la suite|leggi anche|ayrıca (?:okuyun|bakınız)"
    r"|читайте также)\b\s*(?P<sep>[:：\-–—|»>]*)\s*(?P<rest>.*)$",
    re.I,
)
_ITEM = re.compile(r"^\s*(?:[*•\-–—]|\d+[.)])\s+")
_BARE_LINK = re.compile(r"^(?:\[[^\]]*\]\([^)]*\)|<?https?://\S+>?)$")
# weights: a strong phrase alone marks furniture; medium words need a short or non-prose line;
# weak words (social networks, "share", "menu") only count when several stack up
_STRONG = re.compile(
    r"\b(?:leave a (?:comment|reply)|post a comment|add a comment|your email address will not be published"
    r"|required fields are marked|comments are closed|be the first to comment|join the (?:conversation|discussion)"
    r"|we use cookies|(?:this|our) (?:site|website) uses cookies|accept (?:all )?cookies|cookie (?:policy|settings|preferences)"
    r"|subscribe to (?:our|the)|share this (?:article|story|post|page)|back to top|scroll to top"
    r"|skip to (?:main )?content|all rights reserved|click here|follow us on|sign up (?:for|to) (?:our|the)"
    r"|deja (?:un comentario|una respuesta)|schreibe? einen kommentar|kommentar (?:schreiben|verfassen)"
    r"|antwort hinterlassen|laisser un commentaire|laisser une réponse|lascia un commento|deixe um comentário"
    r"|bir yanıt yazın|yorum yap|оставить комментарий|promo code|free spins|sponsored content"
    r"|paid (?:post|content|partnership)|(?:delivered|straight) to your inbox|get the latest)",
    re.I,
)
_MEDIUM = re.compile(
    r"\b(?:newsletters?|subscribe|subscription|sign up|log ?in|sign in|register|inbox|cookies?|consent"
    r"|advertisement|advertising|sponsored|casinos?|bookmakers?|betting|sportsbook|jackpot|poker|wager"
    r"|bonus|comments?|privacy policy|terms of (?:use|service)|unsubscribe|kommentare?|comentarios?"
    r"|commentaires?|yorumlar|respuesta|donate|paywall|trending|tags?|topics?|filed under"
    r"|categor(?:y|ies)|sources?|anzeige|publicidad|werbung)\b",
    re.I,
)
_WEAK = re.compile(
    r"\b(?:share|facebook|twitter|whatsapp|telegram|linkedin|pinterest|reddit|instagram|youtube|tiktok"
    r"|email|e-mail|print|menu|home|search|previous|next|button|top|tweet|follow|bet|odds|slots?"
    r"|deals?|online|copy link)\b",
    re.I,
)


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_][\w'’-]*", text)


def _credit(text: str, words: list[str]) -> str | None:
    if len(words) > 40:
        return None
    if re.match(r"^!\[[^\]]*\]\([^)]*\)\s*$", text):
        return "image"
    if _CREDIT.search(text):
        return "photo or copyright credit"
    # "Capitals (Agencies)": a wire attribution line carries no claim of the article
    if len(words) <= 4 and _WIRE.match(text) and not _TERMINAL.search(text):
        return "wire credit"
    return None


def _hashtags(text: str) -> str | None:
    if "#" not in text:
        return None
    toks = text.split()
    tags = [t for t in toks if re.match(r"#[^\W_][\w-]*", t)]
    return "hashtags" if tags and 2 * len(tags) >= len(toks) else None


def _stray(tok: str) -> bool:
    """An id or slug ("ttn-3", "a1b2") rather than a word."""
    t = tok.strip(".,;:()[]")
    if not t.isascii() or not re.search(r"[A-Za-z]", t):
        return False
    if re.search(r"\d", t):
        return True
    letters = re.sub(r"[^A-Za-z]", "", t)
    return len(letters) >= 2 and not re.search(r"[aeiouyAEIOUY]", letters)


def _junk(text: str, words: list[str]) -> str | None:
    if not words:
        return "no words"
    parts = re.split(r"\s+[›»>|/·•]\s+", text)
    if len(parts) >= 3 and all(len(_words(p)) <= 3 for p in parts):  # "Home › World › Europe"
        return "navigation or breadcrumb"
    toks = text.split()
    return "stray token" if len(toks) <= 2 and all(_stray(t) for t in toks) else None


def _link_target(text: str) -> str | None:
    m = _LINK.match(text)
    return m.group("rest") if m else None


def _link(text: str, terminal: bool) -> str | None:
    text = _ITEM.sub("", text, count=1)  # "- [Storm hits coast](/x)" is a link too
    if _BARE_LINK.match(text):
        return "bare link"
    m = _LINK.match(text)
    if m and (m.group("sep") or not terminal or not m.group("rest")):
        return "link to another article"
    return None


def _vocab_score(text: str, strong: int | None = None) -> float:
    strong = len(_STRONG.findall(text)) if strong is None else strong
    return 2 * strong + len(_MEDIUM.findall(text)) + len(_WEAK.findall(text)) / 3


def _vocab(text: str, words: list[str], prose: bool) -> str | None:
    n = max(len(words), 1)
    if prose and n > 60:  # a long paragraph is never a widget
        return None
    strong = len(_STRONG.findall(text))
    score = _vocab_score(text, strong)
    if prose:  # a real sentence needs a strong phrase, or dense vocabulary, to be furniture
        hit = bool(strong) or (score >= 3 and score / n >= 0.25)
    else:
        hit = score >= 1 and (n <= 6 or score >= 2 or score / n >= 0.25)
    return "call-to-action, comment, cookie or ad text" if hit else None


def _is_dateline(text: str) -> bool:
    return len(_words(text)) <= 12 and find_date(text) is not None


def _units(text: str, start: int) -> list[_Unit]:
    """Non-blank lines as trimmed units; hard-wrapped prose lines are joined into one unit."""
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text) if m.start() >= start]
    lines = [(a, b) for a, b in lines if text[a:b].strip()]
    # hard-wrapped files (no line much past 100 chars) join lines by length; others only by case
    wrapped = max((b - a for a, b in lines), default=0) <= 120
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
    joined = line[:1].islower() or (wrapped and len(last_line) >= 40 and not last_line.startswith("#"))
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
        sentence_like=(terminal and n >= 2) or n >= 30,
        prose=(terminal and n >= 6) or n >= 30,
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
        elif counts.get(key, 0) > 1 and len(feats[i].words) >= 3 and not u.dropped:
            if not feats[i].sentence_like:  # teaser headlines: every copy is a link
                u.reason = "repeated line (teaser or link title)"
            elif key in seen_sentences:  # a pull quote repeats a sentence: keep the first
                u.reason = "repeated sentence (pull quote)"
            seen_sentences.add(key)

    # a repeated headline glued to the end of a real line: cut it off, keep the rest
    heads = {units[title_i].text} if title_i is not None else set()
    heads |= {
        u.text for u, f in zip(units, feats, strict=True)
        if counts.get(_norm(u.text), 0) > 1 and len(u.text) >= 15 and not f.sentence_like
    }
    for i, u in enumerate(units):
        if u.dropped or i == title_i:
            continue
        for h in sorted(heads, key=lambda x: (-len(x), x)):  # longest first, same order every run
            if u.text.endswith(h) and len(u.text) - len(h) >= 20 and u.text != h:
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
        if counts.get(_norm(units[i].text), 0) > 1 and len(feats[i].words) >= 3:
            return i
    for i in head:
        if units[i].text.startswith("#") or len(feats[i].words) >= 3:
            return i
    return None


def _structural(units: list[_Unit], feats: list[_Feat], title_i: int | None) -> None:
    """Drop short non-prose lines by position: labels before the title, furniture after the body."""
    items = {i for i, u in enumerate(units) if _ITEM.match(u.text) and len(feats[i].words) >= 3}
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
        if n <= 15 and 0 < i < len(units) - 1 and _vocab_score(u.text) >= 1:
            if units[i - 1].dropped and units[i + 1].dropped:
                u.reason = "call-to-action next to other furniture"
                continue
        if f.prose:
            continue
        if i < first:  # the head: section labels, bylines, standfirst
            if title_i is not None and i < title_i:
                if not f.sentence_like:
                    u.reason = "section label before the headline"
            elif not (n >= 6 or f.sentence_like or _is_dateline(u.text)):
                u.reason = "short label in the header"
        elif i > last:  # the tail: widgets, labels, buttons after the last paragraph
            if not (f.sentence_like and n >= 4):
                u.reason = "short line after the article"
        else:  # the middle: keep crossheads, list items and short quotes; drop stray labels
            prev_ok = pos > 0 and feats[live[pos - 1]].prose
            next_ok = pos + 1 < len(live) and feats[live[pos + 1]].prose
            crosshead = 2 <= n <= 12 and u.text[:1].isupper() and prev_ok and next_ok
            intro = u.text.endswith(":") and pos + 1 < len(live) and live[pos + 1] in items
            if not (f.sentence_like or crosshead or i in items or intro or u.text.startswith("#")):
                u.reason = "short non-prose line"
