"""The Python API the CLI, the page and the evals share: one object wiring settings to components.

Everything is built lazily from `Settings`, and every component can be passed in instead (tests
pass fake models and embedders; the page passes nothing). Chains still receive their model and
retriever as arguments — this object only decides which ones.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from chains.abstain import AnswerPolicy
from chains.analysis import (
    LazyModel,
    Progress,
    ProgressFn,
    StanceCache,
    analyse_article,
    ledger_version,
)
from chains.answer_kind import Said, ledger_said
from chains.brief import DEFAULT_TOPIC, BriefChain
from chains.evidence_choice import EvidenceChooser
from chains.qa import QAChain, QAEvent
from chains.stance import StanceChain
from parley.actors.registry import ActorRegistry
from parley.core.limits import check_question
from parley.core.schema import Answer, Article, Brief, Passage
from parley.core.settings import Settings
from vectorstore.analysis import AnalysisStore
from vectorstore.docstore import DocStore
from vectorstore.embeddings import make_embedder
from vectorstore.ingest import ingest_paths, remove_source
from vectorstore.retrieval import HybridRetriever
from vectorstore.store import ChunkStore


class Parley:
    """Ingest, ask, brief: the service behind every interface."""

    def __init__(
        self,
        settings: Settings,
        *,
        model: BaseChatModel | None = None,
        embedder: Any = None,
        store: Any = None,
    ):
        self.settings = settings
        self._model = model
        self._embedder = embedder
        self._store = store
        self.progress: Progress | None = None  # the background stance fill, while it runs
        self._filler: threading.Thread | None = None

    # --- components (lazy) ------------------------------------------------------------------
    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            self._embedder = make_embedder(self.settings)
        return self._embedder

    @property
    def store(self) -> Any:
        if self._store is None:
            self._store = ChunkStore.open(self.settings, self.embedder)
        return self._store

    @cached_property
    def docstore(self) -> Any:
        return DocStore(self.settings.articles_dir)

    @cached_property
    def retriever(self) -> Any:
        return HybridRetriever(store=self.store, embedder=self.embedder, k=self.settings.top_k,
                               parallel=self.settings.parallel_search)

    def langchain_vectorstore(self) -> Any:
        """The chunk store as a read-only LangChain VectorStore (langchain_chroma.Chroma)."""
        # lazy: langchain_chroma imports chromadb at once (~0.9 s); the CLI never needs this view
        from vectorstore.langchain_view import langchain_view

        return langchain_view(self.store, self.embedder)

    @property
    def model(self) -> BaseChatModel:
        if self._model is None:
            # lazy: chains.models loads langchain_openai and openai (~1-3 s); only commands that
            # run a model pay for it (parley ingest/search/actors never do)
            from chains.models import make_chat_model

            self._model = make_chat_model(self.settings)
        return self._model

    def model_label(self) -> str:
        return self.settings.describe()["llm"]

    # --- corpus -------------------------------------------------------------------------------
    def ingest(self, paths: Iterable[Path | str], *, progress: bool = False,
               on_progress: Any = None) -> Any:
        """Ingest files/folders into the store; returns the IngestReport.

        on_progress(IngestProgress) hears after every file: counts, chunks/s, ETA.
        """
        report = ingest_paths(list(paths), self.settings, self.embedder, self.store, self.docstore,
                              progress=progress, on_progress=on_progress)
        self.analyse_ledger()  # rules only: ~ms per article; the model's part comes later
        return report

    def articles(self) -> list[Article]:
        return self.docstore.all()

    def article_text(self, source: str) -> str | None:
        """The original text a span of `source` indexes into (None when unknown)."""
        try:
            return self.docstore.get(source).text
        except Exception:
            return None

    def remove(self, doc_id: str) -> int:
        """Remove a document and its chunks; returns how many chunks went."""
        n = remove_source(self.store, doc_id)  # the chunks and their lexical-index rows
        self.docstore.delete(doc_id)
        self.analysis.delete(doc_id)
        return n

    # --- questions ----------------------------------------------------------------------------
    @cached_property
    def chooser(self) -> EvidenceChooser:
        """The model's calibrated choices for Q&A (its content-free priors are cached here)."""
        return EvidenceChooser(self.model)

    def qa_chain(self, prompt: str | Path = "qa", *, k: int | None = None,
                 mode: str | None = None, policy: AnswerPolicy | None = None) -> QAChain:
        """The Q&A chain over this corpus with this model (mode: PARLEY_ANSWER_MODE)."""
        return QAChain(
            self.model,
            self.retriever,
            mode=mode or self.settings.answer_mode,  # type: ignore[arg-type]
            prompt=str(prompt),
            line_prompt="qa_line" if self.settings.answer_line else None,
            chooser=self.chooser,
            embed=self.embedder.embed_documents,
            resolve_text=self.article_text,
            k=k or min(self.settings.top_k, 4),
            policy=policy,
            model_name=self.model_label(),
            said_in=self.said_in,
        )

    def said_in(self, passages: Sequence[Passage]) -> Said:
        """The answer-kind rule's "did X say something here", read from the stored ledger."""
        return ledger_said(self.registry, self.stored_quotes, passages)

    def stored_quotes(self, doc_id: str) -> list | None:
        """An article's ledger as ingest stored it (None when it was not analysed)."""
        got = self.analysis.get(doc_id)
        return None if got is None else got.quotes

    def stream(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Iterator[QAEvent]:
        question = check_question(question, self.settings.max_question_chars)  # before any model
        return self.qa_chain().stream({"question": question, "history": list(history)})

    def ask(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
        question = check_question(question, self.settings.max_question_chars)
        return self.qa_chain().invoke({"question": question, "history": list(history)})

    # --- actors and briefs --------------------------------------------------------------------
    @cached_property
    def registry(self) -> Any:
        return ActorRegistry.load(self.settings)

    def actor_names(self) -> list[str]:
        """Registry actors by display name, then their members (an official's brief reads only
        the official's own words)."""
        actors = list(self.registry.actors.values())
        return [a.name for a in actors] + [m.name for a in actors for m in a.members]

    # --- analysis once per article -----------------------------------------------------------
    @cached_property
    def analysis(self) -> AnalysisStore:
        return AnalysisStore(self.settings.data_dir / "analysis.sqlite3")

    def analyse_ledger(self, *, force: bool = False) -> int:
        """Store mentions and ledger of every article not analysed under the current rules."""
        version, folder = ledger_version(self.registry), self.settings.articles_dir
        # any write to the article store renames a file into its folder, changing its mtime
        stamp = f"{version}:{folder.stat().st_mtime_ns if folder.is_dir() else 0}"
        if not force and self.analysis.stamp("ledger") == stamp:
            return 0  # nothing changed since the last check: no article is read
        done, articles = self.analysis.versions(), self.articles()
        n = 0
        for art in articles:
            if force or done.get(art.doc_id) != (art.content_hash, version):
                self.analysis.put(analyse_article(art, self.registry, version))
                n += 1
        for gone in set(done) - {a.doc_id for a in articles}:
            self.analysis.delete(gone)
        self.analysis.set_stamp("ledger", stamp)
        return n

    @cached_property
    def stance_cache(self) -> StanceCache:
        """The stance step with its cache; concurrent calls only against a server."""
        limit = 1 if self.settings.llm_backend == "local" else self.settings.llm_concurrency
        # the model is built on the first uncached statement: importing and loading it costs
        # seconds that an analysed brief never needs
        return StanceCache(self.analysis, StanceChain(LazyModel(lambda: self.model)),
                           model_name=self.model_label(), concurrency=limit)

    def brief_chain(self) -> BriefChain:
        # the embedder, retriever and model are opened only when a brief needs them: each costs
        # a second or more, and a brief over analysed articles needs none of them
        named = self._embedder.name if self._embedder is not None else None
        return BriefChain(self.stance_cache, self.registry, self.analysis,
                          embed=lambda texts: self.embedder.embed_documents(texts),
                          embed_name=named or f"{self.settings.embedding_backend}:"
                                              f"{self.settings.embedding_model}",
                          retriever=lambda: self.retriever, model_name=self.model_label())

    def fill_stance(self, topic: str | None = None, progress: ProgressFn | None = None) -> Progress:
        """Label, once, what the default-topic brief of every speaking actor will read."""
        self.analyse_ledger()
        chain, jobs = self.brief_chain(), []
        speakers = self.analysis.speakers()
        for actor_id in sorted(speakers, key=lambda a: (-speakers[a], a)):
            if actor_id in self.registry.actors:
                jobs += chain.jobs(actor_id, topic or DEFAULT_TOPIC)[1]
        last = Progress(what="stance", finished=True)

        def track(p: Progress) -> None:
            nonlocal last
            last = p
            self.progress = p
            if progress:
                progress(p)

        self.stance_cache.label(jobs, track, what="stance analysis")
        return last

    def start_analysis(self, topic: str | None = None) -> bool:
        """Fill the stance cache in a background thread (False when one is running already)."""
        if self._filler is not None and self._filler.is_alive():
            return False

        def run() -> None:
            try:
                self.fill_stance(topic)
            except Exception as e:  # shown on the page; the next fill resumes from the cache
                self.progress = (self.progress or Progress(what="stance analysis")).model_copy(
                    update={"error": " ".join(str(e).split())[:300], "finished": True})

        self._filler = threading.Thread(target=run, name="parley-stance-fill", daemon=True)
        self._filler.start()
        return True

    def brief(self, actor: str, topic: str | None = None, *,
              progress: ProgressFn | None = None) -> Brief:
        """A cited position brief for one actor, read from what ingest stored."""
        self.analyse_ledger()
        return self.brief_chain().run(actor, topic, progress=progress)
