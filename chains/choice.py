"""Choice scoring: the model picks among closed options; Parley reads how sure it is.

One mechanism for every decision a small model makes (which sentence answers, does it answer at
all, which stance a statement takes): the prompt ends in a question whose answer is one option
token ("A", "B", … or "1", "2", …); the model writes one token and Parley reads the
log-probabilities of the option tokens from `response_metadata["logprobs"]` (OpenAI's format,
which `ChatLlamaCpp` and every OpenAI-compatible server that supports `logprobs` return).

Small models prefer some option tokens whatever the input (the 0.5B answered "conditional" to 16
of 17 stance items). Contextual calibration (Zhao et al., 2021, "Calibrate before use") removes
that prior: score the same prompt with the content replaced by "N/A", and divide each option's
probability by its content-free probability before renormalising. Priors are cached per prompt
shape, so calibration costs one extra model call per shape, not per question.

Where a server returns no logprobs, the choice falls back to the single token the model wrote
(constrained by `max_tokens=1`), with probability 1 for that option: `method="constrained"`
says so, and no calibration is possible.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import BaseModel, Field

from parley.core.errors import ModelError, ModelOutputError

Method = Literal["logprobs", "constrained"]
# How many alternatives to ask for: OpenAI caps top_logprobs at 20; every option must fit.
TOP_LOGPROBS = 20


class ChoiceRequest(BaseModel):
    """Messages that end in a closed question, the option tokens, and the content-free twin."""

    model_config = {"arbitrary_types_allowed": True}

    messages: list[BaseMessage]
    options: list[str] = Field(min_length=2)
    # the same prompt with the content replaced by "N/A": its scores are the model's prior
    content_free: list[BaseMessage] | None = None
    # a key shared by every request of the same prompt shape (caches the prior)
    shape: str = ""


class ChoiceResult(BaseModel):
    """The model's probabilities over the options, raw and with its prior divided out."""

    options: list[str]
    raw: dict[str, float]
    calibrated: dict[str, float]
    prior: dict[str, float] | None = None
    method: Method

    @property
    def best(self) -> str:
        return max(self.options, key=lambda o: self.calibrated[o])

    @property
    def confidence(self) -> float:
        return self.calibrated[self.best]

    def p(self, option: str) -> float:
        return self.calibrated[option]


def _first_token_alternatives(message: BaseMessage) -> list[tuple[str, float]] | None:
    """(token, logprob) alternatives for the first generated token, or None when not given."""
    meta = getattr(message, "response_metadata", None) or {}
    lp = meta.get("logprobs")
    if not lp:
        return None
    content = lp.get("content") if isinstance(lp, dict) else None
    if not content:
        return None
    first = content[0]
    alts = [(a["token"], float(a["logprob"])) for a in (first.get("top_logprobs") or [])]
    if not alts and "token" in first:
        alts = [(first["token"], float(first["logprob"]))]
    return alts


def option_distribution(
    alternatives: Sequence[tuple[str, float]], options: Sequence[str]
) -> dict[str, float]:
    """Probabilities of the options, renormalised over the options alone.

    Tokens match an option after stripping spaces and a trailing ")" or "." ("A", " A", "A)"),
    and in any case when no option matches exactly ("Yes" for "yes").
    An option the top alternatives do not contain gets at most the smallest probability seen,
    halved: the true value is below it, and zero would make calibration divide by zero.
    """
    mass = dict.fromkeys(options, 0.0)
    folded = {o.lower(): o for o in options}  # "Yes" counts for the option "yes"
    for tok, logprob in alternatives:
        key = tok.strip().rstrip(").:")
        key = key if key in mass else folded.get(key.lower(), "")
        if key in mass:
            mass[key] += math.exp(logprob)
    floor = min((math.exp(lp) for _, lp in alternatives), default=1e-6) / 2
    for o in options:
        if mass[o] <= 0.0:
            mass[o] = max(floor, 1e-9)
    total = sum(mass.values())
    return {o: mass[o] / total for o in options}


def calibrate(raw: dict[str, float], prior: dict[str, float] | None) -> dict[str, float]:
    """Divide out the content-free prior and renormalise (identity without a prior)."""
    if not prior:
        return dict(raw)
    scaled = {o: raw[o] / max(prior.get(o, 0.0), 1e-9) for o in raw}
    total = sum(scaled.values()) or 1.0
    return {o: v / total for o, v in scaled.items()}


class ChoiceScorer(Runnable[ChoiceRequest, ChoiceResult]):
    """A Runnable: ChoiceRequest in, calibrated ChoiceResult out, with any LangChain chat model."""

    def __init__(self, model: BaseChatModel, *, calibrate: bool = True):
        self.model = model
        self.calibrate = calibrate
        self._bound = model.bind(max_tokens=1, temperature=0.0, logprobs=True,
                                 top_logprobs=TOP_LOGPROBS)
        self._priors: dict[tuple[str, tuple[str, ...]], dict[str, float] | None] = {}
        self._lock = threading.Lock()

    def _score(self, messages: list[BaseMessage], options: Sequence[str],
               config: RunnableConfig | None) -> tuple[dict[str, float], Method]:
        out = self._bound.invoke(messages, config)
        if not isinstance(out, AIMessage):
            raise ModelError(f"choice scoring expected a chat message, got {type(out).__name__}")
        alts = _first_token_alternatives(out)
        if alts:
            return option_distribution(alts, options), "logprobs"
        # no logprobs from this server: the one token it wrote is the choice
        text = str(out.content).strip().rstrip(").:")
        picked = next((o for o in options if text.startswith(o)), None)
        if picked is None:
            raise ModelOutputError(
                f"choice scoring: the model answered {text[:20]!r}, not one of {list(options)}")
        return {o: (1.0 if o == picked else 0.0) for o in options}, "constrained"

    def prior(self, request: ChoiceRequest,
              config: RunnableConfig | None = None) -> dict[str, float] | None:
        """The model's content-free distribution for this prompt shape (cached)."""
        if not self.calibrate or request.content_free is None:
            return None
        key = (request.shape or repr([m.content for m in request.content_free]),
               tuple(request.options))
        with self._lock:
            if key in self._priors:
                return self._priors[key]
        dist, method = self._score(request.content_free, request.options, config)
        value = dist if method == "logprobs" else None
        with self._lock:
            self._priors[key] = value
        return value

    def invoke(self, input: ChoiceRequest, config: RunnableConfig | None = None,
               **kwargs: Any) -> ChoiceResult:
        raw, method = self._score(input.messages, input.options, config)
        prior = self.prior(input, config) if method == "logprobs" else None
        return ChoiceResult(options=list(input.options), raw=raw,
                            calibrated=calibrate(raw, prior), prior=prior, method=method)
