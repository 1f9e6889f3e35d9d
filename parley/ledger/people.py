"""Speakers: a noun phrase ("Kremlin spokesman Dmitry Peskov", "a ministry spokeswoman", "he")
becomes a named person, a body, an anonymous source, or nothing (a channel, a report).

`Context` remembers who spoke and who was named so far in one article, for pronouns ("he
said"), definite back-references ("the spokesman added") and bodies ("a ministry spokeswoman"
after "the State Department").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from parley.actors.registry import TITLE_WORDS, ActorRegistry, Match, Mention, fold_text
from parley.ledger.attrib import DETERMINERS, INTRO, MODIFIERS, PERSON_ROLES, PRONOUNS, REPORT_WORDS

_BODY_WORDS = ("ministry", "department", "government", "administration", "white house", "kremlin",
               "office", "embassy", "council", "pentagon", "presidency")
_ROLE_TITLE = PERSON_ROLES - {"people", "person", "member", "members", "source", "sources"}


@dataclass(frozen=True)
class Speaker:
    """Who an attribution points at."""

    name: str | None  # canonical registry name, the name as written, or None when anonymous
    title: str | None
    actor: str | None
    anonymous: bool = False
    person: bool = True  # False for states, alliances and bodies ("Kremlin", "Washington")
    pos: int = 0  # where the attribution is (for pronouns: who was named last)
    co: tuple[Speaker, ...] = ()  # the others of a joint statement ("Sullivan and Blinken said")


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'’.\-]+", text)


def _f(w: str) -> str:
    return fold_text(w).strip("'’.")


class Context:
    """What one article has established so far: speakers, and the people and bodies it named."""

    def __init__(self, registry: ActorRegistry, mentions: list[Mention]):
        self.registry = registry
        self.speakers: list[Speaker] = []
        self.people: list[Speaker] = []  # registry people as named in the text
        self.bodies: list[tuple[int, str]] = []  # (pos, actor) of state organs named in the text
        for m in mentions:
            actor = registry.actors[m.actor_id]
            member = actor.member(m.member) if m.member else None
            if member is not None and member.kind == "person":
                self.people.append(Speaker(member.name, member.title, actor.id, pos=m.start))
            surface = fold_text(m.surface)
            if (member is not None and member.kind == "body") or any(w in surface for w in _BODY_WORDS):
                self.bodies.append((m.start, actor.id))

    def said(self, sp: Speaker) -> None:
        """Record a resolved speaker."""
        self.speakers.append(sp)

    def last_speaker(self, pos: int, person: bool) -> Speaker | None:
        """The most recent speaker before pos (people only when `person`)."""
        cands = [s for s in self.speakers if s.pos <= pos and (s.person or not person)]
        return cands[-1] if cands else None

    def pronoun(self, word: str, pos: int) -> Speaker | None:
        """he/she: the person named or heard last; it/they: whoever spoke last."""
        if _f(word) in {"it", "they"}:
            sp = self.last_speaker(pos, person=False)
        else:
            cands = [s for s in self.speakers if s.pos <= pos and s.person and not s.anonymous]
            cands += [p for p in self.people if p.pos <= pos]
            named = max(cands, key=lambda s: s.pos) if cands else None
            heard = self.last_speaker(pos, person=True)
            sp = max([x for x in (named, heard) if x], key=lambda s: s.pos, default=None)
        if sp is None:
            return None
        titled = [s.title for s in self.speakers if sp.name and s.name == sp.name and s.title]
        return replace(sp, pos=pos, title=titled[-1] if titled else sp.title)

    def body_actor(self, pos: int) -> str | None:
        """The actor of the state organ named last before pos."""
        cands = [a for p, a in self.bodies if p < pos]
        return cands[-1] if cands else None

    # ---- noun phrase -> speaker ----------------------------------------------------------

    def speaker(self, np: str, pos: int) -> Speaker | None:
        """The speaker a noun phrase names, or None for channels, reports and non-speakers."""
        reg = self.registry
        words = _words(np)
        if not words:
            return None
        if len(words) == 1 and _f(words[0]) in PRONOUNS:
            return self.pronoun(words[0], pos)
        definite = _f(words[0]) == "the"
        while words and (_f(words[0]) in DETERMINERS or (_f(words[0]) in INTRO and words[0][:1].isupper())):
            words = words[1:]
        if not words:
            return None
        phrase = " ".join(words)
        folded = [_f(w) for w in words]
        if reg.is_channel(phrase) or any(w in REPORT_WORDS for w in folded):
            return None
        exact = reg.lookup_exact(phrase)
        if exact is not None:
            return self._known(exact, None, phrase, pos)
        head = folded[folded.index("of") - 1] if "of" in folded[1:] else folded[-1]
        if head in PERSON_ROLES:
            if definite and all(w[:1].islower() for w in words):
                prev = self.last_speaker(pos, person=True)  # "the spokesman added"
                return replace(prev, pos=pos) if prev else None
            actor = reg.lookup(phrase)
            aid = actor.actor.id if actor else None
            if aid is None and any(w in _BODY_WORDS for w in folded):
                aid = self.body_actor(pos)
            return Speaker(None, phrase, aid, anonymous=True, pos=pos)
        if head in _BODY_WORDS:  # "Zelensky’s office", "the foreign ministry"
            hit = reg.lookup(phrase)
            aid = hit.actor.id if hit else (self.body_actor(pos) if definite else None)
            return Speaker(phrase, None, aid, person=False, pos=pos) if aid else None
        for i in range(1, len(words)):  # titles first: "Kremlin spokesman Dmitry Peskov"
            m = reg.lookup_exact(" ".join(words[i:]))
            if m is not None:
                return self._known(m, " ".join(words[:i]), phrase, pos)
        return self._unknown(words, pos)

    def _known(self, m: Match, title: str | None, phrase: str, pos: int) -> Speaker:
        if m.member is not None:
            person = m.member.kind == "person"
            if not title:  # the title this article gave them earlier, else the registry's
                earlier = [s.title for s in self.speakers if s.name == m.member.name and s.title]
                title = earlier[-1] if earlier else m.member.title
            return Speaker(m.member.name, title, m.actor.id, person=person, pos=pos)
        return Speaker(phrase, title, m.actor.id, person=m.actor.kind == "person", pos=pos)

    def _unknown(self, words: list[str], pos: int) -> Speaker | None:
        """A name the registry lacks: keep it as the speaker; the actor only from an official title."""
        k = len(words)
        while k > 0 and words[k - 1][:1].isupper() and _f(words[k - 1]) not in TITLE_WORDS:
            k -= 1
        name, title = words[k:], words[:k]
        if not name or len(name) > 4:
            return None
        if len(name) == 1 and not title:  # a bare surname: only someone already quoted
            prev = [s for s in self.speakers if s.name and s.name.split()[-1] == name[0]]
            return replace(prev[-1], pos=pos) if prev else None
        actor = None
        if title and any(_f(w) in _ROLE_TITLE for w in title):
            hit = self.registry.lookup(" ".join(title))
            actor = hit.actor.id if hit else None
        if any(_f(w) in MODIFIERS | {"news"} for w in title):
            return None
        return Speaker(" ".join(name), " ".join(title) or None, actor, pos=pos)
