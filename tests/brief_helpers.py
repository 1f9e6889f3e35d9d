"""Briefs over the seeds with a fake model that answers stance choices with fixed logprobs."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

from choice_helpers import logprob_model

from parley.core.settings import Settings
from parley.service import Parley
from vectorstore.embeddings import FakeEmbeddings

# the model's bias: it likes "B" (conditional) whatever it reads, as the real 0.5B did
PRIOR = {"A": 0.15, "B": 0.6, "C": 0.1, "D": 0.1, "E": 0.05}


def statement_of(prompt: str) -> str:
    """The statement a stance prompt asks about."""
    m = re.search(r'Statement: "(.*)"', prompt, flags=re.S)
    return m.group(1) if m else ""


def seed_scorer(prompt: str) -> dict[str, float]:
    """Raw option probabilities for the seeds: the prior, nudged by cue words in the statement."""
    s = statement_of(prompt).lower()
    if s == "n/a":
        return dict(PRIOR)
    if "letter" in s or "weapons" in s:
        return {"A": 0.05, "B": 0.1, "C": 0.02, "D": 0.03, "E": 0.8}
    boost = ("C" if any(w in s for w in ("out of the question", "impossible", "unlikely", "denie"))
             else "A" if "open" in s else "D" if any(w in s for w in ("nothing to say", "know"))
             else "B")
    return {k: v * (4.0 if k == boost else 1.0) for k, v in PRIOR.items()}


class SlowScorer:
    """A scorer that takes `delay` seconds and records how many calls were in flight at once."""

    def __init__(self, delay: float = 0.05):
        self.delay, self.now, self.peak = delay, 0, 0
        self._lock = threading.Lock()

    def __call__(self, prompt: str) -> dict[str, float]:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(self.delay)
        with self._lock:
            self.now -= 1
        return seed_scorer(prompt)


def brief_service(data: Path, seeds: Path, scorer=seed_scorer, **settings: object) -> Parley:
    """A Parley over the seeds: fake embeddings, real Chroma and analysis store, fake logprobs."""
    values: dict[str, object] = {"data_dir": data, "llm_backend": "fake", "embedding_backend": "fake"}
    values.update(settings)
    svc = Parley(Settings(**values), model=logprob_model(scorer), embedder=FakeEmbeddings())
    svc.ingest([seeds])
    return svc
