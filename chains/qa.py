"""The cited-answer chain: condense → retrieve → format → prompt → stream → attach/verify citations.

Every piece it needs comes in as an argument (chat model, retriever, optional embedder and
article-text resolver), so the CLI, the page, the evals and the tests all drive the same chain.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Literal

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda
from pydantic import BaseModel

from chains.citations import (
    CachedEmbed,
    CitationPolicy,
    EmbedFn,
    attach_citations,
    candidates,
    verify_passages,
)
from chains.guard import escape_delimiters, mask_injections
from parley.core.schema import Answer, Chunk, Passage, Timings
from parley.text.words import content_tokens, in_pool
from prompts import PromptTemplate, load_prompt

NOT_FOUND = re.compile(
    r"NOT IN (?:THE )?ARTICLES|(?:documents|articles|passages|context)\s+(?:do(?:es)? not|don't|doesn't)\s+"
    r"(?:contain|say|mention|provide|include|specify)|\bno (?:information|mention)\b|"
    r"\b(?:cannot|can't|unable to) (?:answer|determine|find)\b",
    re.IGNORECASE,
)
# words that carry no topic in a question (for the retrieval-support check)
_QUESTION_WORDS = {"what", "who", "whom", "which", "when", "where", "why", "how", "did", "does",
                   "do", "say", "said", "tell", "told", "according", "article", "articles"}


def _topic_tokens(question: str) -> list[str]:
    """The question's content words that carry its topic (no who/what/say…)."""
    return [t for t in content_tokens(question) if t not in _QUESTION_WORDS]


class QAEvent(BaseModel):
    """One step of a streamed answer: passages found, a token, or the final answer."""

    type: Literal["passages", "token", "answer"]
    text: str | None = None
    passages: list[Passage] | None = None
    answer: Answer | None = None


def passages_from_documents(docs: Sequence[Document]) -> list[Passage]:
    """Convert retriever Documents (chunk fields in metadata) into typed passages."""
    out = []
    for rank, d in enumerate(docs, 1):
        md = d.metadata
        chunk = Chunk(
            id=str(md.get("id") or md.get("chunk_id") or f"{md['source']}:{md['start']}"),
            source=md["source"], start=int(md["start"]), end=int(md["end"]), text=d.page_content,
            index=int(md.get("index", 0)), doc_hash=str(md.get("doc_hash", "")),
            title=md.get("title") or None, outlet=md.get("outlet") or None,
            date=md.get("date") or None,
        )
        out.append(Passage(chunk=chunk, rank=rank, score=float(md.get("score", 0.0)),
                           dense_score=md.get("dense_score"), bm25_score=md.get("bm25_score")))
    return out


def focus_sentences(question: str, passages: Sequence[Passage], embed: EmbedFn | None,
                    max_sentences: int = 8) -> dict[int, list[tuple[int, int]]]:
    """The sentences of the passages most relevant to the question, per passage id.

    Small models read prompts slowly and lose the answer in long ones: showing the best few
    sentences (in article order) keeps the prompt short and the answer on topic.
    """
    cands = candidates(passages)
    if len(cands) <= max_sentences:
        picked = cands
    else:
        q = _topic_tokens(question)
        lex = [sum(1 for t in q if in_pool(t, c.toks)) / (len(q) or 1) for c in cands]
        scores = lex
        if embed is not None:
            import numpy as np

            v = np.asarray(embed([question] + [c.text for c in cands]), dtype=np.float32)
            v /= np.linalg.norm(v, axis=1, keepdims=True) + 1e-9
            scores = [0.5 * a + 0.5 * float(b) for a, b in zip(lex, v[1:] @ v[0], strict=True)]
        order = sorted(range(len(cands)), key=lambda i: -scores[i])[:max_sentences]
        picked = [cands[i] for i in sorted(order)]
    out: dict[int, list[tuple[int, int]]] = {}
    for c in picked:
        out.setdefault(c.pid, []).append((c.start - c.passage.chunk.start, c.end - c.passage.chunk.start))
    return out


def format_documents(passages: Sequence[Passage], max_chars: int = 900,
                     focus: dict[int, list[tuple[int, int]]] | None = None) -> str:
    """Passages with explicit ids for the prompt; article text masked and delimited as data."""
    parts = []
    for i, p in enumerate(passages, 1):
        c = p.chunk
        if focus is not None:
            if i not in focus:
                continue
            text = " … ".join(c.text[a:b] for a, b in focus[i])
        else:
            text = c.text
        text = escape_delimiters(mask_injections(text))[:max_chars]
        meta = " ".join(f'{k}="{v}"' for k, v in (("source", c.source), ("date", c.date)) if v)
        parts.append(f"<document id={i} {meta}>\n{text}\n</document>")
    return "\n".join(parts)


def retrieval_support(question: str, passages: Sequence[Passage]) -> float:
    """Share of the question's topic words that occur (or nearly occur) in the passages."""
    return question_coverage(question, [p.chunk.text for p in passages])


def question_coverage(question: str, texts: Sequence[str]) -> float:
    """Share of the question's topic words present in the given texts (fuzzy for names)."""
    q = _topic_tokens(question)
    if not q:
        return 1.0
    pool = {t for text in texts for t in content_tokens(text)}
    return sum(1 for t in q if in_pool(t, pool)) / len(q)


# verbs that carry no information of their own in an answer ("X spoke with …")
_GENERIC = {"spoke", "speak", "talk", "held", "hold", "met", "meet", "made", "make", "took", "take",
            "gave", "give", "went", "go", "came", "come", "reported", "report", "describ", "called"}


def restates_question(question: str, answer: str) -> bool:
    """True when the answer adds no content word beyond the question (it answers nothing)."""
    q = set(content_tokens(question))
    new = {t for t in content_tokens(answer) if t not in q and t not in _GENERIC}
    return not new


def _history_text(history: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"{role}: {text}" for role, text in history[-6:])


class QAChain:
    """Ask questions of the corpus; get answers whose every sentence cites its exact span."""

    def __init__(
        self,
        model: BaseChatModel,
        retriever: BaseRetriever,
        *,
        prompt: PromptTemplate | str = "qa",
        condense_prompt: PromptTemplate | str = "condense",
        embed: EmbedFn | None = None,
        resolve_text: Callable[[str], str | None] | None = None,
        k: int = 4,
        policy: CitationPolicy | None = None,
        min_retrieval_support: float = 0.34,
        max_sentences: int = 8,
        min_answer_coverage: float = 0.5,
        model_name: str = "",
    ):
        self.max_sentences = max_sentences
        self.min_answer_coverage = min_answer_coverage
        self.model = model
        self.retriever = retriever
        self.prompt = load_prompt(prompt) if isinstance(prompt, str) else prompt
        self.condense = load_prompt(condense_prompt) if isinstance(condense_prompt, str) else condense_prompt
        self.embed = embed
        self.resolve_text = resolve_text
        self.k = k
        self.policy = policy or CitationPolicy()
        self.min_retrieval_support = min_retrieval_support
        self.model_name = model_name or getattr(model, "model_name", "") or type(model).__name__
        self._generate = RunnableLambda(self._messages) | model | StrOutputParser()

    def _messages(self, values: dict) -> list[BaseMessage]:
        system, user = self.prompt.render(**values)
        self.last_messages = [SystemMessage(system), HumanMessage(user)]  # for benchmarks/debugging
        return self.last_messages

    def standalone(self, question: str, history: Sequence[tuple[str, str]]) -> str:
        """Rewrite a follow-up into a standalone question (no-op without history)."""
        if not history:
            return question
        system, user = self.condense.render(history=_history_text(history), question=question)
        out = self.model.invoke([SystemMessage(system), HumanMessage(user)])
        text = (out.content if isinstance(out, AIMessage) else str(out)).strip().splitlines()
        rewritten = text[0].strip() if text else ""
        # a small model sometimes answers instead of rewriting: keep the original then
        if not rewritten or len(rewritten) > 3 * len(question) + 80:
            last_user = next((t for r, t in reversed(history) if r == "user"), "")
            return f"{last_user} {question}".strip()
        return rewritten

    def retrieve(self, query: str) -> list[Passage]:
        """Top-k passages, dropping any whose span no longer matches the stored article."""
        search = getattr(self.retriever, "search", None)
        passages = search(query, self.k) if callable(search) else passages_from_documents(
            self.retriever.invoke(query)
        )[: self.k]
        if self.resolve_text is not None:
            passages = verify_passages(passages, self.resolve_text)
        return passages

    def stream(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Iterator[QAEvent]:
        """Yield passages, then answer tokens as they arrive, then the verified Answer."""
        t0 = time.perf_counter()
        timings = Timings()
        standalone = self.standalone(question, history)
        passages = self.retrieve(standalone)
        timings.retrieve_s = time.perf_counter() - t0
        yield QAEvent(type="passages", passages=passages)

        def finish(answer: Answer) -> QAEvent:
            timings.total_s = time.perf_counter() - t0
            answer.timings = timings
            return QAEvent(type="answer", answer=answer)

        base = dict(question=question, standalone_question=standalone if history else None,
                    passages=passages, model=self.model_name)
        if not passages or retrieval_support(standalone, passages) < self.min_retrieval_support:
            yield finish(self._abstain(base, "retrieval found nothing on this question"))
            return

        t1 = time.perf_counter()
        embed = CachedEmbed(self.embed) if self.embed is not None else None
        focus = focus_sentences(standalone, passages, embed, self.max_sentences)
        documents = format_documents(passages, focus=focus)
        pieces: list[str] = []
        for tok in self._generate.stream({"documents": documents, "question": standalone}):
            if timings.first_token_s is None:
                timings.first_token_s = time.perf_counter() - t0
            pieces.append(tok)
            yield QAEvent(type="token", text=tok)
        raw = "".join(pieces).strip()
        timings.generate_s = time.perf_counter() - t1

        t2 = time.perf_counter()
        if not raw or NOT_FOUND.search(raw):
            timings.cite_s = time.perf_counter() - t2
            yield finish(self._abstain(base, "the model found no answer in the passages"))
            return
        attached = attach_citations(raw, passages, embed=embed, policy=self.policy)
        timings.cite_s = time.perf_counter() - t2
        if not attached.citations:
            yield finish(self._abstain(base, "no sentence of the model's answer is supported by the passages",
                                       sentences=attached.sentences))
            return
        if restates_question(standalone, " ".join(x.text for x in attached.sentences if x.supported)):
            yield finish(self._abstain(base, "the model's answer only restates the question",
                                       sentences=attached.sentences))
            return
        # a true, well-cited sentence that does not address the question is not an answer
        coverage = question_coverage(standalone, [c.text for c in attached.citations])
        if coverage < self.min_answer_coverage:
            yield finish(self._abstain(
                base, f"the cited passages do not address the question (coverage {coverage:.2f})",
                sentences=attached.sentences))
            return
        yield finish(Answer(**base, answer=attached.answer, sentences=attached.sentences,
                            citations=attached.citations))

    def invoke(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
        """Run the chain to completion and return the structured answer."""
        final = None
        for ev in self.stream(question, history):
            if ev.type == "answer":
                final = ev.answer
        assert final is not None
        return final

    @staticmethod
    def _abstain(base: dict, reason: str, sentences=None) -> Answer:
        text = "The articles don't say."
        if base["passages"]:
            text += " The closest passages are listed below."
        return Answer(**base, answer=text, abstained=True, abstain_reason=reason,
                      sentences=sentences or [])
