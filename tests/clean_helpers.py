"""Shared by the cleaner tests."""

from __future__ import annotations

from vectorstore.clean import clean_text


def kept_texts(text: str, title: str | None = None, start: int = 0) -> list[str]:
    """The texts of the spans the cleaner keeps."""
    return [text[s:e] for s, e in clean_text(text, title=title, start=start).kept]


def assert_spans_valid(text: str, kept: list[tuple[int, int]]) -> None:
    """Kept spans are ordered, non-overlapping, in range and trimmed."""
    prev = -1
    for s, e in kept:
        assert prev <= s < e <= len(text), "spans ordered, non-overlapping, in range"
        assert not text[s].isspace() and not text[e - 1].isspace(), "spans trimmed"
        prev = e
