"""The Q&A chain, a LangChain Runnable: condense → retrieve → evidence → (model chooses | writes).

Evidence first: the retrieved passages' own sentences that answer the question are picked
without a model and streamed as an event at once. Then, in `evidence` mode (the default), the
model only *chooses*: it reranks the candidate sentences and says whether they answer at all
(`chains.evidence_choice`); a one-line answer is written and shown only when it checks out
against the evidence (`chains.answer_check`). In `synthesis` mode the model writes prose and
Parley attaches and verifies its citations (`chains.synthesis`). Every abstain rule and
threshold lives in `chains.abstain`.

`invoke` returns an `Answer`; `stream` yields `QAEvent`s (passages, evidence, tokens, answer);
`batch` and `astream_events` work as for any Runnable, and every step (retriever, choices,
model) runs as a child of the chain's run, so callbacks and tracing see it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForChainRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.runnables.config import patch_config
from pydantic import BaseModel

from chains.abstain import (
    AnswerPolicy,
    Decision,
    check_answerable,
    check_entities,
    check_kind,
    check_retrieval,
)
from chains.answer_check import check_line, line_citations
from chains.answer_kind import Said
from chains.citations import CachedEmbed, EmbedFn, verify_passages, with_markers
from chains.evidence import Scored, passages_from_documents, pick, select_evidence
from chains.evidence_choice import YES, EvidenceChooser, numbered
from chains.synthesis import check_prose, focus_sentences, format_documents
from parley.core.schema import Answer, AnswerSentence, Citation, Passage, Timings
from prompts import PromptTemplate, load_prompt

AnswerMode = Literal["evidence", "synthesis"]
LINE_MAX_TOKENS = 48


class QAInput(BaseModel):
    """A question and the conversation before it (role, text)."""

    question: str
    history: list[tuple[str, str]] = []


class QAEvent(BaseModel):
    """One step of a streamed answer: passages, evidence (before any model call), token, answer."""

    type: Literal["passages", "evidence", "token", "answer"]
    text: str | None = None
    passages: list[Passage] | None = None
    evidence: list[Citation] | None = None
    seconds: float | None = None  # since the question came in
    answer: Answer | None = None


def _as_input(value: Any) -> QAInput:
    if isinstance(value, QAInput):
        return value
    if isinstance(value, str):
        return QAInput(question=value)
    return QAInput.model_validate(value)


def _flat(text: str) -> str:
    return " ".join(text.split())


class QAChain(Runnable[Any, Answer]):
    """Ask the corpus a question; get the articles' own sentences, chosen and checked."""

    name = "parley_qa"

    def __init__(self, model: BaseChatModel, retriever: BaseRetriever, *,
                 mode: AnswerMode = "evidence", prompt: PromptTemplate | str = "qa",
                 condense_prompt: PromptTemplate | str = "condense",
                 line_prompt: PromptTemplate | str | None = "qa_line",
                 chooser: EvidenceChooser | None = None, embed: EmbedFn | None = None,
                 resolve_text: Callable[[str], str | None] | None = None, k: int = 4,
                 policy: AnswerPolicy | None = None, max_sentences: int = 8, model_name: str = "",
                 said_in: Callable[[list[Passage]], Said] | None = None):
        self.model, self.retriever, self.mode, self.k = model, retriever, mode, k
        self.prompt = load_prompt(prompt) if isinstance(prompt, str) else prompt
        self.condense = load_prompt(condense_prompt) if isinstance(condense_prompt, str) else condense_prompt
        self.line_prompt = load_prompt(line_prompt) if isinstance(line_prompt, str) else line_prompt
        self.chooser = chooser or EvidenceChooser(model)
        self.embed, self.resolve_text = embed, resolve_text
        self.said_in = said_in  # the ledger's "did X say something in these passages" (answer_kind)
        self.policy = policy or AnswerPolicy()
        self.max_sentences = max_sentences
        self.model_name = model_name or getattr(model, "model_name", "") or type(model).__name__
        self._retrieve = RunnableLambda(self._retrieve_fn, name="retrieve")
        self._evidence = RunnableLambda(self._evidence_fn, name="evidence")
        self._prose = (RunnableLambda(self._prose_messages, name="prose_prompt") | model
                       | StrOutputParser())

    # --- steps ----------------------------------------------------------------------------
    def _prose_messages(self, values: dict) -> list:
        system, user = self.prompt.render(**values)
        self.last_messages = [SystemMessage(system), HumanMessage(user)]  # for benchmarks
        return self.last_messages

    def standalone(self, question: str, history: Sequence[tuple[str, str]],
                   config: RunnableConfig | None = None) -> str:
        """Rewrite a follow-up into a standalone question (no-op without history)."""
        if not history:
            return question
        text = "\n".join(f"{role}: {t}" for role, t in history[-6:])
        system, user = self.condense.render(history=text, question=question)
        out = self.model.invoke([SystemMessage(system), HumanMessage(user)], config)
        lines = (out.content if isinstance(out, AIMessage) else str(out)).strip().splitlines()
        rewritten = lines[0].strip() if lines else ""
        # a small model sometimes answers instead of rewriting: keep the original then
        if not rewritten or len(rewritten) > 3 * len(question) + 80:
            last_user = next((t for r, t in reversed(history) if r == "user"), "")
            return f"{last_user} {question}".strip()
        return rewritten

    def _retrieve_fn(self, query: str, config: RunnableConfig) -> list[Passage]:
        """Top-k passages via the retriever interface, minus any whose span went stale."""
        passages = passages_from_documents(self.retriever.invoke(query, config))[: self.k]
        if self.resolve_text is not None:
            passages = verify_passages(passages, self.resolve_text)
        return passages

    def _evidence_fn(self, values: dict) -> tuple[list[Scored], list[Citation]]:
        return select_evidence(values["question"], values["passages"], values["embed"],
                               self.policy.evidence)

    # --- the Runnable interface -------------------------------------------------------------
    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        """Run the chain to completion and return the structured answer."""
        final = None
        for ev in self.stream(input, config, **kwargs):
            if ev.type == "answer":
                final = ev.answer
        assert final is not None
        return final

    def stream(self, input: Any, config: RunnableConfig | None = None,
               **kwargs: Any) -> Iterator[QAEvent]:  # type: ignore[override]
        """Yield passages, evidence (before any model call), tokens, then the Answer."""
        yield from self._transform_stream_with_config(iter([input]), self._run, config, **kwargs)

    def _run(self, inputs: Iterator[Any], run_manager: CallbackManagerForChainRun,
             config: RunnableConfig) -> Iterator[QAEvent]:
        inp = _as_input(next(iter(inputs)))
        child = patch_config(config, callbacks=run_manager.get_child())
        t0 = time.perf_counter()
        timings = Timings()
        question = self.standalone(inp.question, inp.history, child)
        passages = self._retrieve.invoke(question, child)
        timings.retrieve_s = time.perf_counter() - t0
        yield QAEvent(type="passages", passages=passages, seconds=timings.retrieve_s)
        base = dict(question=inp.question, passages=passages, model=self.model_name, mode=self.mode,
                    standalone_question=question if inp.history else None)

        def finish(answer: Answer) -> QAEvent:
            timings.total_s = time.perf_counter() - t0
            answer.timings = timings
            return QAEvent(type="answer", answer=answer, seconds=timings.total_s)

        texts = [p.chunk.text for p in passages]
        decision = check_retrieval(question, texts, self.policy.abstain)
        if decision.abstain:
            yield finish(self._abstain(base, decision))
            return
        embed = CachedEmbed(self.embed) if self.embed is not None else None
        ranked, evidence = self._evidence.invoke(
            {"question": question, "passages": passages, "embed": embed}, child)
        timings.evidence_s = time.perf_counter() - t0
        yield QAEvent(type="evidence", evidence=evidence, seconds=timings.evidence_s)
        base["evidence"] = evidence
        decision = check_entities(question, [c.text for c in evidence], texts, self.policy.abstain,
                                  [p.chunk.date for p in passages])
        if not decision.abstain:
            decision = check_kind(question, texts, self.policy.abstain,
                                  self.said_in(passages) if self.said_in else None)
        if decision.abstain:
            yield finish(self._abstain(base, decision))
            return
        if self.mode == "evidence":
            yield from self._choose_and_answer(question, ranked, passages, embed, base, timings,
                                               finish, child, t0)
        else:
            options = [s.cand.text for s in ranked[: self.policy.evidence.rerank_candidates]]
            yield from self._synthesise(question, passages, options, embed, base, timings, finish,
                                        child, t0)

    # --- evidence mode ----------------------------------------------------------------------
    def _choose_and_answer(self, question: str, ranked: list[Scored], passages: list[Passage],
                           embed: EmbedFn | None, base: dict, timings: Timings, finish: Callable,
                           config: RunnableConfig, t0: float) -> Iterator[QAEvent]:
        t1 = time.perf_counter()
        top = ranked[: self.policy.evidence.rerank_candidates]
        first: list[Scored] = []
        choice = self.chooser.rerank(question, [s.cand.text for s in top], config)
        if choice is not None:
            first = [top[int(choice.best) - 1]]
        evidence = pick(ranked, question, passages, embed, self.policy.evidence, first=first)
        base["evidence"] = evidence
        options = [s.cand.text for s in top]  # the same list for all three: one prompt prefix
        decision = self._answerability(question, options, base, config)
        timings.choose_s = time.perf_counter() - t1
        if decision.abstain:
            yield finish(self._abstain(base, decision))
            return
        line, why = None, None
        if self.line_prompt is not None:
            t2 = time.perf_counter()
            pieces = []
            values = {"question": question, "sentences": numbered(options)}
            writer = self.line_prompt.chat_prompt() | self.chooser.model.bind(max_tokens=LINE_MAX_TOKENS)
            for tok in (writer | StrOutputParser()).stream(values, config):
                if timings.first_token_s is None:
                    timings.first_token_s = time.perf_counter() - t0
                pieces.append(tok)
                yield QAEvent(type="token", text=tok)
            timings.generate_s = time.perf_counter() - t2
            raw = _flat(("".join(pieces).strip().split("\n") or [""])[0])
            why = check_line(raw, [c.text for c in evidence], question)
            line = raw if why is None else None
        sentences, parts = [], []
        if line:
            ns = line_citations(line, evidence)
            sentences.append(AnswerSentence(text=line, citations=ns))
            parts.append(with_markers(line, ns))
        for c in evidence:
            sentences.append(AnswerSentence(text=_flat(c.text), citations=[c.n]))
            parts.append(with_markers(_flat(c.text), [c.n]))
        yield finish(Answer(**base, answer=" ".join(parts), sentences=sentences, citations=evidence,
                            line=line, line_check=why))

    def _answerability(self, question: str, options: list[str], base: dict,
                       config: RunnableConfig) -> Decision:
        """The model's calibrated yes/no on whether the options answer (when the policy asks)."""
        p_yes = None
        if self.policy.abstain.use_answerability:
            p_yes = self.chooser.answerable(question, options, config).p(YES)
            base["answerability"] = round(p_yes, 4)
        return check_answerable(p_yes, self.policy.abstain)

    # --- synthesis mode ---------------------------------------------------------------------
    def _synthesise(self, question: str, passages: list[Passage], options: list[str],
                    embed: EmbedFn | None, base: dict, timings: Timings, finish: Callable,
                    config: RunnableConfig, t0: float) -> Iterator[QAEvent]:
        if self.policy.abstain.use_answerability:
            t1 = time.perf_counter()
            decision = self._answerability(question, options, base, config)
            timings.choose_s = time.perf_counter() - t1
            if decision.abstain:
                yield finish(self._abstain(base, decision))
                return
        t1 = time.perf_counter()
        focus = focus_sentences(question, passages, embed, self.max_sentences,
                                self.policy.evidence.lexical_weight)
        pieces: list[str] = []
        values = {"documents": format_documents(passages, focus=focus), "question": question}
        for tok in self._prose.stream(values, config):
            if timings.first_token_s is None:
                timings.first_token_s = time.perf_counter() - t0
            pieces.append(tok)
            yield QAEvent(type="token", text=tok)
        timings.generate_s = time.perf_counter() - t1
        t2 = time.perf_counter()
        decision, attached = check_prose(question, "".join(pieces).strip(), passages, embed,
                                         self.policy.citation, self.policy.abstain)
        timings.cite_s = time.perf_counter() - t2
        if decision.abstain:
            yield finish(self._abstain(base, decision, attached.sentences if attached else None))
            return
        assert attached is not None
        yield finish(Answer(**base, answer=attached.answer, sentences=attached.sentences,
                            citations=attached.citations))

    @staticmethod
    def _abstain(base: dict, decision: Decision, sentences: list | None = None) -> Answer:
        text = "The articles don't say."
        if base["passages"]:
            text += " The closest passages are listed below."
        return Answer(**base, answer=text, abstained=True, abstain_reason=decision.reason,
                      sentences=sentences or [])

