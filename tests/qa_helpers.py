"""Fakes for fast unit tests of the Q&A chain: a list retriever over seed paragraphs."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.retrievers import BaseRetriever

from parley.core.schema import Chunk, Passage, content_hash
from parley.text.words import content_tokens


def paragraph_chunks(source: str, text: str) -> list[Chunk]:
    """Chunks = paragraphs of the original text (exact spans), for tests."""
    chunks, pos = [], 0
    for i, para in enumerate(text.split("\n")):
        start = text.index(para, pos) if para else pos
        pos = start + len(para)
        if len(para.strip()) < 40:
            continue
        chunks.append(
            Chunk(
                id=content_hash(source, str(start), para),
                source=source,
                start=start,
                end=start + len(para),
                text=para,
                index=i,
                doc_hash="h",
            )
        )
    return chunks


class ListRetriever(BaseRetriever):
    """Ranks fixed chunks by content-word overlap with the query (a stand-in for hybrid search)."""

    chunks: list[Chunk]
    k: int = 4

    def search(self, query: str, k: int) -> list[Passage]:
        q = set(content_tokens(query))
        scored = sorted(self.chunks, key=lambda c: -len(q & set(content_tokens(c.text))))
        return [Passage(chunk=c, rank=i, score=1.0 / i) for i, c in enumerate(scored[:k], 1)]

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun):
        return [
            Document(
                page_content=p.chunk.text,
                metadata={**p.chunk.model_dump(mode="json"), "score": p.score},
            )
            for p in self.search(query, self.k)
        ]


def fake_model(*replies: str) -> GenericFakeChatModel:
    """A streaming fake chat model that answers with the given replies in order."""
    return GenericFakeChatModel(messages=iter([AIMessage(r) for r in replies]))
