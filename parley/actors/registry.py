"""The actor registry: who speaks for whom, resolved from the names, titles and spellings news uses.

The registry is data (`parley/data/actors.yaml`, extended by `<data_dir>/actors.yaml`). Matching
folds case and accents and ignores possessives and hyphens, so "Zajarova’s", "MARIA ZAKHAROVA"
and "Thomas Greenfield" all find their person.

A one-word alias of a person or organisation (a surname such as "Kovalenko", given or derived)
needs more than itself to match when another name stands right before it: "Oleksandr Kovalenko"
is somebody else, not the organisation's Andriy Kovalenko. Titles ("spokesman Kovalenko"), the
member's own given names and other registry names may precede it. States' one-word aliases
("Moscow", "Russia") are not surnames and are exempt.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import yaml

from parley.actors.discover import Discovery, discover
from parley.actors.model import (
    Actor,
    Member,
    RegistryError,
    RegistryFile,
    merge_registries,
    parse_registry,
    read_registry,
)
from parley.core.schema import Article
from parley.core.settings import Settings
from parley.text.names import (
    TITLE_WORDS,
    fold_text,
    is_acronym,
    is_full_name,
    name_key,
    pattern_text,
)

__all__ = ["TITLE_WORDS", "Actor", "ActorRegistry", "Discovery", "Match", "Member", "Mention",
           "RegistryError", "fold_text", "name_key"]

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "actors.yaml"


class Match(NamedTuple):
    """What a name resolved to: the actor, and the member when the name was a member's."""

    actor: Actor
    member: Member | None


@dataclass(frozen=True)
class Mention:
    """A registry name found in text: `text[start:end] == surface`."""

    actor_id: str
    member: str | None  # the member's canonical name, None for the actor's own aliases
    start: int
    end: int
    surface: str


class ActorRegistry:
    """Actors, their aliases and members, and the channels (outlets) that are never speakers."""

    def __init__(self, actors: Iterable[Actor], channels: Iterable[str] = ()):
        self.actors: dict[str, Actor] = {a.id: a for a in actors}
        self.channels: list[str] = list(dict.fromkeys(channels))
        self._index: dict[str, tuple[str, str | None]] = {}
        self._surface: dict[str, tuple[str, str | None, bool]] = {}  # key -> (actor, member, person)
        self._patterns: set[str] = set()  # folded spellings to scan text for
        self._acronyms: set[str] = set()
        # one-word aliases that a different given name in front must not reach: key -> own names
        self._bare: dict[str, set[str]] = {}
        self._build()

    # ---- loading -------------------------------------------------------------------------

    @classmethod
    def load(cls, settings: Settings) -> ActorRegistry:
        """The shipped registry with `<data_dir>/actors.yaml` merged over it when present."""
        base = read_registry(SHIPPED)
        user = Path(settings.data_dir) / "actors.yaml"
        if user.is_file():
            base = merge_registries(base, read_registry(user))
        return cls(base.actors, base.channels)

    @classmethod
    def from_yaml(cls, *texts: str) -> ActorRegistry:
        """A registry from YAML strings, later ones merged over earlier ones (for tests)."""
        merged = RegistryFile()
        for t in texts:
            merged = merge_registries(merged, parse_registry(yaml.safe_load(t) or {}, "<yaml>"))
        return cls(merged.actors, merged.channels)

    def _build(self) -> None:
        surnames: dict[str, list[tuple[str, str]]] = {}
        for a in self.actors.values():
            self._add(a.name, a.id, None, a.kind == "person")
            for al in a.aliases:
                self._add(al, a.id, None, a.kind == "person")
                if a.kind != "state":
                    self._mark_bare(al, [a.name, *a.aliases])
            for m in a.members:
                person = m.kind == "person"
                for al in [m.name, *m.aliases]:
                    self._add(al, a.id, m.name, person)
                    self._mark_bare(al, [m.name, *m.aliases])
                    if person and is_full_name(al):
                        last = al.split()[-1]
                        surnames.setdefault(name_key(last), set()).add((a.id, m.name, last))
        for key, owners in surnames.items():
            if len({o[:2] for o in owners}) == 1 and key not in self._index:  # ambiguous: left out
                a_id, member, last = next(iter(owners))
                self._add(last, a_id, member, True)
                m = self.actors[a_id].member(member)
                self._mark_bare(last, [m.name, *m.aliases] if m else [])
        self._channel_keys = {name_key(c) for c in self.channels}
        for ch in self.channels:
            self._surface.setdefault(name_key(ch), ("", None, False))
            self._patterns.add(pattern_text(ch))
        alts = sorted((p for p in self._patterns if p), key=len, reverse=True)
        pats = [r"[\s\-]+".join(re.escape(w) for w in re.split(r"[\s\-]+", p)) for p in alts]
        self._rx = re.compile(r"(?<![\w])(?:" + "|".join(pats) + r")(?![\w])") if pats else None

    def _add(self, alias: str, actor_id: str, member: str | None, person: bool) -> None:
        key = name_key(alias)
        if not key:
            return
        self._index[key] = (actor_id, member)  # later (user) entries win
        self._surface[key] = (actor_id, member, person)
        self._patterns.add(pattern_text(alias))
        if is_acronym(alias):
            self._acronyms.add(alias.replace(".", ""))

    def _mark_bare(self, alias: str, own: list[str]) -> None:
        """Record a one-word, non-acronym alias with the words of its owner's own names."""
        key = name_key(alias)
        if " " in key or not key or is_acronym(alias):
            return
        self._bare.setdefault(key, set()).update(w for n in own for w in name_key(n).split())

    def _reaches(self, key: str, before: str | None) -> bool:
        """False when `before` is another given name in front of a one-word alias `key`."""
        if before is None or key not in self._bare:
            return True
        b = name_key(before)
        return (not b or b in TITLE_WORDS or b in self._bare[key] or b in self._index
                or b in self._channel_keys or not b.isalpha())

    # ---- lookups -------------------------------------------------------------------------

    def _match(self, key: str) -> Match | None:
        hit = self._index.get(key)
        if hit is None:
            return None
        actor = self.actors[hit[0]]
        return Match(actor, actor.member(hit[1]) if hit[1] else None)

    def lookup_exact(self, name: str) -> Match | None:
        """The Match for exactly this name (case, accents, possessive and article aside)."""
        return self._match(name_key(name))

    def lookup(self, name: str, *, contained: bool = True) -> Match | None:
        """Resolve a name, alias, or titled name ("Kremlin spokesman Dmitry Peskov") to a Match.

        Tries the whole name, then shorter endings (titles come first in English), then, when
        `contained`, any registry name inside it (longest first).
        """
        words = name_key(name).split()
        for i in range(len(words)):
            key = " ".join(words[i:])
            m = self._match(key) if self._reaches(key, words[i - 1] if i else None) else None
            if m:
                return m
        if contained:
            for n in range(len(words) - 1, 0, -1):
                for i in range(len(words) - n + 1):
                    key = " ".join(words[i : i + n])
                    m = self._match(key) if self._reaches(key, words[i - 1] if i else None) else None
                    if m:
                        return m
        return None

    def resolve(self, name_or_alias: str) -> Actor | None:
        """The actor a name, alias, title-prefixed name or surname belongs to, or None."""
        m = self.lookup(name_or_alias)
        return m.actor if m else None

    def knows(self, name: str) -> bool:
        """True when the exact name (case/accent/possessive aside) is a registry name."""
        return name_key(name) in self._index

    def is_channel(self, name: str) -> bool:
        """True when the name is an outlet or news agency (a channel, not a speaker)."""
        key = name_key(name)
        return key in self._channel_keys or any(key.endswith(" " + k) for k in self._channel_keys)

    def find_mentions(self, text: str, start: int = 0, end: int | None = None) -> list[Mention]:
        """Registry names in text[start:end], longest match first, outlets excluded."""
        end = len(text) if end is None else end
        if self._rx is None:
            return []
        folded = fold_text(text[start:end])
        out: list[Mention] = []
        for m in self._rx.finditer(folded):
            ms, me = m.start() + start, m.end() + start
            surface = text[ms:me]
            actor_id, member, person = self._surface.get(name_key(surface), ("", None, False))
            if not actor_id:
                continue  # a channel ("Washington Post") or an unindexed spelling
            bare = surface.replace(".", "")
            if len(bare) <= 3 and bare.upper() in self._acronyms and bare != bare.upper():
                continue  # "us" is not "US", "un" is not "UN"
            if person and not surface[:1].isupper():
                continue  # people's names are capitalised in running text
            if not self._reaches(name_key(surface), _given_name_before(text, ms)):
                continue  # "Oleksandr Kovalenko" is not the registry's Kovalenko
            out.append(Mention(actor_id, member, ms, me, surface))
        return out

    def query_aliases(self, text: str) -> list[str]:
        """Spelling variants of registry names found in a question ("Zakharova" → "Zajarova")."""
        out: list[str] = []
        for men in self.find_mentions(text):
            actor = self.actors[men.actor_id]
            said = name_key(men.surface)
            if men.member:
                m = actor.member(men.member)
                names = [m.name, *m.aliases] if m else []
            else:  # an actor's own aliases: only the ones spelled like what was asked
                names = [n for n in [actor.name, *actor.aliases]
                         if difflib.SequenceMatcher(None, name_key(n), said).ratio() >= 0.7]
            out += [n for n in names if name_key(n) != said]
        return list(dict.fromkeys(out))

    def discover(self, articles: Iterable[Article]) -> list[Discovery]:
        """Names of people/organisations the corpus uses that the registry lacks, most frequent first."""
        return discover(articles, self)


_WORD_BEFORE = re.compile(r"([^\W\d_][\w'’-]*)[ \t]+$")


def _given_name_before(text: str, at: int) -> str | None:
    """The capitalised word right before text[at] that could be a given name, else None."""
    m = _WORD_BEFORE.search(text[max(0, at - 40) : at])
    if m is None:
        return None
    word = m.group(1)
    if not word[:1].isupper() or word.isupper():
        return None  # lower-case words and acronyms are not given names
    head = text[: at - len(m.group(0))].rstrip()
    if (not head or head[-1] in ".!?\n\"“”") and re.search(rf"\b{re.escape(word.lower())}\b", text):
        return None  # a capitalised sentence opener ("Yesterday") that the text also writes in lower case
    return word
