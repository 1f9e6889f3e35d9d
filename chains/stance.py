"""The stance step: the model chooses a label and numbered evidence; it never writes evidence.

Statements come from the claims ledger as verbatim spans. The chat model (grammar-constrained
JSON on llama.cpp) returns `{"label": ..., "evidence": [numbers]}`; Parley maps the numbers back
to spans. Lexical cues give an independent reading: agreement raises the confidence,
disagreement lowers it; when more statements carry cues of another label than of the model's,
or the model fails, the cues decide (flagged in the rationale). Measured on the stance fixtures:
the 0.5B model alone answered "conditional" for every item; the check lifts it (see README).
No statements → no position found, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from chains.guard import mask_injections
from chains.models import json_mode
from parley.core.errors import ModelOutputError
from parley.core.schema import SourceSpan, Stance, StanceLabel
from prompts import PromptTemplate, load_prompt

LABELS: tuple[StanceLabel, ...] = ("open", "conditional", "opposed", "noncommittal")


class StanceChoice(BaseModel):
    """What the model may say: one label, some statement numbers."""

    label: Literal["open", "conditional", "opposed", "noncommittal"]
    evidence: list[int] = Field(default_factory=list, max_length=6)


# Lexical cues per label: a transparent second opinion, not the classifier.
CUES: dict[StanceLabel, re.Pattern[str]] = {
    "opposed": re.compile(
        r"\b(impossible|out of the question|unlikely|refus\w*|rul\w+ out|will not|won't|cannot|"
        r"can't|unable to|no sense|not agree|reject\w*|denie[sd]|deny)\b", re.I),
    "conditional": re.compile(
        r"\b(if|only if|only as equals|as long as|provided|unless|should stop|must stop|on condition|"
        r"demand\w*|insist\w*|guarantee\w*|but only)\b", re.I),
    "open": re.compile(
        r"\b(open to|always open|ready to|willing|committed to|remain open|dialogue|welcome\w*|"
        r"move forward|resolv\w+ .{0,20}through)\b", re.I),
    "noncommittal": re.compile(
        r"\b(declined to comment|nothing to say|no comment|don't know|do not know|not want to say|"
        r"does not want to say|speculative|neither)\b", re.I),
}


def _statement_label(text: str) -> StanceLabel | None:
    """One statement's cue label: refusal beats openness; openness with conditions is conditional."""
    hit = {label for label, rx in CUES.items() if rx.search(text)}
    for label in ("opposed", "noncommittal", "conditional", "open"):
        if label in hit:
            return label  # type: ignore[return-value]
    return None


def cue_label(texts: Sequence[str]) -> tuple[StanceLabel | None, dict[str, int]]:
    """The most frequent statement-level cue label (None when no statement has a cue)."""
    counts: dict[str, int] = dict.fromkeys(LABELS, 0)
    for t in texts:
        label = _statement_label(t)
        if label:
            counts[label] += 1
    best = max(LABELS, key=lambda k: counts[k])  # ties: order of LABELS
    return (best if counts[best] else None), counts


def number_statements(statements: Sequence[SourceSpan], limit: int = 420) -> str:
    """Statements as a numbered list for the prompt (masked, trimmed)."""
    lines = []
    for i, s in enumerate(statements, 1):
        text = " ".join(mask_injections(s.text).split())
        # cut at a word boundary: a model copying a half word would put it in a summary
        lines.append(f"{i}. {text if len(text) <= limit else text[:limit].rsplit(' ', 1)[0] + ' …'}")
    return "\n".join(lines)


class StanceChain:
    """Label an actor's stance toward a topic from verbatim statements."""

    def __init__(self, model: BaseChatModel, *, prompt: PromptTemplate | str = "stance",
                 max_statements: int = 8):
        self.model = model
        self.prompt = load_prompt(prompt) if isinstance(prompt, str) else prompt
        self.max_statements = max_statements
        self._choose = json_mode(model, StanceChoice)

    def classify(
        self,
        actor: str,
        topic: str,
        statements: Sequence[SourceSpan],
        *,
        source: str | None = None,
        date=None,
    ) -> Stance:
        """One Stance for these statements (label None when there are none)."""
        statements = list(statements)[: self.max_statements]
        base = dict(actor=actor, topic=topic, source=source, date=date)
        if not statements:
            return Stance(**base, label=None, confidence=0.0, rationale="no position found")
        cue, counts = cue_label([s.text for s in statements])
        system, user = self.prompt.render(actor=actor, topic=topic,
                                          statements=number_statements(statements))
        try:
            choice: StanceChoice | None = self._choose.invoke(
                [SystemMessage(system), HumanMessage(user)])
        except ModelOutputError:  # invalid JSON / label from a small model: the cues decide
            choice = None
        if choice is None:
            label = cue or "noncommittal"
            evidence = _cue_evidence(statements, label)
            return Stance(**base, label=label, confidence=0.3 if cue else 0.15, evidence=evidence,
                          rationale="model gave no usable answer; label from lexical cues")
        picked = [statements[n - 1] for n in dict.fromkeys(choice.evidence) if 1 <= n <= len(statements)]
        if not picked:
            picked = _cue_evidence(statements, choice.label)
        # the check: a label most statements argue against, with no cue of its own, is overruled
        if cue and cue != choice.label and counts[cue] > counts[choice.label]:
            return Stance(**base, label=cue, confidence=0.5, evidence=_cue_evidence(statements, cue),
                          rationale=f"model chose {choice.label}, but {counts[cue]} statement(s) carry "
                                    f"{cue} cues and {counts[choice.label]} carry {choice.label} cues; "
                                    f"cues decide")
        # do the statements the model picked carry cues of the label it picked?
        cue_pick, pick_counts = cue_label([s.text for s in picked])
        confidence = 0.8 if cue_pick == choice.label else (0.55 if cue_pick is None else 0.4)
        agree = "agree" if cue_pick == choice.label else f"say {cue_pick}"
        cues = ", ".join(f"{k}={v}" for k, v in pick_counts.items() if v) or "none"
        note = f"model chose {choice.label}; cues in its evidence {agree} ({cues})"
        return Stance(**base, label=choice.label, confidence=confidence, evidence=picked,
                      rationale=note)


def _cue_evidence(statements: Sequence[SourceSpan], label: StanceLabel) -> list[SourceSpan]:
    hits = [s for s in statements if CUES[label].search(s.text)]
    return hits[:3] or list(statements[:1])
