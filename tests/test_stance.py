"""The stance step by choice: per-statement calibrated labels, aggregation, selection (fake logprobs)."""

from __future__ import annotations

import re

import pytest
from choice_helpers import logprob_model

from chains.stance import NONE, StanceChain, StanceInput, StancePolicy
from chains.stance_cues import cue_label, statement_cue
from chains.stance_select import select_statements, statements_for
from parley.core.schema import Quote, SourceSpan

TEXT = ("“Unilateral concessions from our side are out of the question,” Ryabkov stressed. "
        "Russia is always open to dialogue with the US, Peskov said. "
        "The weather in Moscow was mild, Peskov added. "
        "New talks are out of the question for now, Lavrov said.")
SENTS = ["“Unilateral concessions from our side are out of the question,” Ryabkov stressed.",
         "Russia is always open to dialogue with the US, Peskov said.",
         "The weather in Moscow was mild, Peskov added.",
         "New talks are out of the question for now, Lavrov said."]
# the model's bias: it likes "B" (conditional) whatever it reads, as the real 0.5B did
PRIOR = {"A": 0.15, "B": 0.6, "C": 0.1, "D": 0.1, "E": 0.05}


def _span(sentence: str) -> SourceSpan:
    a = TEXT.index(sentence)
    return SourceSpan(source="t.txt", start=a, end=a + len(sentence), text=sentence)


def _statement(prompt: str) -> str:
    return re.search(r'Statement: "(.*)"', prompt).group(1)


def biased(prompt: str) -> dict[str, float]:
    """Raw option probabilities: the prior, nudged by what the statement says."""
    s = _statement(prompt)
    if s == "N/A":
        return dict(PRIOR)
    if "weather" in s:
        return {"A": 0.05, "B": 0.1, "C": 0.02, "D": 0.03, "E": 0.8}
    boost = "C" if "out of the question" in s else "A" if "open to" in s else "D"
    return {k: v * (3.0 if k == boost else 1.0) for k, v in PRIOR.items()}


def _chain(scorer=biased, **policy) -> tuple[StanceChain, object]:
    """The chain under the shipped policy (cues mixed in at 0.25) with these overrides."""
    model = logprob_model(scorer)
    return StanceChain(model, policy=StancePolicy(**policy)), model


def test_each_statement_is_labelled_by_choice_with_the_prior_divided_out():
    chain, model = _chain()
    out = chain.label_statements("Russia", "talks with the US", [_span(s) for s in SENTS[:3]])
    assert [s.label for s in out] == ["opposed", "open", None]  # raw argmax: B, B, E
    for s in out:
        assert sum(s.probabilities.values()) == pytest.approx(1.0)
        assert s.span.text == TEXT[s.span.start:s.span.end]
    assert out[0].confidence == pytest.approx((1 - out[0].offtopic) * out[0].probabilities["opposed"])
    assert out[2].offtopic == pytest.approx(0.8) and out[2].confidence == pytest.approx(0.8)
    # one content-free call for the (prompt, actor, topic) shape, then one call per statement
    assert len(model.calls) == 4 and sum(_statement(c["prompt"]) == "N/A" for c in model.calls) == 1
    assert all(c["max_tokens"] == 1 and c["logprobs"] for c in model.calls)


def test_the_statement_comes_last_so_the_prompt_prefix_is_shared():
    chain, _ = _chain()
    req = chain.request("Russia", "talks", "We will see.")
    user = req.messages[-1].content
    assert user.index("Options:") < user.index("We will see.")
    assert req.options == ["A", "B", "C", "D", "E"]
    assert req.content_free[-1].content == user.replace("We will see.", "N/A")


def test_article_label_is_the_most_probable_outcome_and_confidence_is_its_probability():
    chain, _ = _chain()
    spans = [_span(SENTS[0]), _span(SENTS[1]), _span(SENTS[3])]
    st = chain.classify("Russia", "talks", spans, source="t.txt")
    assert st.label == "opposed"
    assert st.confidence == pytest.approx(st.probabilities["opposed"], abs=1e-4)
    assert sum(st.probabilities.values()) == pytest.approx(1.0, abs=1e-3)
    assert set(st.probabilities) == {"open", "conditional", "opposed", "noncommittal", NONE}
    assert [e.text for e in st.evidence] == [SENTS[0], SENTS[3]]  # the statements that say opposed
    assert "opposed" in st.rationale


def test_confidence_follows_the_model_not_a_constant():
    def scorer(strength: float):
        def f(prompt: str) -> dict[str, float]:
            if _statement(prompt) == "N/A":
                return {k: 0.2 for k in "ABCDE"}
            rest = (1 - strength) / 4
            return {k: strength if k == "C" else rest for k in "ABCDE"}
        return f

    confs = []
    for strength in (0.3, 0.6, 0.9):
        chain, _ = _chain(scorer(strength))
        st = chain.classify("Russia", "talks", [_span(SENTS[0])])
        assert st.label == "opposed"
        confs.append(st.confidence)
    assert confs == sorted(confs) and len(set(confs)) == 3


def test_only_off_topic_statements_mean_no_position():
    chain, _ = _chain()
    st = chain.classify("Russia", "talks", [_span(SENTS[2])])
    assert st.label is None and st.evidence == []
    assert st.confidence == pytest.approx(st.probabilities[NONE]) and st.confidence > 0.5
    assert "no position" in st.rationale and "not about the topic" in st.rationale


def test_without_the_model_filter_every_statement_counts():
    chain, _ = _chain(topic_filter="off")
    out = chain.label_statements("Russia", "talks", [_span(SENTS[2])])
    assert out[0].offtopic == 0.0 and out[0].label is not None


def test_no_statements_means_no_position_and_no_model_call():
    chain, model = _chain()
    st = chain.classify("NATO", "talks", [])
    assert st.label is None and st.evidence == [] and st.probabilities == {}
    assert "no position found" in st.rationale and model.calls == []


def test_temperature_flattens_the_confidence_but_keeps_the_label():
    sharp = _chain()[0].classify("Russia", "talks", [_span(SENTS[0])])
    flat = _chain(temperature=3.0)[0].classify("Russia", "talks", [_span(SENTS[0])])
    assert sharp.label == flat.label == "opposed"
    assert flat.confidence < sharp.confidence


def test_cue_weight_mixes_in_the_lexical_cue():
    def neutral(prompt: str) -> dict[str, float]:
        return {k: 0.2 for k in "ABCDE"} if _statement(prompt) != "N/A" else {k: 0.2 for k in "ABCDE"}

    plain = _chain(neutral, cue_weight=0.0)[0].label_statements("Russia", "talks", [_span(SENTS[0])])[0]
    cued = _chain(neutral, cue_weight=0.5)[0].label_statements("Russia", "talks", [_span(SENTS[0])])[0]
    assert cued.probabilities["opposed"] == pytest.approx(0.5 * plain.probabilities["opposed"] + 0.5)
    assert cued.label == "opposed"


def test_the_chain_is_a_runnable():
    chain, _ = _chain()
    inp = StanceInput(actor="Russia", topic="talks", statements=[_span(SENTS[1])], source="t.txt")
    st = chain.invoke(inp)
    assert st.label == "open" and st.source == "t.txt"
    assert [s.label for s in chain.batch([inp, inp.model_copy(update={"statements": []})])] == ["open", None]


def test_server_without_logprobs_still_labels_by_the_written_letter():
    chain = StanceChain(logprob_model(biased, with_logprobs=False))
    st = chain.classify("Russia", "talks", [_span(SENTS[0])])
    assert st.label == "conditional"  # uncalibrated: the written token is all there is


def test_cue_label():
    assert cue_label(["Kremlin spokesman declined to comment on the report."])[0] == "noncommittal"
    assert cue_label(["Meaningful negotiations are impossible."])[0] == "opposed"
    assert cue_label(["The weather was fine."])[0] is None



def test_cue_readings_that_are_not_what_they_seem():
    # curly apostrophes, as the seeds print them
    assert statement_cue("“I don’t know if that’s the case or not,” Peskov said.") == "noncommittal"
    assert statement_cue("Moscow won’t make concessions.") == "opposed"
    # "if" as "whether" is no condition; a real "if" still is
    assert statement_cue("He asked if talks were possible.") is None
    assert statement_cue("Talks only if Russia stops attacking.") == "conditional"
    # an idiom of open-ended support, not a condition
    assert statement_cue("The US would back Ukraine for “as long as it takes.”") == "open"
    assert statement_cue("Support continues as long as Russia withdraws.") == "conditional"
    # anonymity is not a refusal
    assert statement_cue("A spokesman, who refused to be named, said talks would go ahead.") is None
    assert statement_cue("Russia refused to attend the talks.") == "opposed"


# ---- which statements: one function for the brief and the eval ---------------------------


def _quote(sentence: str, words: str) -> Quote:
    sent = _span(sentence)
    a = TEXT.index(words)
    return Quote(source="t.txt", start=a, end=a + len(words), text=words, id=words[:8],
                 speaker="x", actor="russia", kind="reported", sentence=sent)


def _quotes() -> list[Quote]:
    return [_quote(SENTS[0], "Unilateral concessions"), _quote(SENTS[0], "out of the question"),
            _quote(SENTS[2], "The weather in Moscow was mild"), _quote(SENTS[1], "Russia is always open")]


def fake_embed(texts: list[str]) -> list[list[float]]:
    """Topic first; a statement is close to the topic when it mentions dialogue or concessions."""
    return [[1.0, 0.0] if i == 0 else ([0.9, 0.1] if ("dialogue" in t or "concessions" in t) else [0.1, 0.9])
            for i, t in enumerate(texts)]


def test_statements_are_distinct_sentences_in_text_order():
    assert [s.text for s in statements_for(_quotes())] == SENTS[:3]


def test_select_keeps_the_most_on_topic_in_text_order():
    spans, rel = select_statements(_quotes(), "talks", fake_embed, StancePolicy(max_statements=2))
    assert [s.text for s in spans] == SENTS[:2] and rel[0] == pytest.approx(rel[1]) and len(rel) == 2
    spans, _ = select_statements(_quotes(), "talks", fake_embed)
    assert [s.text for s in spans] == SENTS[:3]  # no embedding filter by default


def test_select_with_the_embedding_filter_drops_off_topic_statements():
    policy = StancePolicy(topic_filter="embedding", min_relevance=0.5)
    spans, rel = select_statements(_quotes(), "talks", fake_embed, policy)
    assert [s.text for s in spans] == SENTS[:2] and all(r >= 0.5 for r in rel)
    assert select_statements([], "talks", fake_embed, policy) == ([], [])


def test_select_without_embeddings_uses_word_overlap():
    spans, rel = select_statements(_quotes(), "dialogue with the US", None, StancePolicy(max_statements=1))
    assert [s.text for s in spans] == [SENTS[1]] and rel[0] > 0


def test_an_answer_outside_the_options_leaves_the_statement_unread():
    chain = StanceChain(logprob_model({"Z": 1.0}, with_logprobs=False))
    out = chain.label_statements("Russia", "talks", [_span(SENTS[0])])
    assert out[0].label is None and out[0].probabilities == {}
    st = chain.aggregate("Russia", "talks", out)
    assert st.label is None and "no usable answer" in st.rationale and st.probabilities == {}
