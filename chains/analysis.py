"""Analysis once per article: the ledger at ingest (rules), stance per statement (model time, cached).

`analyse_article` runs the ledger rules over one article; its result is stored with the article's
content hash and `ledger_version` (a digest of the rules' source and the actor registry), so an
article is analysed again only when its text, the rules or the registry change.

`StanceCache` labels an actor's statements in one article toward a topic through the stance
chain and keeps the result in the analysis store under a key of every input (article hash, model,
prompt digest, actor, topic, statement spans): a key is computed once, ever. Missing keys are
labelled with LangChain's `batch_as_completed`, at most `concurrency` calls at a time (an
OpenAI-compatible server batches them; the embedded model takes one at a time), and the bound
holds across threads: the page's background fill and a brief share one semaphore.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from pydantic import BaseModel

import parley.actors.registry as registry_rules
import parley.ledger.attrib as attrib_rules
import parley.ledger.build as build_rules
import parley.ledger.marks as marks_rules
import parley.ledger.people as people_rules
import parley.text.sentences as sentence_rules
from chains.stance_cues import CUES
from parley.actors.registry import ActorRegistry
from parley.core.schema import Article, ArticleAnalysis, SourceSpan, StatementStance, content_hash
from parley.ledger.build import extract_quotes
from vectorstore.analysis import AnalysisStore

_RULES = (attrib_rules, build_rules, marks_rules, people_rules, registry_rules, sentence_rules)


def ledger_version(registry: ActorRegistry) -> str:
    """A digest of what the stored ledger depends on: the rules' source and the registry."""
    actors = json.dumps([a.model_dump() for a in registry.actors.values()], sort_keys=True)
    return content_hash(*(inspect.getsource(m) for m in _RULES), inspect.getsource(analyse_article),
                        actors, *registry.channels)


def analyse_article(article: Article, registry: ActorRegistry, version: str) -> ArticleAnalysis:
    """Mentions and ledger entries of one article (deterministic rules, no model)."""
    text = article.text
    found = [m for a, b in (article.kept or [(0, len(text))]) for m in registry.find_mentions(text, a, b)]
    # an actor's count, and each member's under `<actor>/<member>` (an official's brief lists the
    # articles that only name the official)
    named = Counter([m.actor_id for m in found]
                    + [f"{m.actor_id}/{m.member}" for m in found if m.member])
    return ArticleAnalysis(
        doc_id=article.doc_id, content_hash=article.content_hash, version=version,
        title=article.meta.title, outlet=article.meta.outlet, date=article.meta.date,
        mentions=dict(named), quotes=extract_quotes(article, registry),
    )


class StanceJob(BaseModel):
    """One actor's statements in one article, to be labelled toward one topic."""

    doc_id: str
    content_hash: str
    actor: str  # registry id
    actor_name: str
    topic: str
    date: dt.date | None = None
    statements: list[SourceSpan]
    relevance: list[float] | None = None  # each statement's similarity to the topic (not keyed)

    def key(self, model: str, prompt: str) -> str:
        """The cache key: every input of the labelling."""
        topic = " ".join(self.topic.lower().split())
        spans = [f"{s.start}:{s.end}" for s in self.statements]
        return content_hash(self.content_hash, model, prompt, self.actor, topic, *spans, n=32)


class Progress(BaseModel):
    """How far a long step is: done of total, rate and time left."""

    what: str
    done: int = 0
    total: int = 0
    cached: int = 0  # found already computed (cost nothing)
    started: float = 0.0
    finished: bool = False
    error: str | None = None

    @property
    def rate(self) -> float:
        """Items computed per second so far (cached items cost nothing and are left out)."""
        spent, worked = time.monotonic() - self.started, self.done - self.cached
        return worked / spent if spent > 0 and worked > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the current rate (None before the first item)."""
        return (self.total - self.done) / self.rate if self.rate else None

    def line(self) -> str:
        """One line for a log or a progress bar."""
        eta = "–" if self.eta_s is None else f"{self.eta_s:.0f} s"
        extra = f", {self.cached} cached" if self.cached else ""
        return (f"{self.what}: {self.done}/{self.total}{extra} · {self.rate:.2f}/s · "
                f"ETA {eta}")


ProgressFn = Callable[[Progress], None]


class LazyModel(Runnable):
    """A chat model built on its first call: a brief served from the cache never loads one."""

    def __init__(self, build: Callable[[], Any]):
        self._build = build
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        """The real model (built now if needed)."""
        with self._lock:
            if self._model is None:
                self._model = self._build()
        return self._model

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return self.model.invoke(input, config, **kwargs)


class StanceCache:
    """Labelled statements per StanceJob: from the store, else the stance chain (then stored)."""

    def __init__(self, store: AnalysisStore, chain: Any, *, model_name: str, concurrency: int = 1):
        self.store = store
        self.chain = chain  # chains.stance.StanceChain (label_statements)
        self.model_name = model_name
        self.prompt = _prompt_digest(chain)
        self.concurrency = max(1, concurrency)
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._keys_lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def key(self, job: StanceJob) -> str:
        """The job's cache key under this model and prompt."""
        return job.key(self.model_name, self.prompt)

    def missing(self, jobs: Sequence[StanceJob]) -> list[StanceJob]:
        """The jobs whose labels are not cached yet."""
        have = self.store.stance_keys(self.key(j) for j in jobs)
        return [j for j in jobs if self.key(j) not in have]

    def _one(self, job: StanceJob) -> list[StatementStance]:
        key = self.key(job)
        with self._keys_lock:
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:  # another thread labelling the same key: wait for it, then read its result
            cached = self.store.stance(key)
            if cached is not None:
                return cached
            with self._slots:
                labelled = list(self.chain.label_statements(job.actor_name, job.topic, job.statements,
                                                            job.relevance))
            self.store.put_stance(key, doc_id=job.doc_id, content_hash=job.content_hash,
                                  model=self.model_name, prompt=self.prompt, actor=job.actor,
                                  topic=job.topic, labelled=labelled)
            return labelled

    def label(self, jobs: Sequence[StanceJob], progress: ProgressFn | None = None,
              what: str = "stance", config: RunnableConfig | None = None,
              ) -> list[list[StatementStance]]:
        """Labelled statements for every job, in order; only uncached jobs call the model."""
        keys = [self.key(j) for j in jobs]
        have = self.store.stance_keys(keys)
        out: list[list[StatementStance] | None] = [
            self.store.stance(k) if k in have else None for k in keys]
        todo = [i for i, got in enumerate(out) if got is None]
        prog = Progress(what=what, total=len(jobs), done=len(jobs) - len(todo),
                        cached=len(jobs) - len(todo), started=time.monotonic())
        if progress:
            progress(prog)
        errors: list[BaseException] = []
        if todo:
            cfg: RunnableConfig = {**(config or {}), "max_concurrency": self.concurrency}
            runner = RunnableLambda(self._one)
            for i, got in runner.batch_as_completed([jobs[i] for i in todo], cfg,
                                                    return_exceptions=True):
                if isinstance(got, BaseException):
                    errors.append(got)
                    continue
                out[todo[i]] = got
                prog.done += 1
                if progress:
                    progress(prog)
        if errors:  # what finished is stored; the first failure explains the rest
            raise errors[0]
        prog.finished = True
        if progress:
            progress(prog)
        return [got or [] for got in out]


def _prompt_digest(chain: Any) -> str:
    """What identifies the stance step's behaviour: its prompt, its policy (temperature, filter,
    cue weight) and the lexical cue patterns mixed into each statement's stored distribution."""
    prompt = getattr(chain, "prompt", None)
    policy = getattr(chain, "policy", None)
    return content_hash(str(getattr(prompt, "digest", None) or repr(prompt)),
                        policy.model_dump_json() if isinstance(policy, BaseModel) else repr(policy),
                        *(f"{label}:{rx.pattern}" for label, rx in CUES.items()))
