"""The model chooses the evidence: rerank numbered sentences, then say whether they answer.

Both are closed choices scored by `chains.choice.ChoiceScorer` (the one mechanism Parley uses for
every decision a model makes): the option tokens' log-probabilities, with the model's prior
(its answer to the same prompt with the content replaced by "N/A") divided out. Prompts are
the YAML files `prompts/qa_rerank.yaml` and `prompts/qa_answerable.yaml`, built into messages
with LangChain's `ChatPromptTemplate`.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig

from chains.choice import ChoiceRequest, ChoiceResult, ChoiceScorer
from chains.guard import escape_delimiters, mask_injections
from chains.llamacpp import ChatLlamaCpp
from prompts import PromptTemplate, load_prompt

YES, NO = "Yes", "No"
MAX_SENTENCE_CHARS = 320  # a long sentence is cut: prompt reading dominates on a small CPU


def numbered(sentences: Sequence[str]) -> str:
    """Sentences as a numbered list, masked and delimited as data."""
    lines = []
    for i, s in enumerate(sentences, 1):
        text = escape_delimiters(mask_injections(" ".join(s.split())))[:MAX_SENTENCE_CHARS]
        lines.append(f"{i}. {text}")
    return "\n".join(lines)


def prefix_reusing(model: BaseChatModel) -> BaseChatModel:
    """The in-process llama.cpp model with prompt-prefix reuse on (other models unchanged).

    The rerank, answerability and line prompts of one question share everything but their last
    line: with reuse, llama.cpp reads the sentences once instead of three times (prompt reading
    dominates on a small CPU). Same weights and loaded model; only the KV cache is kept.
    """
    if isinstance(model, ChatLlamaCpp) and not model.reuse_prefix:
        return model.model_copy(update={"reuse_prefix": True})
    return model


class EvidenceChooser:
    """Rerank and answerability choices over evidence sentences, with one calibrated scorer."""

    def __init__(self, model: BaseChatModel, *, rerank: PromptTemplate | str = "qa_rerank",
                 answerable: PromptTemplate | str = "qa_answerable", calibrate: bool = True):
        self.rerank_prompt = load_prompt(rerank) if isinstance(rerank, str) else rerank
        self.answerable_prompt = load_prompt(answerable) if isinstance(answerable, str) else answerable
        self.model = prefix_reusing(model)
        self.scorer = ChoiceScorer(self.model, calibrate=calibrate)

    @property
    def digest(self) -> str:
        """What the choices depend on (for eval cache keys)."""
        return f"{self.rerank_prompt.digest}:{self.answerable_prompt.digest}"

    def _request(self, tpl: PromptTemplate, question: str, sentences: Sequence[str],
                 options: list[str], shape: str) -> ChoiceRequest:
        chat = tpl.chat_prompt()
        return ChoiceRequest(
            messages=chat.format_messages(question=question, sentences=numbered(sentences)),
            content_free=chat.format_messages(question="N/A",
                                              sentences=numbered(["N/A"] * len(sentences))),
            options=options, shape=f"{tpl.digest}:{shape}")

    def rerank_request(self, question: str, sentences: Sequence[str]) -> ChoiceRequest:
        """Which numbered sentence answers best (options "1".."n")."""
        opts = [str(i) for i in range(1, len(sentences) + 1)]
        return self._request(self.rerank_prompt, question, sentences, opts, f"rerank-{len(opts)}")

    def answerable_request(self, question: str, sentences: Sequence[str]) -> ChoiceRequest:
        """Do the sentences answer the question (options Yes / No)."""
        return self._request(self.answerable_prompt, question, sentences, [YES, NO],
                             f"answerable-{len(sentences)}")

    def rerank(self, question: str, sentences: Sequence[str],
               config: RunnableConfig | None = None) -> ChoiceResult | None:
        """The model's calibrated choice among the sentences (None for fewer than two)."""
        if len(sentences) < 2:
            return None
        return self.scorer.invoke(self.rerank_request(question, sentences), config)

    def answerable(self, question: str, sentences: Sequence[str],
                   config: RunnableConfig | None = None) -> ChoiceResult:
        """The model's calibrated yes/no on whether the sentences answer the question."""
        return self.scorer.invoke(self.answerable_request(question, sentences), config)
