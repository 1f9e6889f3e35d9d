"""The stance step: each statement is labelled by choice, then the statements are aggregated.

Statements are an actor's own words from the claims ledger (its quotes, reported speech, its
officials'), picked by `chains.stance_select.select_statements`. For each one the model answers
a lettered question (prompts/stance.yaml): A–D are the labels, E is "not about the topic".
`chains.choice.ChoiceScorer` reads the letters' probabilities; the label distribution (A–D) is
contextually calibrated (the same prompt with the statement "N/A" gives the model's prior, divided
out); E is read raw, since "N/A" really is off-topic and would cancel it.

Per article: P(no position) = the product of the statements' off-topic probabilities; each label
gets the rest, shared by the statements' label distributions weighted by how on-topic each is.
The label is the most probable outcome and its confidence is that probability (after the policy's
temperature, fitted on the fixtures). No statements → no position, never a guess.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from chains.choice import ChoiceRequest, ChoiceResult, ChoiceScorer, calibrate
from chains.guard import mask_injections
from chains.stance_cues import CUES, LABELS, cue_label, statement_cue
from parley.core.errors import ModelOutputError
from parley.core.schema import SourceSpan, Stance, StanceLabel, StatementStance
from prompts import PromptTemplate, load_prompt

__all__ = ["CUES", "LABELS", "NONE", "StanceChain", "StanceInput", "StancePolicy", "cue_label",
           "number_statements"]

NONE = "none"  # the outcome "no position" in Stance.probabilities (the fixtures' spelling)
CONTENT_FREE = "N/A"


class StancePolicy(BaseModel):
    """Every knob of the stance step, with where its value comes from; eval variants override it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Measured on the 67 stance fixtures with the embedded Qwen2.5-Coder-0.5B (report and command:
    # evals/reports/stance-67/, `parley eval --fixtures stance --variants stance-default ...`).
    # statements per actor and article, most on-topic first: the brief's earlier choice (not measured)
    max_statements: int = Field(6, ge=1)
    # longer statements are cut at a word boundary: keeps a prompt under ~200 tokens (not measured)
    statement_chars: int = Field(420, ge=40)
    # how off-topic statements are dropped: the model's option E, an embedding threshold, both, none.
    # stance-67: with the 0.5B, option E never decided a label (stance-nofilter: same labels) but
    # lowers ECE (0.022 vs 0.061); a MiniLM cosine under 0.3 (stance-embedding) fixed 4, broke 7
    topic_filter: Literal["model", "embedding", "both", "off"] = "model"
    # cosine (MiniLM) under which a statement is not about the topic, for topic_filter embedding/both
    min_relevance: float = Field(0.0, ge=-1.0, le=1.0)
    # weight of the lexical cue label mixed into a statement's label distribution (0: cues off).
    # stance-67: cues off (stance-nocues) 0.358 accuracy, 0.242 macro-F1, ECE 0.004; 0.25 gave
    # 0.388 / 0.375 / ECE 0.022; 0.5 the same labels with ECE 0.103. stance-67-own-words after the
    # cue fixes of 2026-12-02 (evals/reports/README.md): 0.25, 0.35, 0.5, 0.75 give the same labels
    # (0.507 / 0.487); ECE 0.117, 0.089, 0.052, 0.093: 0.5, chosen on those 52 items (choosing the
    # weight on 4/5 of them and scoring the rest, 5 shuffles: ECE 0.086-0.173)
    cue_weight: float = Field(0.5, ge=0.0, le=1.0)
    # weight of a statement in its article = (1 - P(off topic)) * max(relevance, 0) ** this, where
    # relevance is the statement's embedding cosine with the topic (when measured); 0: unweighted.
    # 2026-12-02 (evals/variants/stance-relevance.yaml): power 1 fixed 2 items and broke 1 of 67
    # (0.522 vs 0.507) with ECE 0.134 vs 0.052; powers 2 and 4 did worse (0.493): not used
    relevance_power: float = Field(0.0, ge=0.0)
    # p ** (1/T), renormalised, on the article distribution; 1.0 = as the model said. stance-67:
    # the NLL fit ran to the grid's end (T=20: the distributions carry little information) and
    # raised ECE to 0.086, so none is applied
    temperature: float = Field(1.0, gt=0.0)
    # the answer token of each outcome, as the prompt names them: open, conditional, opposed,
    # noncommittal, not about the topic
    options: tuple[str, str, str, str, str] = ("A", "B", "C", "D", "E")

    @property
    def letters(self) -> dict[str, StanceLabel]:
        return dict(zip(self.options[:4], LABELS, strict=True))

    @property
    def offtopic_option(self) -> str:
        return self.options[4]

    @property
    def model_filter(self) -> bool:
        return self.topic_filter in ("model", "both")

    @property
    def embedding_filter(self) -> bool:
        return self.topic_filter in ("embedding", "both")


class StanceInput(BaseModel):
    """What the stance Runnable takes: an actor, a topic and that actor's statements in one article."""

    actor: str
    topic: str
    statements: list[SourceSpan] = []
    source: str | None = None
    date: dt.date | None = None


def clip(text: str, limit: int) -> str:
    """One line of text, masked against injections, cut at a word boundary."""
    text = " ".join(mask_injections(text).split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def number_statements(statements: Sequence[SourceSpan], limit: int = 420) -> str:
    """Statements as a numbered list for a prompt (masked, trimmed)."""
    return "\n".join(f"{i}. {clip(s.text, limit)}" for i, s in enumerate(statements, 1))


def temper(dist: dict[str, float], temperature: float) -> dict[str, float]:
    """p ** (1/T), renormalised (T > 1 flattens, T < 1 sharpens; the argmax never moves)."""
    if temperature == 1.0:
        return dict(dist)
    logs = {k: math.log(max(v, 1e-12)) / temperature for k, v in dist.items()}
    top = max(logs.values())
    exp = {k: math.exp(v - top) for k, v in logs.items()}
    total = sum(exp.values())
    return {k: v / total for k, v in exp.items()}


class StanceChain(Runnable[StanceInput, Stance]):
    """A Runnable: an actor's statements in one article in, a Stance with a measured confidence out."""

    def __init__(self, model: BaseChatModel, *, prompt: PromptTemplate | str = "stance",
                 policy: StancePolicy | None = None, scorer: ChoiceScorer | None = None):
        self.model = model
        self.prompt = load_prompt(prompt) if isinstance(prompt, str) else prompt
        self.policy = policy or StancePolicy()
        self.scorer = scorer or ChoiceScorer(model)

    # ---- one statement ------------------------------------------------------------------

    def _messages(self, actor: str, topic: str, statement: str) -> list[BaseMessage]:
        system, user = self.prompt.render(actor=actor, topic=topic, statement=statement)
        return [SystemMessage(system), HumanMessage(user)] if system else [HumanMessage(user)]

    def request(self, actor: str, topic: str, statement: str) -> ChoiceRequest:
        """The choice request for one statement, with its content-free twin."""
        return ChoiceRequest(
            messages=self._messages(actor, topic, clip(statement, self.policy.statement_chars)),
            options=list(self.policy.options),
            content_free=self._messages(actor, topic, CONTENT_FREE),
            shape=f"stance:{self.prompt.digest}:{actor}:{topic}")

    def _statement(self, span: SourceSpan, res: ChoiceResult, relevance: float | None) -> StatementStance:
        letters = list(self.policy.letters)
        raw = {k: res.raw[k] for k in letters}
        prior = {k: res.prior[k] for k in letters} if res.prior else None
        total = sum(raw.values()) or 1.0
        dist = calibrate({k: v / total for k, v in raw.items()}, prior)
        labels = {self.policy.letters[k]: v for k, v in dist.items()}
        cue = statement_cue(span.text) if self.policy.cue_weight else None
        if cue is not None:
            w = self.policy.cue_weight
            labels = {lb: (1 - w) * p + (w if lb == cue else 0.0) for lb, p in labels.items()}
        off = res.raw[self.policy.offtopic_option] if self.policy.model_filter else 0.0
        best = max(LABELS, key=lambda lb: labels[lb])
        on_p = (1.0 - off) * labels[best]
        label: StanceLabel | None = best if on_p >= off else None
        return StatementStance(span=span, label=label, probabilities=labels, offtopic=off,
                               confidence=on_p if label else off, relevance=relevance)

    def label_statements(self, actor: str, topic: str, statements: Sequence[SourceSpan],
                         relevance: Sequence[float] | None = None,
                         config: RunnableConfig | None = None) -> list[StatementStance]:
        """Each statement's calibrated label distribution (one model call per statement)."""
        picked = list(statements)[: self.policy.max_statements]
        rel = list(relevance)[: len(picked)] if relevance is not None else [None] * len(picked)
        out = []
        for span, r in zip(picked, rel, strict=True):
            try:
                res = self.scorer.invoke(self.request(actor, topic, span.text), config)
            except ModelOutputError:  # an answer outside the options: this statement has no reading
                out.append(StatementStance(span=span, label=None, probabilities={}, relevance=r))
                continue
            out.append(self._statement(span, res, r))
        return out

    # ---- one article --------------------------------------------------------------------

    def distribution(self, labelled: Sequence[StatementStance]) -> dict[str, float]:
        """P(each label) and P(no position) for an article's statements, tempered by the policy."""
        labelled = [s for s in labelled if s.probabilities]  # the model's unusable answers: no say
        if not labelled:
            return {}
        p_none = math.prod(s.offtopic for s in labelled)
        k = self.policy.relevance_power
        weights = [(1.0 - s.offtopic) * (max(s.relevance, 0.0) ** k if k and s.relevance is not None else 1.0)
                   for s in labelled]
        wsum = sum(weights)
        dist: dict[str, float] = {}
        for lb in LABELS:
            share = (sum(w * s.probabilities[lb] for w, s in zip(weights, labelled, strict=True)) / wsum
                     if wsum > 0 else 0.0)
            dist[lb] = (1.0 - p_none) * share
        dist[NONE] = p_none
        return temper(dist, self.policy.temperature)

    def aggregate(self, actor: str, topic: str, labelled: Sequence[StatementStance], *,
                  source: str | None = None, date: dt.date | None = None) -> Stance:
        """The article's Stance from its labelled statements (label None: no position)."""
        base: dict[str, Any] = dict(actor=actor, topic=topic, source=source, date=date)
        if not labelled:
            return Stance(**base, label=None, rationale="no position found: no statement by "
                          f"{actor} on this topic in this article")
        dist = self.distribution(labelled)
        if not dist:
            return Stance(**base, label=None, rationale=f"no position found: the model gave no usable "
                          f"answer for {len(labelled)} statement(s)")
        outcome = max(dist, key=lambda k: dist[k])
        counts = {lb: sum(1 for s in labelled if s.label == lb) for lb in LABELS}
        off = sum(1 for s in labelled if s.label is None)
        said = ", ".join(f"{n} {lb}" for lb, n in counts.items() if n) or "none on the topic"
        note = f"{len(labelled)} statement(s): {said}" + (f"; {off} not about the topic" if off else "")
        rounded = {k: round(v, 4) for k, v in dist.items()}
        if outcome == NONE:
            return Stance(**base, label=None, confidence=round(dist[NONE], 4), probabilities=rounded,
                          rationale=f"no position found: {note}")
        label: StanceLabel = outcome  # type: ignore[assignment]
        support = sorted((s for s in labelled if s.label == label), key=lambda s: -s.confidence)
        if not support:  # the article leans this way only on mixed statements: the strongest one
            read = [s for s in labelled if s.probabilities]
            support = sorted(read, key=lambda s: -(1 - s.offtopic) * s.probabilities[label])[:1]
        evidence = sorted((s.span for s in support[:3]), key=lambda s: (s.source, s.start))
        return Stance(**base, label=label, confidence=round(dist[label], 4), evidence=evidence,
                      probabilities=rounded, rationale=note)

    def classify(self, actor: str, topic: str, statements: Sequence[SourceSpan], *,
                 source: str | None = None, date: dt.date | None = None,
                 relevance: Sequence[float] | None = None,
                 config: RunnableConfig | None = None) -> Stance:
        """aggregate(label_statements(...)): one Stance for these statements."""
        labelled = self.label_statements(actor, topic, statements, relevance, config)
        return self.aggregate(actor, topic, labelled, source=source, date=date)

    def invoke(self, input: StanceInput, config: RunnableConfig | None = None,
               **kwargs: Any) -> Stance:
        return self.classify(input.actor, input.topic, input.statements, source=input.source,
                             date=input.date, config=config)
