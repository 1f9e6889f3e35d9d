"""Attribution anchors: "X said", "said X", "X, who …, said", "quoted X as saying", "according to X".

Works on masked text (quoted words blanked, same offsets), so nothing inside a quote can become
a speaker. Each anchor records where its speaker's noun phrase is; `attrib_people` turns noun
phrases into speakers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parley.actors.registry import TITLE_WORDS, fold_text


def _forms(stem: str) -> dict[str, str]:
    """Regular verb forms of a stem, mapped to their tense."""
    if stem.endswith("y") and stem[-2] not in "aeiou":
        past, pres, ing = stem[:-1] + "ied", stem[:-1] + "ies", stem + "ing"
    elif stem.endswith("e"):
        past, pres, ing = stem + "d", stem + "s", stem[:-1] + "ing"
    elif stem.endswith(("s", "sh", "ch", "x")):
        past, pres, ing = stem + "ed", stem + "es", stem + "ing"
    else:
        past, pres, ing = stem + "ed", stem + "s", stem + "ing"
    return {past: "past", pres: "present", ing: "participle", stem: "infinitive"}


_REGULAR = """add stress emphasize emphasise insist note warn explain state declare announce confirm
deny argue claim reply reiterate criticize criticise assure urge conclude acknowledge
admit assert underline underscore recall suggest complain accuse demand promise vow pledge
predict observe remark clarify respond answer maintain report tweet allege repeat""".split()
VERBS: dict[str, str] = {}
for _s in _REGULAR:
    VERBS.update(_forms(_s))
VERBS.update({"said": "past", "says": "present", "saying": "participle", "say": "infinitive",
              "told": "past", "tells": "present", "telling": "participle", "tell": "infinitive",
              "wrote": "past", "writes": "present", "writing": "participle"})
BARE_OK = {"said", "says", "saying", "say", "told", "tells", "telling", "tell", "added", "adds",
           "adding"}  # verbs whose reported clause may come without "that"
_VERB_RX = re.compile(r"(?<![\w'’\-])(" + "|".join(sorted(VERBS, key=len, reverse=True)) + r")(?![a-z])")
_RELAY_RX = re.compile(r"(?<![\w])quoted\s+(.{2,120}?)\s+as\s+saying(?![a-z])")
_ACCORDING_RX = re.compile(r"(?<![\w])[Aa]ccording\s+to\s+([^,;:\x00]{2,100}?)(?=\s*(?:,|\.|$))")

AUX = {"has", "have", "had", "was", "were", "is", "also", "again", "previously", "later", "then",
       "further", "once", "repeatedly", "reportedly", "already", "earlier", "recently", "publicly",
       "not", "would", "will", "never", "always", "still"}
PRONOUNS = {"he", "she", "it", "they"}
DETERMINERS = {"a", "an", "the"}
PREPOSITIONS = {"to", "of", "with", "from", "by", "for", "about", "on", "in", "at", "against",
                "into", "between", "over", "than", "like"}
MODIFIERS = {"senior", "top", "former", "unnamed", "anonymous", "acting", "deputy", "state-run",
             "news", "agency", "same", "other", "another", "one", "two", "several", "some"}
PERSON_ROLES = {"spokesman", "spokeswoman", "spokesperson", "official", "officials", "diplomat",
                "diplomats", "source", "sources", "aide", "aides", "representative", "officer",
                "minister", "ambassador", "envoy", "adviser", "advisor", "president", "secretary",
                "mayor", "governor", "chief", "director", "negotiator", "lawmaker", "senator",
                "chancellor", "leader", "commander", "head", "chairman", "chairwoman", "insider",
                "insiders", "people", "person", "member", "members", "delegation", "delegate"}
REPORT_WORDS = {"report", "reports", "statement", "statements", "media", "newspaper", "agency",
                "article", "survey", "poll", "document", "documents", "data", "footage", "sources close"}
INTRO = {"during", "as", "if", "yesterday", "today", "meanwhile", "however", "and", "but", "so",
         "while", "when", "after", "before", "in", "at", "on"}


@dataclass
class Anchor:
    """One attribution: a speech verb and where its speaker's noun phrase is."""

    start: int  # first character of the attribution (noun phrase or verb)
    end: int  # one past the verb (or "as saying")
    verb: str
    tense: str  # past | present | participle | infinitive
    np: tuple[int, int] | None  # the speaker's noun phrase, or None when implicit
    implicit: bool = False  # "…, saying", "and stressed": speaker is the sentence's subject
    relay: bool = False  # "quoted X as saying": X's words, relayed by someone else
    according: bool = False
    title: str | None = None  # an appositive title after the name (", chief executive of Y,")
    co: tuple[tuple[int, int], ...] = ()  # more speakers of a joint statement ("A and B said")


_TOKEN = re.compile(r"[\w'’.\-]+|[^\w\s]")


def _tokens(masked: str, a: int, b: int) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(masked, a, b)]


def _trim(span: tuple[int, int], masked: str) -> tuple[int, int]:
    """Drop a sentence's full stop from the end of a noun phrase ("spokeswoman." but not "U.S.")."""
    a, b = span
    if masked[b - 1] == "." and not re.search(r"\.\w+\.$", masked[a:b]):
        b -= 1
    return a, b


def _f(w: str) -> str:
    return fold_text(w).strip("'.")


def _np_ok(tok: str, first: bool) -> bool:
    w = _f(tok)
    if tok[:1].isupper() and tok[:1] != "\x00":
        return True
    return w in TITLE_WORDS or w in PERSON_ROLES or w in MODIFIERS or ("-" in w and w.isalpha() is False and not first)


def np_before(masked: str, pos: int, floor: int) -> tuple[int, int] | None:
    """The noun phrase that ends right before pos (auxiliaries and a parenthesis skipped)."""
    toks = _tokens(masked, floor, pos)
    i = len(toks) - 1
    while i >= 0 and _f(toks[i][2]) in AUX and toks[i][2][:1].islower():
        i -= 1
    if i >= 0 and toks[i][2] == ",":  # ", who refused to be named," between subject and verb
        j = i - 1
        while j > 0 and toks[j][2] != ",":
            j -= 1
        lead = _f(toks[j + 1][2]) if j > 0 else ""
        # ", who refused to be named,", ", a local trader,", ", speaking in Kyiv,"
        if j > 0 and (lead in {"who", "which", "a", "an", "the"} or lead in TITLE_WORDS
                      or lead.endswith("ing")):
            i = j - 1
    if i < 0:
        return None
    end_i = i
    if _f(toks[i][2]) in PRONOUNS:
        return toks[i][0], toks[i][1]
    start_i = None
    while i >= 0:
        tok, w = toks[i][2], _f(toks[i][2])
        if w in DETERMINERS:
            start_i = i if start_i is not None else None
            break
        if w == "of" and start_i is not None and i > 0 and _f(toks[i - 1][2]) in (TITLE_WORDS | PERSON_ROLES):
            i -= 1
            continue
        if not _np_ok(tok, i == end_i):
            break
        start_i = i
        i -= 1
    if start_i is None:
        return None
    if start_i > 0 and _f(toks[start_i - 1][2]) in PREPOSITIONS:
        return None  # an object ("to Patrushev"), not a subject
    while start_i <= end_i and _f(toks[start_i][2]) in INTRO and toks[start_i][2][:1].isupper():
        start_i += 1  # "As", "Yesterday" at the start of a sentence are not part of the name
    if start_i > end_i:
        return None
    return _trim((toks[start_i][0], toks[end_i][1]), masked)


def np_after(masked: str, pos: int, ceil: int) -> tuple[tuple[int, int] | None, str | None]:
    """The noun phrase right after pos ("said Sergei Kovalenko") and an appositive title."""
    toks = [t for t in _tokens(masked, pos, ceil)]
    i = 0
    while i < len(toks) and (_f(toks[i][2]) in DETERMINERS or _np_ok(toks[i][2], i == 0)
                             or (_f(toks[i][2]) == "of" and i > 0)):
        i += 1
    while i > 0 and _f(toks[i - 1][2]) in DETERMINERS | {"of"}:
        i -= 1
    if i == 0:
        return None, None
    span = _trim((toks[0][0], toks[i - 1][1]), masked)
    title = None
    if i + 1 < len(toks) and toks[i][2] == "," and _f(toks[i + 1][2]) in TITLE_WORDS | PERSON_ROLES:
        j = i + 1
        while j < len(toks) and toks[j][2] not in {",", ".", ";"}:
            j += 1
        title = masked[toks[i + 1][0] : toks[j - 1][1]]
    return span, title


def find_anchors(masked: str, a: int, b: int) -> list[Anchor]:
    """All attribution anchors in masked[a:b], in text order."""
    out: list[Anchor] = []
    taken: list[tuple[int, int]] = []
    for m in _RELAY_RX.finditer(masked, a, b):
        out.append(Anchor(m.start(1), m.end(), "saying", "participle", (m.start(1), m.end(1)), relay=True))
        taken.append((m.start(), m.end()))
    for m in _ACCORDING_RX.finditer(masked, a, b):
        out.append(Anchor(m.start(), m.end(), "according", "past", (m.start(1), m.end(1)), according=True))
        taken.append((m.start(), m.end()))
    for m in _VERB_RX.finditer(masked, a, b):
        if any(s <= m.start() < e for s, e in taken):
            continue
        verb = m.group(1)
        before = masked[a : m.start()].rstrip()
        after = masked[m.end() : b]
        if re.search(r"\bas$", before):
            continue  # "as reported by": a channel, not a speaker
        if re.match(r"\s+by\b", after):
            passive = _passive(masked, m, a, b)  # "it was said by X (that …)"
            if passive is not None:
                out.append(passive)
            continue
        tense = VERBS[verb]
        if tense == "infinitive" and not re.search(r"\bto$", before):
            continue  # "a report that…", "will continue": not a statement
        np = np_before(masked, m.start(), a)
        if np is not None:
            co = _co_speakers(masked, np[0], a)
            out.append(Anchor(co[-1][0] if co else np[0], m.end(), verb, tense, np, co=tuple(co)))
            continue
        if tense in ("past", "present") and (re.search(r"[,”\"»’]$", before) or not before):
            span, title = np_after(masked, m.end(), b)
            if span is not None and masked[m.end() : span[0]].strip() == "":
                out.append(Anchor(m.start(), span[1], verb, tense, span, title=title))
                continue
        if tense in ("participle", "infinitive") or re.search(r"(?:\band|\bbut|,)$", before):
            out.append(Anchor(m.start(), m.end(), verb, tense, None, implicit=True))
    return sorted(out, key=lambda x: x.start)


_PASSIVE_AUX = re.compile(r"(?:\b[Ii]t\s+)?\b(?:was|were|is|are|has\s+been|have\s+been|had\s+been)\s*$")


def _passive(masked: str, m: re.Match[str], a: int, b: int) -> Anchor | None:
    """ "(it) was said by X": the speaker is the agent after "by"; the anchor starts at "it"/"was"."""
    aux = _PASSIVE_AUX.search(masked, a, m.start())
    if aux is None or VERBS[m.group(1)] != "past":
        return None
    by = re.compile(r"\s+by\s+").match(masked, m.end(), b)
    span, _ = np_after(masked, by.end(), b) if by else (None, None)
    if span is None:
        return None
    return Anchor(aux.start(), span[1], m.group(1), "past", span)


def _co_speakers(masked: str, head: int, floor: int) -> list[tuple[int, int]]:
    """The other noun phrases of "A, B and C said" before C (nearest first); none without "and"."""
    out: list[tuple[int, int]] = []
    while True:
        rx = r"(?:,\s*and|\s+and)\s+$" if not out else r"(?:,)\s*$"
        link = re.compile(rx).search(masked, floor, head)
        if link is None:
            return out
        prev = np_before(masked, link.start(), floor)
        if prev is None:
            return out
        out.append(prev)
        head = prev[0]


_TIME = re.compile(
    r"\s*,?\s*(?:(?:on\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"(?:\s+(?:morning|afternoon|evening|night))?|yesterday|today|tonight|earlier|later|recently"
    r"|again|also|publicly|repeatedly|previously|this\s+\w+|last\s+\w+|on\s+\w+\s+\d{1,2}"
    r"|in\s+(?:a|an|the|his|her|its)\s+(?:[\w\-]+\s+){0,3}?(?:statement|interview|briefing|speech"
    r"|post|message|address|conference|call|letter)"
    r"|at\s+(?:a|an|the)\s+(?:[\w\-]+\s+){0,3}?(?:briefing|conference|forum|meeting|summit)"
    r"|on\s+the\s+sidelines\s+of\s+(?:[\w\-]+\s+){0,6}?[\w\-]+)(?![\w])",
    re.I,
)
# a reported clause without "that" has its own verb early on: "insisted [the talks] were over"
_FINITE = re.compile(r"(?:[\w'’\-]+\s+){1,5}?(?:is|are|was|were|will|would|had|has|have|could"
                     r"|should|must|can|cannot|can't|won't|did|does|do|might|may)\b")
_TELL_OBJ = re.compile(r"\s+(?:reporters|journalists|parliament|lawmakers|the\s+[\w\-]+|[A-Z][\w.\-]*(?:\s+[A-Z][\w.\-]*)*)")


def clause_after(masked: str, anchor: Anchor, b: int) -> tuple[int, int] | None:
    """The reported clause after the verb: "said (on Monday) (that) CLAUSE"."""
    pos = anchor.end
    if anchor.verb in {"told", "tells", "telling", "tell"}:
        m = _TELL_OBJ.match(masked, pos, b)
        pos = m.end() if m else pos
    while (m := _TIME.match(masked, pos, b)) and m.end() > pos:
        pos = m.end()
    m = re.compile(r"\s*(?:,\s*)?(that\b|:)\s*").match(masked, pos, b)
    if m:
        return pos + (m.end() - pos), b
    m = re.compile(r"\s*,?\s*(?=[\w“\"‘])").match(masked, pos, b)
    if m and (anchor.verb in BARE_OK or anchor.relay or anchor.according):
        return m.end(), b
    if m and _FINITE.match(masked, m.end(), b):  # "insisted the proposals were …": a clause
        return m.end(), b
    return None
