"""Line-level boilerplate rules: the vocabulary and patterns the cleaner scores units with.

Each detector takes one line (or hard-wrapped paragraph) and returns a reason string when the
line looks like web furniture (credit, hashtags, stray token, link line, call-to-action or ad
vocabulary), else None. `vectorstore/clean.py` combines them with position and prose features.
"""

from __future__ import annotations

import re

from vectorstore.clean_policy import CLEAN
from vectorstore.meta import find_date

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
    if len(words) > CLEAN.credit_max_words:
        return None
    if re.match(r"^!\[[^\]]*\]\([^)]*\)\s*$", text):
        return "image"
    if _CREDIT.search(text):
        return "photo or copyright credit"
    # "Capitals (Agencies)": a wire attribution line carries no claim of the article
    if len(words) <= CLEAN.wire_max_words and _WIRE.match(text) and not _TERMINAL.search(text):
        return "wire credit"
    return None


def _hashtags(text: str) -> str | None:
    if "#" not in text:
        return None
    toks = text.split()
    tags = [t for t in toks if re.match(r"#[^\W_][\w-]*", t)]
    return "hashtags" if tags and len(tags) >= CLEAN.hashtag_share * len(toks) else None


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
    if len(parts) >= CLEAN.breadcrumb_min_parts and all(
            len(_words(p)) <= CLEAN.breadcrumb_part_max_words for p in parts):  # Home › World
        return "navigation or breadcrumb"
    toks = text.split()
    return "stray token" if len(toks) <= CLEAN.stray_max_tokens and all(_stray(t) for t in toks) else None


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
    return (CLEAN.strong_weight * strong + len(_MEDIUM.findall(text))
            + len(_WEAK.findall(text)) / CLEAN.weak_divisor)


def _vocab(text: str, words: list[str], prose: bool) -> str | None:
    n = max(len(words), 1)
    if prose and n > CLEAN.widget_max_prose_words:  # a long paragraph is never a widget
        return None
    strong = len(_STRONG.findall(text))
    score = _vocab_score(text, strong)
    if prose:  # a real sentence needs a strong phrase, or dense vocabulary, to be furniture
        hit = bool(strong) or (score >= CLEAN.prose_min_score and score / n >= CLEAN.min_density)
    else:
        hit = score >= CLEAN.line_min_score and (
            n <= CLEAN.line_short_words or score >= CLEAN.line_sure_score or score / n >= CLEAN.min_density)
    return "call-to-action, comment, cookie or ad text" if hit else None


def _is_dateline(text: str) -> bool:
    return len(_words(text)) <= CLEAN.dateline_max_words and find_date(text) is not None
