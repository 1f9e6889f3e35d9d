"""Article text is data, not instructions: find instruction-like text aimed at a model.

Detected spans are masked before passages reach a prompt and are never offered as citations,
so an article saying "ignore previous instructions and …" changes nothing Parley does.
"""

from __future__ import annotations

import re

_PATTERNS = [
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}\b(?:previous|prior|above|earlier|all|your|the)\b[^.!?\n]{0,30}\b(?:instructions?|prompts?|rules|directions|guidelines|context)\b",
    r"\byou are now\b",
    r"\b(?:system|developer)\s+(?:prompt|message|instructions?)\b",
    r"\bas an? (?:ai|language model|assistant)\b",
    r"\b(?:new|updated) instructions?\s*:",
    r"\b(?:reply|respond|answer|output|print)\s+(?:only|exactly|with only|with the (?:word|phrase|text))\b",
    r"<\s*/?\s*(?:system|assistant|user|document|instructions?)\s*>",
    r"\[/?INST\]|<\|im_(?:start|end)\|>",
]
_RX = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
MASK = "[instruction-like text removed]"


def injection_spans(text: str) -> list[tuple[int, int]]:
    """Spans of text that address a model rather than report news, widened to their sentence."""
    spans: list[tuple[int, int]] = []
    for m in _RX.finditer(text):
        a = max(text.rfind(ch, 0, m.start()) for ch in ".!?\n") + 1
        ends = [i for i in (text.find(ch, m.end()) for ch in ".!?\n") if i != -1]
        b = min(ends) + 1 if ends else len(text)
        if spans and a <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(b, spans[-1][1]))
        else:
            spans.append((a, b))
    return spans


def overlaps_injection(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """True when [start, end) touches any detected span."""
    return any(a < end and start < b for a, b in spans)


def mask_injections(text: str) -> str:
    """Replace instruction-like sentences with a visible placeholder."""
    out, pos = [], 0
    for a, b in injection_spans(text):
        out.append(text[pos:a])
        out.append(" " + MASK + " ")
        pos = b
    out.append(text[pos:])
    return "".join(out)


def escape_delimiters(text: str) -> str:
    """Keep passage text from closing or opening the prompt's document tags."""
    return re.sub(r"<\s*(/?)\s*document", r"‹\1document", text, flags=re.IGNORECASE)
