"""Limits checked before any model call: a question must say something and fit the model."""

from __future__ import annotations

from parley.core.errors import QuestionError


def check_question(question: str, max_chars: int, *, what: str = "question") -> str:
    """The question, stripped; QuestionError when it is empty or longer than `max_chars`."""
    q = question.strip()
    if not q:
        raise QuestionError(f"the {what} is empty: type what you want to know about the articles")
    if len(q) > max_chars:
        raise QuestionError(
            f"the {what} is {len(q):,} characters; the limit is {max_chars:,} "
            "(PARLEY_MAX_QUESTION_CHARS) so that the passages and the answer still fit the "
            "model's context window (PARLEY_N_CTX): shorten it"
        )
    return q
