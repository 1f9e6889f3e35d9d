"""The Python API the CLI, the page and the evals share: one object wiring settings to components.

Everything is built lazily from `Settings`, and every component can be passed in instead (tests
pass fake models and embedders; the page passes nothing). Chains still receive their model and
retriever as arguments — this object only decides which ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from chains.qa import QAChain, QAEvent
from parley.core.schema import Answer, Article, Brief, Quote
from parley.core.settings import Settings


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

    # --- components (lazy) ------------------------------------------------------------------
    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            from vectorstore.embeddings import make_embedder

            self._embedder = make_embedder(self.settings)
        return self._embedder

    @property
    def store(self) -> Any:
        if self._store is None:
            from vectorstore.store import ChunkStore

            self._store = ChunkStore.open(self.settings, self.embedder)
        return self._store

    @cached_property
    def docstore(self) -> Any:
        from vectorstore.docstore import DocStore

        return DocStore(self.settings.articles_dir)

    @cached_property
    def retriever(self) -> Any:
        from vectorstore.retrieval import HybridRetriever

        return HybridRetriever(store=self.store, embedder=self.embedder, k=self.settings.top_k)

    @property
    def model(self) -> BaseChatModel:
        if self._model is None:
            from chains.models import make_chat_model

            self._model = make_chat_model(self.settings)
        return self._model

    def model_label(self) -> str:
        return self.settings.describe()["llm"]

    # --- corpus -------------------------------------------------------------------------------
    def ingest(self, paths: Iterable[Path | str], *, progress: bool = False) -> Any:
        """Ingest files/folders into the store; returns the IngestReport."""
        from vectorstore.ingest import ingest_paths

        return ingest_paths(list(paths), self.settings, self.embedder, self.store, self.docstore,
                            progress=progress)

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
        n = self.store.delete_source(doc_id)
        self.docstore.delete(doc_id)
        return n

    # --- questions ----------------------------------------------------------------------------
    def qa_chain(self, prompt: str | Path = "qa", *, k: int | None = None) -> QAChain:
        """The cited-answer chain over this corpus with this model."""
        return QAChain(
            self.model,
            self.retriever,
            prompt=str(prompt),
            embed=self.embedder.embed_documents,
            resolve_text=self.article_text,
            k=k or min(self.settings.top_k, 4),
            model_name=self.model_label(),
        )

    def stream(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Iterator[QAEvent]:
        return self.qa_chain().stream(question, history)

    def ask(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
        return self.qa_chain().invoke(question, history)

    # --- actors and briefs --------------------------------------------------------------------
    @cached_property
    def registry(self) -> Any:
        from parley.actors.registry import ActorRegistry

        return ActorRegistry.load(self.settings)

    def actor_names(self) -> list[str]:
        """Registry actors, by display name."""
        return [a.name for a in self.registry.actors.values()]

    def ledger(self, articles: Sequence[Article] | None = None) -> list[Quote]:
        """The claims ledger of the corpus (quotes, reported speech, anonymous and outlet claims)."""
        from parley.ledger.build import build_ledger

        return build_ledger(articles if articles is not None else self.articles(), self.registry)

    def brief(self, actor: str, topic: str | None = None) -> Brief:
        """A cited position brief for one actor over the whole corpus."""
        from chains.brief import BriefChain

        articles = self.articles()
        chain = BriefChain(self.model, self.registry, embed=self.embedder.embed_documents,
                           model_name=self.model_label())
        return chain.run(actor, articles, self.ledger(articles), topic)
