"""LangChain's own VectorStore API over Parley's chunk store, for users who want LangChain's tools.

`langchain_chroma.Chroma` on the store's client and collection, querying with Parley's embedder:
`similarity_search`, `max_marginal_relevance_search`, `as_retriever()` and the rest work on the
same chunks (metadata: source, start, end, … of the original article) that Parley's hybrid
retriever reads. Read-only: writes go through `parley ingest`, which keeps the article store,
the lexical index and the store's generation counter in step; this view refuses them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from parley.core.errors import StoreError
from vectorstore.store import ChunkStore

_READ_ONLY = "the LangChain view of the chunk store is read-only: add articles with `parley ingest`"


class ChunkStoreView(Chroma):
    """langchain_chroma.Chroma over Parley's collection, with writes refused."""

    def add_texts(self, texts: Iterable[str], metadatas: Any = None, ids: Any = None,
                  **kwargs: Any) -> list[str]:
        """Refuse: chunks are written by ingest only."""
        raise StoreError(_READ_ONLY)

    def add_images(self, uris: Any, metadatas: Any = None, ids: Any = None,
                   **kwargs: Any) -> list[str]:
        """Refuse: chunks are written by ingest only."""
        raise StoreError(_READ_ONLY)

    def update_documents(self, ids: Any, documents: Any) -> None:
        """Refuse: chunks are written by ingest only."""
        raise StoreError(_READ_ONLY)

    def delete(self, ids: Any = None, **kwargs: Any) -> None:
        """Refuse: remove articles with Parley (the service's `remove`)."""
        raise StoreError(_READ_ONLY)

    def delete_collection(self) -> None:
        """Refuse: the collection belongs to Parley."""
        raise StoreError(_READ_ONLY)

    def reset_collection(self) -> None:
        """Refuse: the collection belongs to Parley."""
        raise StoreError(_READ_ONLY)


def langchain_view(store: ChunkStore, embedder: Embeddings) -> ChunkStoreView:
    """The store as a LangChain VectorStore (embedder must be the one that built the store)."""
    if getattr(embedder, "name", store.model_name) != store.model_name:
        raise StoreError(f"the store was built with {store.model_name}; query it with that model")
    return ChunkStoreView(client=store._client, collection_name=store.settings.collection,
                          embedding_function=embedder, create_collection_if_not_exists=False)
