"""Run the eval matrix: variants × fixture items, each cell cached by what shapes its output.

The corpus is ingested first (idempotent) and hashed. A cell whose key is in the cache is not
run again; the model is only built when some cell misses. Results hold the raw outputs
(`Answer`, `Stance`); `evals/scoring.py` turns them into metrics on every run.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from tqdm import tqdm

from chains.evidence_choice import EvidenceChooser
from chains.qa import QAChain
from evals.cache import EvalCache, cell_key
from evals.fixtures import QAFixture, StanceFixture
from evals.plan import REPO, Variant
from evals.stance_run import StanceCells, StanceResult
from parley.core.schema import Answer, Article, content_hash
from parley.core.settings import Settings
from parley.service import Parley
from prompts import PromptTemplate

ModelFactory = Callable[[Settings], BaseChatModel]
# the prompts of the evidence-first Q&A choices, frozen per variant like `qa` and `stance`
QA_CHOICE_STEPS = ("qa_rerank", "qa_answerable", "qa_line")
SEEDS_DIR = REPO / "seeds"
# the code that turns a prompt into an answer / a stance: an edit to it makes a cell stale
CHAIN_MODULES = {"qa": ("chains.qa", "chains.citations", "chains.guard", "vectorstore.retrieval",
                        "vectorstore.ftsindex", "vectorstore.fts_query", "vectorstore.bm25_index",
                        "vectorstore.fts_terms", "chains.evidence", "chains.evidence_choice",
                        "chains.choice", "chains.abstain", "chains.answer_kind",
                        "parley.text.expressions", "chains.answer_check", "chains.synthesis"),
                 "stance": ("chains.stance", "chains.stance_select", "chains.stance_cues",
                            "chains.choice", "chains.guard", "parley.ledger.build",
                            "parley.ledger.attrib", "parley.ledger.people", "parley.ledger.marks")}


@dataclass
class QAResult:
    variant: str
    item: QAFixture
    answer: Answer
    cached: bool


@dataclass
class EvalRun:
    """Everything one `parley eval` run produced, before scoring."""

    variants: list[Variant]
    qa_items: list[QAFixture]
    stance_items: list[StanceFixture]
    articles: dict[str, Article]
    corpus_hash: str
    model_labels: dict[str, str]
    # templates read once at the start: a prompt file edited mid-run cannot mix versions
    prompts: dict[str, dict[str, PromptTemplate]] = field(default_factory=dict)
    code: dict[str, str] = field(default_factory=dict)  # step -> digest of its chain's source
    qa: list[QAResult] = field(default_factory=list)
    stance: list[StanceResult] = field(default_factory=list)
    cache_hits: int = 0
    cells_run: int = 0
    notes: list[str] = field(default_factory=list)


def corpus_hash(articles: Sequence[Article]) -> str:
    """Hash of the sorted (doc id, content hash) pairs of the stored corpus."""
    return content_hash(*sorted(f"{a.doc_id}:{a.content_hash}" for a in articles))


def code_digest(step: str) -> str:
    """Hash of the source of the modules a step runs (imported now, so what runs is what is hashed)."""
    parts = []
    for name in CHAIN_MODULES[step]:
        mod = importlib.import_module(name)
        parts.append(Path(mod.__file__ or "").read_text(encoding="utf-8"))
    return content_hash(*parts)


def _model_label(settings: Settings) -> str:
    # lazy: chains.models loads langchain_openai and openai (~1-3 s); `parley` imports this module
    from chains.models import model_label

    return model_label(settings)


def _model_key(s: Settings) -> tuple:
    return (s.llm_backend, s.local_model, str(s.local_model_path), s.openai_model,
            s.openai_base_url, s.max_tokens, s.temperature, s.n_ctx, s.n_threads)


class _Usage(BaseCallbackHandler):
    """Sums the token usage every chat call reports (streamed calls report it on the last chunk)."""

    def __init__(self) -> None:
        self.prompt = self.completion = 0
        self.seen = False

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        for gens in response.generations:
            for g in gens:
                usage = getattr(getattr(g, "message", None), "usage_metadata", None)
                if usage:
                    self.seen = True
                    self.prompt += usage.get("input_tokens", 0)
                    self.completion += usage.get("output_tokens", 0)


class _Models:
    """Builds each distinct model once, and only when a cell needs it."""

    def __init__(self, factory: ModelFactory):
        self.factory = factory
        self._built: dict[tuple, BaseChatModel] = {}
        self.usage = _Usage()

    def get(self, settings: Settings) -> BaseChatModel:
        key = _model_key(settings)
        if key not in self._built:
            model = self.factory(settings)
            try:  # model-level callbacks see every call, streamed or not: token counts
                model.callbacks = [*(model.callbacks or []), self.usage]  # type: ignore[list-item]
            except (AttributeError, TypeError, ValueError):
                pass
            self._built[key] = model
        return self._built[key]

    def take_usage(self) -> tuple[int | None, int | None]:
        """Prompt and completion tokens since the last call (None when the model reports none)."""
        u = self.usage
        out = (u.prompt, u.completion) if u.seen else (None, None)
        u.prompt, u.completion, u.seen = 0, 0, False
        return out


def _default_factory(settings: Settings) -> BaseChatModel:
    from chains.models import make_chat_model  # lazy, as in _model_label

    return make_chat_model(settings)


def prepare_corpus(parley: Parley, corpus_dir: Path | None, progress: bool) -> dict[str, Article]:
    """Ingest the corpus directory (a no-op when unchanged) and return the stored articles."""
    parley.ingest([corpus_dir or SEEDS_DIR], progress=progress)
    return {a.doc_id: a for a in parley.articles()}


def run_matrix(
    settings: Settings,
    variants: Sequence[Variant],
    qa_items: Sequence[QAFixture],
    stance_items: Sequence[StanceFixture],
    *,
    corpus_dir: Path | None = None,
    model_factory: ModelFactory | None = None,
    embedder: Any = None,
    store: Any = None,
    progress: bool = False,
) -> EvalRun:
    """Run (or fetch from the cache) every variant × item cell."""
    base = Parley(settings, embedder=embedder, store=store)
    articles = prepare_corpus(base, corpus_dir, progress)
    run = EvalRun(list(variants), list(qa_items), list(stance_items), articles,
                  corpus_hash(list(articles.values())),
                  {v.name: _model_label(v.apply(settings)) for v in variants},
                  {v.name: {step: v.prompt(step) for step in ("qa", *QA_CHOICE_STEPS, "stance")}
                   for v in variants},
                  {step: code_digest(step) for step in CHAIN_MODULES})
    cache = EvalCache(settings.data_dir / "eval_cache")
    models = _Models(model_factory or _default_factory)
    statements = StanceCells(settings, articles, base.embedder.embed_documents)
    parleys: dict[str, Parley] = {}  # one per variant: its retriever's lexical index is reused
    total = len(variants) * (len(qa_items) + len(stance_items))
    bar = tqdm(total=total, desc="eval", unit="cell", file=sys.stderr, disable=not progress)
    try:
        for v in variants:
            vs = v.apply(settings)
            for item in qa_items:
                bar.set_postfix_str(f"{v.name} {item.id}", refresh=False)
                run.qa.append(_qa_cell(run, v, vs, item, base, cache, models, parleys))
                bar.update()
            for sitem in stance_items:
                bar.set_postfix_str(f"{v.name} {sitem.id}", refresh=False)
                run.stance.append(_stance_cell(run, v, vs, sitem, statements, cache, models))
                bar.update()
    finally:
        bar.close()
        cache.close()
    if statements.unavailable:
        run.notes.append(f"stance: actor registry unavailable ({statements.unavailable}); "
                         "stance items were not run")
    return run


def _settings_key(run: EvalRun, v: Variant, vs: Settings, step: str) -> dict[str, Any]:
    prompt = run.prompts[v.name][step]
    out = {"step": step, "prompt": prompt.digest, "code": run.code[step], "model": _model_label(vs),
           "max_tokens": vs.max_tokens, "temperature": vs.temperature, "n_ctx": vs.n_ctx}
    if step == "qa":  # retrieval, the answer mode, the policy and the choice prompts shape it too
        out.update(k=v.k, embeddings=f"{vs.embedding_backend}:{vs.embedding_model}",
                   chunks=f"{vs.chunk_size}/{vs.chunk_overlap}", mode=vs.answer_mode,
                   policy=v.qa_policy().model_dump(),
                   choices={s: run.prompts[v.name][s].digest for s in QA_CHOICE_STEPS})
        if vs.answer_mode == "evidence" and not vs.answer_line:  # (cells with a line keep their keys)
            out["line"] = False
    return out


def _qa_cell(run: EvalRun, v: Variant, vs: Settings, item: QAFixture, base: Parley,
             cache: EvalCache, models: _Models, parleys: dict[str, Parley]) -> QAResult:
    key = cell_key({**_settings_key(run, v, vs, "qa"), "item": content_hash(item.model_dump_json()),
                    "corpus": run.corpus_hash})
    hit = cache.get(key)
    if hit is not None:
        run.cache_hits += 1
        return QAResult(v.name, item, Answer.model_validate(hit["answer"]), cached=True)
    parley = parleys.get(v.name)
    if parley is None:
        parley = parleys[v.name] = Parley(vs, model=models.get(vs), embedder=base.embedder,
                                          store=base.store)
        # one chooser per variant (its content-free priors are cached), on the frozen prompts
        parley.chooser = EvidenceChooser(parley.model, rerank=run.prompts[v.name]["qa_rerank"],
                                         answerable=run.prompts[v.name]["qa_answerable"])
    # wired as Parley.qa_chain does, but with the frozen templates and the variant's policy
    chain = QAChain(parley.model, parley.retriever, mode=vs.answer_mode,
                    prompt=run.prompts[v.name]["qa"],
                    line_prompt=run.prompts[v.name]["qa_line"] if vs.answer_line else None,
                    chooser=parley.chooser, policy=v.qa_policy(),
                    embed=parley.embedder.embed_documents, resolve_text=parley.article_text,
                    k=v.k, model_name=parley.model_label(), said_in=parley.said_in)
    models.take_usage()
    answer = chain.invoke(item.question)
    if answer.prompt_tokens is None:
        answer.prompt_tokens, answer.completion_tokens = models.take_usage()
    cache.put(key, "qa", {"answer": answer.model_dump(mode="json"), "variant": v.name,
                          "item": item.id})
    run.cells_run += 1
    return QAResult(v.name, item, answer, cached=False)


def _stance_cell(run: EvalRun, v: Variant, vs: Settings, item: StanceFixture,
                 cells: StanceCells, cache: EvalCache, models: _Models) -> StanceResult:
    result, ran = cells.cell(v.name, v.stance_policy(), run.prompts[v.name]["stance"],
                             _settings_key(run, v, vs, "stance"), item, cache,
                             lambda: models.get(vs))
    run.cells_run += ran
    run.cache_hits += result.cached
    return result
