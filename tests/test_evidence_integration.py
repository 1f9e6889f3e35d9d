"""Evidence-first answers with the REAL embedded model and the REAL llama.cpp server (slow)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import SEEDS
from langchain_core.callbacks import BaseCallbackHandler
from llm_helpers import local_settings, require_llama_cpp

from chains.evidence_choice import YES, EvidenceChooser
from chains.models import ParleyChatOpenAI
from parley.core.settings import Settings
from parley.service import Parley

pytestmark = [pytest.mark.llm, pytest.mark.integration]

FIRST_CONTACT = "Who held the first high-level US-Russia contact after the invasion?"
SENTENCES = [
    "Jake Sullivan held a conversation with Nikolai Patrushev, the first high-level contact "
    "since the start of the invasion on February 24.",
    "The Kremlin said electricity shortages were the fault of Kyiv.",
]


class _Order(BaseCallbackHandler):
    """Records when the chat model is first called, relative to the chain's events."""

    def __init__(self, log: list[str]):
        self.log = log

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        self.log.append("model")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Settings:
    settings = Settings(data_dir=tmp_path_factory.mktemp("evidence_int") / "data")
    assert Parley(settings).ingest([SEEDS]).added == 5
    return settings


def _check(parley: Parley, answer) -> None:
    for c in [*answer.citations, *answer.evidence]:
        assert parley.article_text(c.source)[c.start : c.end] == c.text


def test_embedded_model_evidence_before_model_then_calibrated_choice(corpus, local_gguf):
    require_llama_cpp()
    parley = Parley(local_settings(local_gguf, data_dir=corpus.data_dir, max_tokens=64))
    log: list[str] = []
    chain = parley.qa_chain(mode="evidence")
    for ev in chain.stream(FIRST_CONTACT, {"callbacks": [_Order(log)]}):
        log.append(ev.type)
        if ev.type == "answer":
            answer = ev.answer
    assert log.index("evidence") < log.index("model")
    assert not answer.abstained, answer.abstain_reason
    assert "Patrushev" in answer.answer and answer.answerability is not None
    _check(parley, answer)
    # the model's content-free priors were read from real logprobs
    priors = list(parley.chooser.scorer._priors.values())
    assert priors and all(p is not None and abs(sum(p.values()) - 1) < 1e-6 for p in priors)


def test_llama_server_gives_logprob_choices_and_evidence_answers(corpus, llama_server):
    s = Settings(data_dir=corpus.data_dir, llm_backend="openai", openai_base_url=llama_server,
                 openai_model="local", max_tokens=64, llm_timeout_s=300)
    parley = Parley(s)
    assert isinstance(parley.model, ParleyChatOpenAI)
    chooser = EvidenceChooser(parley.model)
    res = chooser.answerable(FIRST_CONTACT, SENTENCES)
    assert res.method == "logprobs" and res.prior is not None
    assert 0.0 < res.p(YES) < 1.0 and abs(sum(res.calibrated.values()) - 1) < 1e-6
    pick = chooser.rerank(FIRST_CONTACT, SENTENCES)
    assert pick is not None and pick.best in ("1", "2")
    answer = parley.qa_chain(mode="evidence").invoke(FIRST_CONTACT)
    assert answer.evidence and answer.model.startswith("openai-compatible local")
    _check(parley, answer)
