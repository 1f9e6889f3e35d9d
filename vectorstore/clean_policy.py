"""The cleaner's thresholds, in one typed object (used by vectorstore/clean.py and boilerplate.py).

Where they come from: set by hand while writing the cleaner, against the cases in
tests/test_clean.py (real page furniture and article text) and the five seeds, where the eval's
boilerplate leakage is 0.000 (evals/reports/seeds-52). No sweep over any of them has been run:
each value is a question, not a measurement. Change one here and run tests/test_clean.py and
`parley eval` (boilerplate leakage, fact recall) before and after.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CleanPolicy:
    """Lengths (words unless named chars) and scores at which a unit counts as prose or furniture."""

    # units: when lines join into one paragraph
    wrapped_max_chars: int = 120  # a file whose lines are all this short is hard-wrapped…
    wrap_join_min_chars: int = 40  # …and there an unfinished line this long runs on

    # prose features
    sentence_min_words: int = 2  # a line ending in . ! ? of this many words reads as a sentence
    prose_min_words: int = 6  # …of this many, as a paragraph of the article
    long_unit_words: int = 30  # a unit this long is both, punctuation or not

    # repeats and the headline
    repeat_min_words: int = 3  # a repeated line (teaser, pull quote) or a headline candidate
    glued_head_min_chars: int = 15  # a repeated line this long may be glued to another's end…
    glued_rest_min_chars: int = 20  # …and is cut off only when this much of the other is left

    # position rules
    cta_max_words: int = 15  # a line with call-to-action words between two dropped lines
    header_keep_min_words: int = 6  # a head line shorter than this is a label (unless a sentence)
    tail_keep_min_words: int = 4  # a sentence after the last paragraph needs this many to stay
    crosshead_words: tuple[int, int] = (2, 12)  # a capitalised line between two paragraphs

    # line rules (boilerplate.py)
    credit_max_words: int = 40  # longer units are never a photo/copyright credit
    wire_max_words: int = 4  # "Capitals (Agencies)"
    hashtag_share: float = 0.5  # share of a line's tokens that are #tags
    breadcrumb_min_parts: int = 3  # "Home › World › Europe"…
    breadcrumb_part_max_words: int = 3  # …of parts this short
    stray_max_tokens: int = 2  # a line of at most this many ids/slugs
    dateline_max_words: int = 12

    # call-to-action / comment / cookie / ad vocabulary
    strong_weight: int = 2  # a strong phrase ("subscribe to our newsletter") counts double
    weak_divisor: int = 3  # three weak words ("share", "menu") count as one medium word
    widget_max_prose_words: int = 60  # a paragraph longer than this is never a widget
    prose_min_score: float = 3.0  # a sentence with no strong phrase needs this score…
    min_density: float = 0.25  # …and this score per word (also enough for a short line)
    line_min_score: float = 1.0  # a non-sentence line needs this score, and either…
    line_short_words: int = 6  # …this few words, or…
    line_sure_score: float = 2.0  # …this score


CLEAN = CleanPolicy()
