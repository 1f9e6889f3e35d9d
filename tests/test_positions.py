"""Positions, not quotes: one position per statement however many outlets carry it."""

from __future__ import annotations

import datetime as dt

from chains.positions import PositionPolicy, group_positions, overlap
from parley.core.schema import (
    Brief,
    Coverage,
    Position,
    Quote,
    SourceSpan,
    Stance,
    StatementStance,
)
from parley.render.markdown import brief_markdown

SAID = "Unilateral concessions from our side are out of the question"
TEXTS = {
    "reuters.txt": f"“{SAID},” Ryabkov told reporters on Monday.",
    "tass.txt": f"Ryabkov stressed: “{SAID}.”",
    "rt.txt": "Ryabkov said that concessions on the question were not ruled out for Moscow.",
    "ap.txt": "Lavrov said talks with Kyiv could resume next year if the front held.",
}
OUTLETS = {"reuters.txt": "Reuters", "tass.txt": "TASS", "rt.txt": None, "ap.txt": "AP"}
DAY = dt.date(2022, 6, 1)


def _quote(source: str, text: str, kind: str, speaker: str | None = "Sergei Ryabkov") -> Quote:
    whole = TEXTS[source]
    a = whole.index(text)
    sentence = SourceSpan(source=source, start=0, end=len(whole), text=whole)
    return Quote(source=source, start=a, end=a + len(text), text=text, id=f"{source}:{a}",
                 speaker=speaker, actor="russia", kind=kind, sentence=sentence, date=DAY)  # type: ignore[arg-type]


def _label(q: Quote, label: str | None, p: float = 0.7) -> StatementStance:
    probs = {"open": 0.1, "conditional": 0.1, "opposed": 0.1, "noncommittal": 0.1}
    if label:
        probs[label] = p
    return StatementStance(span=q.sentence, label=label, probabilities=probs, confidence=p)  # type: ignore[arg-type]


def _key(q: Quote) -> tuple[str, int, int]:
    return (q.sentence.source, q.sentence.start, q.sentence.end)


def test_the_same_quote_in_two_outlets_is_one_position_with_both_sources():
    quotes = [_quote("reuters.txt", SAID, "direct"), _quote("tass.txt", SAID, "direct"),
              _quote("ap.txt", "talks with Kyiv could resume next year if the front held",
                     "reported", "Sergey Lavrov")]
    labels = {_key(q): _label(q, "opposed" if "question" in q.text else "conditional") for q in quotes}
    positions, disagreements = group_positions(quotes, labels, OUTLETS)
    assert len(positions) == 2 and disagreements == []
    top = positions[0]
    assert top.text == SAID and top.kind == "direct" and top.label == "opposed"
    assert top.outlets == ["Reuters", "TASS"] and top.unknown_outlets == 0
    assert [s.source for s in top.sources] == ["reuters.txt", "tass.txt"]
    assert all(TEXTS[s.source][s.start:s.end] == s.text for p in positions for s in p.sources)


def test_reported_speech_shows_the_sentence_and_is_never_quoted():
    q = _quote("ap.txt", "talks with Kyiv could resume next year if the front held", "reported",
               "Sergey Lavrov")
    positions, _ = group_positions([q], {_key(q): _label(q, "conditional")}, OUTLETS)
    assert positions[0].text == TEXTS["ap.txt"] and positions[0].kind == "reported"
    md = _markdown(positions)
    line = next(x for x in md.splitlines() if "Lavrov said" in x)
    assert "“" not in line and "_(reported)_" in line


def test_off_topic_statements_are_not_positions():
    q = _quote("reuters.txt", SAID, "direct")
    positions, _ = group_positions([q], {_key(q): _label(q, None)}, OUTLETS)
    assert positions == []


def test_outlets_that_report_one_statement_with_different_labels_are_shown_side_by_side():
    q1, q2 = _quote("reuters.txt", SAID, "direct"), _quote("tass.txt", SAID, "direct")
    labels = {_key(q1): _label(q1, "opposed"), _key(q2): _label(q2, "conditional")}
    positions, disagreements = group_positions([q1, q2], labels, OUTLETS)
    assert len(positions) == 1 and len(disagreements) == 1
    d = disagreements[0]
    assert {d.left.outlets[0], d.right.outlets[0]} == {"Reuters", "TASS"}
    assert {d.left.label, d.right.label} == {"opposed", "conditional"}
    md = _markdown(positions, disagreements)
    assert "## Where outlets disagree" in md and "| 1 outlet (Reuters) | 1 outlet (TASS) |" in md


def test_overlap_needs_shared_words_and_matches_a_quote_inside_its_report():
    a = frozenset({"unilateral", "concession", "side", "question"})
    assert overlap(a, a | {"ryabkov", "moscow"}) == 1.0
    assert overlap(frozenset({"russia", "deny"}), frozenset({"russia", "deny", "talk"})) == 0.0
    assert overlap(frozenset({"war"}), frozenset({"war"})) == 1.0
    assert PositionPolicy().same > PositionPolicy().related


def _markdown(positions: list[Position], disagreements=()) -> str:
    st = Stance(actor="Russia", topic="talks", source=None, label=None)
    cov = Coverage(articles=0, outlets=0, sources=[], total_articles=4, unknown_outlets=0)
    return brief_markdown(Brief(actor="Russia", topic="talks", stance=st, coverage=cov,
                                positions=positions, disagreements=list(disagreements)))


def test_header_says_outlets_unknown_rather_than_zero():
    st = Stance(actor="Russia", topic="talks", source=None, label=None)
    cov = Coverage(articles=2, outlets=0, sources=["a", "b"], total_articles=2, unknown_outlets=2,
                   relevant=2, read=2)
    md = brief_markdown(Brief(actor="Russia", topic="talks", stance=st, coverage=cov))
    assert "outlets unknown" in md and "0 named outlets" not in md and "Outlets 0" not in md
