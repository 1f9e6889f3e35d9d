"""Name text helpers for the actor registry: accent/case folding that keeps offsets, lookup keys,
and the words that make a title rather than a name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache


@lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    if c in "’‘`´′":
        return "'"
    if c in "‐‑‒–—":
        return "-"
    base = "".join(ch for ch in unicodedata.normalize("NFKD", c) if not unicodedata.combining(ch))
    base = base.lower()
    return base if len(base) == 1 else (c.lower() if len(c.lower()) == 1 else c)


def fold_text(text: str) -> str:
    """Lowercase, accent-free copy of text with the SAME length, so offsets carry over."""
    return "".join(_fold_char(c) for c in text)


_DETERMINERS = {"the", "a", "an"}


def name_key(name: str) -> str:
    """The lookup key of a name: folded, no possessive, hyphens/punctuation as spaces, no article."""
    k = fold_text(name).strip()
    k = re.sub(r"'s\b|'$|s'(?=\s|$)", lambda m: "s" if m.group().startswith("s") else "", k)
    k = re.sub(r"(?<=\w)\.(?=\w)", "", k)  # U.S. -> us
    k = re.sub(r"[^\w']+", " ", k).strip()
    words = k.split()
    while words and words[0] in _DETERMINERS:
        words = words[1:]
    return " ".join(words)


# words that make a title, not a name ("Kremlin spokesman", "Deputy Foreign Minister")
TITLE_WORDS = frozenset("""
    president vice prime minister deputy foreign defence defense interior finance secretary
    general state spokesman spokeswoman spokesperson press ambassador envoy representative
    permanent adviser advisor national security chief executive officer director head chairman
    chairwoman chair senator senior official officials diplomat diplomats source sources aide
    aides minister's ministry department council government administration office commander
    mayor governor leader king queen chancellor premier justice attorney assistant special
    top former acting us u.s. un eu nato kremlin general-secretary
    secretary-general deputy-minister negotiator delegation delegate member lawmaker mp
    mr mrs ms dr prof sir madam
""".split())


@dataclass(frozen=True)
class NameRules:
    """Shapes of names; read off the shipped registry (parley/data/actors.yaml), not measured."""

    full_name_words: tuple[int, int] = (2, 4)  # "Maria Zajarova", "Nikolai Patrushev"
    acronym_max_letters: int = 5  # US, U.N., NATO, OSCE; longer all-caps words are shouting


NAMES = NameRules()


def is_full_name(alias: str) -> bool:
    """True for "Maria Zajarova"-like aliases (2–4 capitalised words, no title words)."""
    words = alias.split()
    lo, hi = NAMES.full_name_words
    return lo <= len(words) <= hi and all(
        w[:1].isupper() and fold_text(w).strip(".") not in TITLE_WORDS for w in words
    )


def pattern_text(alias: str) -> str:
    """The folded spelling to scan text for (without a leading article)."""
    return re.sub(r"^(?:the|a|an)\s+", "", fold_text(alias).strip())


def is_acronym(alias: str) -> bool:
    """True for short all-caps aliases (US, U.N., NATO) that must match with their case."""
    bare = alias.replace(".", "")
    return bare.isupper() and len(bare) <= NAMES.acronym_max_letters
