"""The stance step with the real embedded model: logprobs from llama.cpp, calibrated labels."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage
from llm_helpers import local_settings, require_llama_cpp

from chains.choice import ChoiceRequest, ChoiceScorer
from chains.models import make_chat_model
from chains.stance import LABELS, NONE, StanceChain
from parley.core.schema import SourceSpan

pytestmark = [pytest.mark.integration, pytest.mark.llm]


def _span(text: str) -> SourceSpan:
    return SourceSpan(source="t.txt", start=0, end=len(text), text=text)


@pytest.fixture(scope="module")
def model(local_gguf):
    require_llama_cpp()
    return make_chat_model(local_settings(local_gguf, max_tokens=16))


def test_llama_cpp_gives_first_token_logprobs_without_logits_all(model):
    req = ChoiceRequest(messages=[HumanMessage("Is Paris in France? Answer A) yes or B) no.")],
                        options=["A", "B"], content_free=[HumanMessage("N/A? Answer A) yes or B) no.")])
    res = ChoiceScorer(model).invoke(req)
    assert res.method == "logprobs" and res.prior is not None
    assert sum(res.raw.values()) == pytest.approx(1.0) and 0 < res.raw["A"] < 1


def test_statements_get_calibrated_labels_and_measured_confidences(model):
    chain = StanceChain(model)
    statements = [_span("“Unilateral concessions are out of the question,” Ryabkov stressed."),
                  _span("Russia is always open to negotiations with Ukraine, Peskov said.")]
    out = chain.label_statements("Russia", "negotiations between the parties", statements)
    assert len(out) == 2
    for s in out:
        assert sum(s.probabilities[lb] for lb in LABELS) == pytest.approx(1.0)
        assert 0 < s.confidence < 1 and 0 <= s.offtopic <= 1
    st = chain.aggregate("Russia", "negotiations between the parties", out, source="t.txt")
    assert sum(st.probabilities.values()) == pytest.approx(1.0, abs=1e-3)
    best = max(st.probabilities, key=st.probabilities.get)
    assert (st.label or NONE) == best and st.confidence == pytest.approx(st.probabilities[best], abs=1e-4)
