"""Discovery: the people and organisations a corpus names that the actor registry does not know yet.

Three cheap signals over the kept text: runs of capitalised words ("Sergei Kovalenko",
"Wall Street Journal"), a capitalised name after a title word ("spokesman Peskov"), and acronyms
("OSCE"). Titles, demonyms and known names at the front of a run are peeled off, so
"Russian Security Council Secretary Nikolai Patrushev" counts as Patrushev, who is known.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple, Protocol

from parley.core.schema import Article
from parley.text.names import TITLE_WORDS, fold_text, name_key
from parley.text.words import STOPWORDS


class Discovery(NamedTuple):
    """A name the corpus uses that the registry does not know."""

    name: str
    count: int
    sources: list[str]


class ActorRegistry(Protocol):
    """What discovery needs of the registry (parley.actors.registry.ActorRegistry has it)."""

    def knows(self, name: str) -> bool: ...

    def is_channel(self, name: str) -> bool: ...

_CAP = r"[A-Z][\w'’\-]*[\w]"
# a run of capitalised words, allowing "of/for/and/the/in/de/von" between two of them
_RUN = re.compile(
    rf"(?<![\w'’]){_CAP}(?:(?:[ \t]+(?:of|for|and|the|in|de|von|van|bin|al|la|du|der))*[ \t]+{_CAP})*"
)
_TITLED = re.compile(
    r"\b(?i:spokes(?:man|woman|person)|minister|ambassador|president|secretary|adviser|advisor"
    r"|envoy|director|chancellor|senator|governor|mayor|premier|general|commander|chief)"
    rf"[ \t]+({_CAP}(?:[ \t]+{_CAP}){{0,2}})"
)
_ACRONYM = re.compile(r"(?<![\w])[A-Z]{2,6}(?![\w])")
_CALENDAR = frozenset(
    """january february march april june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()
)
# organisations end in these; people's titles (spokesman, minister) are peeled off a name's end
_BODY_ENDS = frozenset("council ministry department government administration office".split())
_LEADING = STOPWORDS | _CALENDAR | frozenset(
    "yesterday today meanwhile read source photo image video watch more related also".split()
)


def _peel(words: list[str], registry: ActorRegistry) -> list[str]:
    """Drop leading stopwords, title words and known names; what is left is the new name."""
    def key(w: str) -> str:
        return fold_text(w).strip("'’.")

    i = 0
    while i < len(words):
        k = key(words[i])
        if k in _LEADING or k in TITLE_WORDS:
            i += 1
            continue
        for j in range(len(words), i, -1):  # longest known name starting here
            if registry.knows(" ".join(words[i:j])):
                i = j
                break
        else:
            break
    rest = words[i:]
    while rest and key(rest[-1]) in (_CALENDAR | TITLE_WORDS) - _BODY_ENDS:
        rest = rest[:-1]
    return rest


def _known(name: str, registry: ActorRegistry) -> bool:
    return registry.knows(name) or registry.is_channel(name)


def _candidates(text: str, a: int, b: int, registry: ActorRegistry) -> Iterable[str]:
    for m in _RUN.finditer(text, a, b):
        run = re.sub(r"['’]s$", "", m.group())
        # "Spain and Norway" is two names; "Organization for Security and Co-operation" is one
        parts = [run] if _known(run, registry) else re.split(r"\s+and\s+", run)
        # "Jan Kowalski of Lublin" is a person and a place; "Bank of England" stays one name
        parts = [q for part in parts for q in (
            [part] if len(re.split(r"\s+(?:of|for|in)\s+", part)[0].split()) < 2
            else re.split(r"\s+(?:of|for|in)\s+", part))]
        for part in parts:
            rest = _peel(part.split(), registry)
            if len(rest) >= 2 and not _known(" ".join(rest), registry):
                yield " ".join(rest)
    for m in _TITLED.finditer(text, a, b):
        name = re.sub(r"['’]s$", "", m.group(1))
        rest = _peel(name.split(), registry)
        if len(rest) == 1 and not _known(rest[0], registry):  # longer ones the runs found
            yield rest[0]
    for m in _ACRONYM.finditer(text, a, b):
        if not _known(m.group(), registry) and m.group().lower() not in _LEADING:
            yield m.group()


def discover(articles: Iterable[Article], registry: ActorRegistry) -> list[Discovery]:
    """Unknown names in the articles' kept text with counts and sources, most frequent first."""
    counts: dict[str, int] = defaultdict(int)
    sources: dict[str, list[str]] = defaultdict(list)
    shown: dict[str, str] = {}
    for art in articles:
        for a, b in art.kept or [(0, len(art.text))]:
            for name in _candidates(art.text, a, b, registry):
                key = name_key(name)
                shown.setdefault(key, name)
                counts[key] += 1
                if art.doc_id not in sources[key]:
                    sources[key].append(art.doc_id)
    for k in sorted(counts, key=lambda k: -len(k.split())):
        tail = " ".join(k.split()[-2:])  # "Farmer Jan Kowalski" is Jan Kowalski with a job
        if len(k.split()) > 2 and tail in counts:
            counts[tail] += counts.pop(k)
            sources[tail] += [s for s in sources.pop(k) if s not in sources[tail]]
    found = [Discovery(shown[k], counts[k], sources[k]) for k in counts]
    return sorted(found, key=lambda d: (-d.count, d.name.lower()))
