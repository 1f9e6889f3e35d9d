"""Lexical stance cues: a transparent second reading of a statement, never the classifier.

The stance step may mix a statement's cue label into its distribution (`StancePolicy.cue_weight`,
off unless an eval run shows it helps); the brief ranks claims by the same patterns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from parley.core.schema import StanceLabel

LABELS: tuple[StanceLabel, ...] = ("open", "conditional", "opposed", "noncommittal")

# Lexical cues per label (matched after curly apostrophes become straight ones: "don’t know")
CUES: dict[StanceLabel, re.Pattern[str]] = {
    "opposed": re.compile(
        r"\b(impossible|out of the question|unlikely|refus\w*|rul\w+ out|will not|won't|cannot|"
        r"can't|unable to|no sense|not agree|reject\w*|denie[sd]|deny)\b"
        r"(?!\s+to\s+be\s+(?:named|identified))", re.I),  # "refused to be named": anonymity, not refusal
    "conditional": re.compile(
        # "if" as "whether" ("I don't know if …", "asked if …") is no condition; nor is the idiom
        # "as long as it takes" (support without an end)
        r"\b((?<!know )(?<!knows )(?<!knew )(?<!ask )(?<!asked )(?<!wonder )(?<!sure )(?<!see )if|"
        r"only if|only as equals|as long as(?! it takes)|provided|unless|should stop|must stop|on condition|"
        r"demand\w*|insist\w*|guarantee\w*|but only)\b", re.I),
    "open": re.compile(
        r"\b(open to|always open|ready to|willing|committed to|remain open|dialogue|welcome\w*|"
        r"move forward|resolv\w+ .{0,20}through|as long as it takes)\b", re.I),
    "noncommittal": re.compile(
        r"\b(declined to comment|nothing to say|no comment|don't know|do not know|not want to say|"
        r"does not want to say|speculative|neither)\b", re.I),
}
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})


def statement_cue(text: str) -> StanceLabel | None:
    """One statement's cue label: refusal beats openness; openness with conditions is conditional."""
    text = text.translate(_APOSTROPHES)
    hit = {label for label, rx in CUES.items() if rx.search(text)}
    for label in ("opposed", "noncommittal", "conditional", "open"):
        if label in hit:
            return label  # type: ignore[return-value]
    return None


def cue_label(texts: Sequence[str]) -> tuple[StanceLabel | None, dict[str, int]]:
    """The most frequent statement-level cue label (None when no statement has a cue)."""
    counts: dict[str, int] = dict.fromkeys(LABELS, 0)
    for t in texts:
        label = statement_cue(t)
        if label:
            counts[label] += 1
    best = max(LABELS, key=lambda k: counts[k])  # ties: order of LABELS
    return (best if counts[best] else None), counts
