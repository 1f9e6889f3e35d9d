"""The claims ledger: who said (or is reported to have said) what, as exact spans of the article.

Deterministic, and only inside `article.kept` (boilerplate never speaks). Four kinds:
- `direct`: words inside quotation marks, attributed to a named person or body; short
  scare-quotes inside reported speech ("stressed that Washington will impose “costs”") count as
  the speaker's own words;
- `reported`: unquoted speech ("X said (that) …", "…, X said", "according to X, …") and words
  relayed by someone else ("quoted X as saying …");
- `anonymous`: an unnamed source ("a ministry spokeswoman"), with the actor when the body is known;
- `outlet`: the outlet's own statement of an actor's position ("The Kremlin assures it has no
  intention of attacking") — present-tense stance verbs with a state or body as subject.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from parley.actors.registry import ActorRegistry, Match, Mention
from parley.core.schema import Article, Quote, SourceSpan, content_hash
from parley.ledger.attrib import PREPOSITIONS, Anchor, clause_after, find_anchors, np_before
from parley.ledger.marks import Segment, mask, paragraphs, quote_segments
from parley.ledger.people import Context, Speaker
from parley.text.sentences import split_sentences

_OUTLET_RX = re.compile(
    r"(?<![\w'’])(?:assures?|insists?|maintains?|denies|deny|demands?|wants?|believes?|rejects?"
    r"|refuses?|accuses?|says|claims?|argues?|opposes?|supports?|seeks?|calls\s+for|urges?|warns?"
    r"|intends?|hopes?|fears?|(?:is|are|remains?)\s+(?:not\s+)?(?:only\s+)?(?:also\s+)?(?:still\s+)?"
    r"(?:pushing|demanding|insisting|seeking|calling|open|ready|willing|prepared|determined"
    r"|unwilling|opposed|committed)|(?:has|have)\s+(?:also\s+)?(?:promised|vowed|pledged|demanded"
    r"|insisted|rejected|refused|warned|called|threatened|offered)|will\s+(?:not|never)|won['’]t)"
    r"(?![a-z])"
)
_TAIL_CHANNEL = re.compile(r",\s*(?:(?:as\s+)?reported\s+by|according\s+to)\b.*$|,\s*[^,]{0,60}\breported$", re.S)
_EDGE = " \t\n,.;:—–-\x00“”\"«»‘’'"
# "according to a statement released by the White House", "in a readout issued by the Kremlin":
# the body that released the words states them too (a co-speaker of the sentence's speaker)
_RELEASED_BY = re.compile(
    r"\b(?:according\s+to|in)\s+(?:a|an|the)\s+(?:[\w-]+\s+)?(?:statement|readout|communiqu[eé]"
    r"|press\s+release)\s+(?:released|issued|published|put\s+out)\s+(?:\w+\s+)?by\s+"
    r"((?:the\s+)?[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,4})"
)


def _units(sents: list[tuple[int, int]], segs: list[Segment]) -> list[tuple[int, int]]:
    """Sentences, joined where one quotation runs across a sentence boundary."""
    units: list[tuple[int, int]] = []
    for s, e in sents:
        if units and any(g.outer_start < units[-1][1] and g.outer_end > s for g in segs):
            units[-1] = (units[-1][0], e)
        else:
            units.append((s, e))
    return units


def _sentence_of(seg: Segment, sents: list[tuple[int, int]]) -> tuple[int, int]:
    hit = [(s, e) for s, e in sents if s < seg.outer_end and e > seg.outer_start]
    return (hit[0][0], hit[-1][1]) if hit else (seg.outer_start, seg.outer_end)


def _subject(text: str, masked: str, a: int, pos: int, mentions: list[Mention], ctx: Context) -> Speaker | None:
    """The sentence's subject: a leading pronoun, or its first registry name that is no object."""
    lead = re.match(r"\s*(?:And\s+|But\s+)?(He|She|It|They)\b", masked[a:pos])
    if lead:
        return ctx.pronoun(lead.group(1), a + lead.start(1))
    stop = re.search(r"\b(?:that|which|who)\b", masked[a:pos])
    limit = a + stop.start() if stop else pos
    inside = [m for m in mentions if a <= m.start < limit]
    for k, m in enumerate(inside):
        prev = re.findall(r"[\w']+", masked[a : m.start])
        if prev and prev[-1].lower() in PREPOSITIONS:
            continue
        for later in inside[k + 1 :]:  # "Ukrainian President Volodymyr Zelenskyy": the name, not "Ukrainian"
            between = masked[m.end : later.start].split()
            if any(not w[:1].isupper() for w in between):
                break
            m = later
        return ctx.speaker(text[m.start : m.end], m.start)
    return None


def _resolve(text: str, masked: str, a: int, b: int, mentions: list[Mention], ctx: Context) -> list[tuple[Anchor, Speaker]]:
    """Anchors of one sentence with their speakers, pronouns resolved in reading order."""
    out: list[tuple[Anchor, Speaker]] = []
    for an in find_anchors(masked, a, b):
        if an.np is not None:
            sp = ctx.speaker(text[an.np[0] : an.np[1]], an.np[0])
        else:
            sp = out[-1][1] if out else _subject(text, masked, a, an.start, mentions, ctx)
        if sp is None:
            continue
        if an.title and not sp.anonymous:
            sp = replace(sp, title=an.title)
        co = [c for a2, b2 in an.co if (c := ctx.speaker(text[a2:b2], a2)) is not None]
        co += [c for m in _RELEASED_BY.finditer(masked, a, b)
               if (c := ctx.speaker(text[m.start(1) : m.end(1)], m.start(1))) is not None and not c.person]
        sp = replace(sp, pos=an.start, co=tuple({c.name: c for c in co if c.name != sp.name}.values()))
        ctx.said(sp)
        out.append((an, sp))
    return out


def _pick(seg: Segment, resolved: list[tuple[Anchor, Speaker]], masked: str) -> tuple[Anchor, Speaker] | None:
    """The attribution of a quotation: right after it, else the nearest before, else any after."""
    for an, sp in resolved:
        if an.start >= seg.outer_end and not masked[seg.outer_end : an.start].strip(_EDGE):
            return an, sp
    before = [(an, sp) for an, sp in resolved if an.end <= seg.outer_start]
    if before:
        return before[-1]
    after = [(an, sp) for an, sp in resolved if an.start >= seg.outer_end]
    return after[0] if after else None


def _clause(masked: str, an: Anchor, a: int, b: int) -> tuple[int, int] | None:
    """The reported words of an anchor: after the verb, or the sentence before ", X said"."""
    span = clause_after(masked, an, b)
    if span is None or len(masked[span[0] : span[1]].strip(_EDGE).split()) < 3:
        head = masked[a : an.start].rstrip()
        if not head.endswith(","):
            return None
        span = (a, a + len(head) - 1)
    s, e = span
    while e > s and masked[e - 1] in _EDGE:
        e -= 1
    tail = _TAIL_CHANNEL.search(masked, s, e)
    if tail:
        e = tail.start()
    while s < e and masked[s] in _EDGE:
        s += 1
    while e > s and masked[e - 1] in _EDGE:
        e -= 1
    return (s, e) if len(masked[s:e].split()) >= 3 else None


def _credit(art: Article, span: tuple[int, int], sent: tuple[int, int], sp: Speaker, kind: str) -> list[Quote]:
    """One entry per speaker of the words: the speaker, then each co-speaker of a joint statement."""
    out = [_quote(art, span, sent, sp, kind, sp.actor)]
    for c in sp.co:
        ckind = "anonymous" if c.anonymous else ("reported" if kind == "anonymous" else kind)
        out.append(_quote(art, span, sent, c, ckind, c.actor, joint=True))
    return out


def _quote(art: Article, span: tuple[int, int], sent: tuple[int, int], sp: Speaker | None, kind: str,
           actor: str | None, joint: bool = False) -> Quote:
    s, e = span
    named = sp is not None and not sp.anonymous and kind != "outlet"
    # a co-speaker's entry covers the same words: its id names the speaker too
    extra = (sp.name or sp.title or "",) if joint and sp is not None else ()
    return Quote(
        source=art.doc_id, start=s, end=e, text=art.text[s:e],
        id=content_hash(art.doc_id, f"{s}:{e}", kind, *extra),
        speaker=sp.name if named and sp else None,
        speaker_title=sp.title if sp is not None and kind != "outlet" else None,
        actor=actor, kind=kind,  # type: ignore[arg-type]
        sentence=SourceSpan(source=art.doc_id, start=sent[0], end=sent[1], text=art.text[sent[0] : sent[1]]),
        date=art.meta.date,
    )


def _unquoted(art: Article, masked: str, unit: tuple[int, int], resolved: list[tuple[Anchor, Speaker]], ctx: Context) -> list[Quote]:
    """A sentence without quotation marks: reported speech, or the outlet stating a position."""
    a, b = unit
    for an, sp in resolved:
        if an.tense == "present" and not sp.person and not sp.anonymous and sp.actor:
            return [_quote(art, unit, unit, None, "outlet", sp.actor)]
        span = _clause(masked, an, a, b)
        if span is not None:
            return _credit(art, span, unit, sp, "anonymous" if sp.anonymous else "reported")
    for m in _OUTLET_RX.finditer(masked, a, b):
        np = np_before(masked, m.start(), a)
        if np is None or masked[a : np[0]].strip():
            continue  # the subject must open the sentence: "The Kremlin assures …"
        sp = ctx.speaker(art.text[np[0] : np[1]], np[0])
        if sp is not None and not sp.person and not sp.anonymous and sp.actor:
            return [_quote(art, unit, unit, None, "outlet", sp.actor)]
        break
    return []


def extract_quotes(article: Article, registry: ActorRegistry) -> list[Quote]:
    """Every attributed quotation, reported statement and outlet assertion in the kept text."""
    text = article.text
    paras = [p for a, b in (article.kept or [(0, len(text))]) for p in paragraphs(text, a, b)]
    segs_of = [quote_segments(text, a, b) for a, b in paras]
    all_segs = [g for segs in segs_of for g in segs]
    masked = mask(text, all_segs, 0, len(text))
    mentions = [m for a, b in paras for m in registry.find_mentions(text, a, b)
                if not any(g.start <= m.start < g.end for g in all_segs)]
    ctx = Context(registry, mentions)
    out: list[Quote] = []
    carried: Speaker | None = None  # who was speaking when the last paragraph ended mid-quote
    pending: list[tuple[Segment, tuple[int, int]]] = []  # unattributed quotes left open
    for (pa, pb), segs in zip(paras, segs_of, strict=True):
        sents = split_sentences(text, pa, pb)
        last: Speaker | None = None
        for unit in _units(sents, segs):
            resolved = _resolve(text, masked, unit[0], unit[1], mentions, ctx)
            usegs = [g for g in segs if unit[0] <= g.outer_start < unit[1]]
            if not usegs:
                out += _unquoted(article, masked, unit, resolved, ctx)
                last = resolved[-1][1] if resolved else last
                continue
            for g in usegs:
                pick = _pick(g, resolved, masked)
                an, sp = pick if pick else (None, last or (carried if g.outer_start == pa else None))
                if sp is None:
                    if not g.closed:  # "“First paragraph …" whose speaker comes in the next one
                        pending.append((g, _sentence_of(g, sents)))
                    continue  # nobody to attribute it to: not a ledger entry
                kind = "anonymous" if sp.anonymous else "reported" if an and an.relay else "direct"
                if pending and g.outer_start == pa:
                    out += [q for p, st in pending for q in _credit(article, (p.start, p.end), st, sp, kind)]
                out += _credit(article, (g.start, g.end), _sentence_of(g, sents), sp, kind)
                pending = []
                last = sp
                ctx.said(replace(sp, pos=g.start))
        if not (segs and segs[-1].closed is False and segs[-1] in [p for p, _ in pending]):
            pending = []  # a run-on quote continues only into the very next paragraph
        ends_in_quote = bool(segs) and not text[segs[-1].outer_end : pb].strip(_EDGE)
        carried = last if ends_in_quote and last is not None else None
    return _dedupe(out)


def _dedupe(quotes: list[Quote]) -> list[Quote]:
    """Drop repeats (a headline repeated in the body): same actor, speaker, kind and words."""
    seen: set[tuple] = set()
    out = []
    for q in quotes:
        key = (q.actor, q.speaker, q.kind, " ".join(q.text.lower().split()))
        if key not in seen and q.id not in seen:
            seen.update({key, q.id})
            out.append(q)
    return out


def build_ledger(articles: Iterable[Article], registry: ActorRegistry) -> list[Quote]:
    """The ledger of many articles, in article order."""
    return [q for art in articles for q in extract_quotes(art, registry)]


def ledger_for_actor(quotes: Iterable[Quote], actor_id: str) -> list[Quote]:
    """An actor's entries, oldest first (undated last), then by source and position."""
    mine = [q for q in quotes if q.actor == actor_id]
    return sorted(mine, key=lambda q: (q.date is None, q.date or 0, q.source, q.start))


def spoken_by(quotes: Iterable[Quote], registry: ActorRegistry, match: Match) -> list[Quote]:
    """The entries a stance of `match` reads: the actor's, or only its member's own words.

    A state's stance reads every official's statement; an official's (or a body's) reads only
    the statements whose speaker resolves to that member, not the colleagues' beside it.
    """
    mine = [q for q in quotes if q.actor == match.actor.id]
    if match.member is None:
        return mine
    def own(q: Quote) -> bool:
        m = registry.lookup(q.speaker) if q.speaker else None
        return m is not None and m.member is not None and m.member.name == match.member.name
    return [q for q in mine if own(q)]
