"""Evidence-first answers with a fake logprob model: evidence, choices, calibration, policy rules."""

from __future__ import annotations

import asyncio

import pytest
from choice_helpers import logprob_model

from chains.abstain import (
    AbstainPolicy,
    AnswerPolicy,
    check_entities,
    missing_entities,
    question_entities,
)
from chains.answer_check import check_line
from chains.evidence import EvidencePolicy, question_parts, select_evidence
from chains.qa import QAChain
from parley.core.schema import Chunk, Passage
from tests.qa_helpers import ListRetriever, paragraph_chunks

GUARANTEES = "What security guarantees did Russia demand from the US and NATO?"
FIRST_CONTACT = "Who held the first high-level US-Russia contact after the invasion?"
MISREAD = ("In it, Washington had failed to respond to Russia’s demand that NATO not expand "
           "further east, but it also failed to halt diplomatic efforts to avoid conflict.")


def _retriever(seed_texts):
    return ListRetriever(chunks=[c for s, t in seed_texts.items() for c in paragraph_chunks(s, t)])


def scorer(yes: float = 0.8, prior_yes: float = 0.5, pick: str = "1", line: str = "Nothing."):
    """A fake model: P(Yes) on content, P(Yes) on the content-free prompt, a rerank pick, a line."""
    def score(text: str) -> dict[str, float]:
        content_free = "Question: N/A" in text
        if "Reply Yes or No" in text:
            p = prior_yes if content_free else yes
            return {"Yes": p, "No": 1 - p}
        if "number only" in text:
            best = "1" if content_free else pick
            return {str(i): (0.5 if str(i) == best else 0.1) for i in range(1, 7)}
        return {line: 1.0}
    return score


def _chain(seed_texts, policy=None, **kw):
    model = logprob_model(scorer(**kw))
    return model, QAChain(model, _retriever(seed_texts), policy=policy)


def test_evidence_is_streamed_before_any_model_call_with_exact_spans(seed_texts):
    model, chain = _chain(seed_texts)
    seen = []
    for ev in chain.stream(FIRST_CONTACT):
        seen.append(ev.type)
        if ev.type == "evidence":
            assert model.calls == []  # nothing asked of the model yet
            assert 1 <= len(ev.evidence) <= 3 and ev.seconds is not None
            for c in ev.evidence:
                assert seed_texts[c.source][c.start : c.end] == c.text
            assert "Patrushev" in ev.evidence[0].text
    assert seen[:2] == ["passages", "evidence"] and seen[-1] == "answer"


def test_answer_opens_with_evidence_that_holds_both_demands(seed_texts):
    _, chain = _chain(seed_texts)
    ans = chain.invoke(GUARANTEES)
    assert not ans.abstained and ans.mode == "evidence"
    assert ans.citations == ans.evidence
    assert "never join NATO" in ans.answer and "withdrawal of NATO troops" in ans.answer
    for c in ans.citations:
        assert seed_texts[c.source][c.start : c.end] == c.text
        assert f"[{c.n}]" in ans.answer


def test_misreading_line_is_not_shown(seed_texts):
    line = "Russia demanded NATO not expand further east and halt diplomatic efforts to avoid conflict."
    _, chain = _chain(seed_texts, line=line)
    ans = chain.invoke(GUARANTEES)
    assert ans.line is None and ans.line_check and "follow the evidence" in ans.line_check
    assert line not in ans.answer
    assert check_line(line, [MISREAD], GUARANTEES) is not None


def test_checkable_line_is_shown_above_the_evidence_with_citations(seed_texts):
    line = "Jake Sullivan held a conversation with Nikolai Patrushev."
    _, chain = _chain(seed_texts, line=line)
    ans = chain.invoke(FIRST_CONTACT)
    assert ans.line == line and ans.answer.startswith("Jake Sullivan held a conversation")
    assert ans.sentences[0].text == line and ans.sentences[0].citations == [1]


@pytest.mark.parametrize("line, why", [
    ("Jake Sullivan spoke with Sergei Lavrov.", "name"),
    ("Sullivan spoke with Patrushev on February 3.", "number"),
    ("Sullivan called it “a frank exchange of views”.", "quoted"),
    ("Sullivan did not speak with Patrushev.", "negation"),
    ("The first high-level contact came after the invasion.", "restates"),
])
def test_line_rules(line, why):
    evidence = ["US National Security Adviser Jake Sullivan held a conversation with Nikolai "
                "Patrushev, the first high-level contact since the invasion on February 24."]
    assert why in check_line(line, evidence, FIRST_CONTACT)


def test_rerank_choice_puts_the_models_pick_first(seed_texts):
    model = logprob_model(scorer(pick="3"))
    chain = QAChain(model, _retriever(seed_texts), line_prompt=None)
    ranked, before = select_evidence(FIRST_CONTACT, chain._retrieve.invoke(FIRST_CONTACT), None)
    ans = chain.invoke(FIRST_CONTACT)
    assert ans.evidence[0].text == ranked[2].cand.text != before[0].text
    # one content-free prior per prompt shape, one call per choice
    assert sum("number only" in c["prompt"] for c in model.calls) == 2


def test_calibration_turns_a_yes_biased_model_into_an_abstention(seed_texts):
    # the model says Yes 0.7 to everything, content-free included: calibrated P(Yes) is 0.5
    _, biased = _chain(seed_texts, yes=0.6, prior_yes=0.8)
    ans = biased.invoke(FIRST_CONTACT)
    assert ans.abstained and ans.answerability == pytest.approx(0.2727, abs=1e-3)
    assert "answerability" in ans.abstain_reason and ans.evidence  # nearest sentences kept
    _, sure = _chain(seed_texts, yes=0.9, prior_yes=0.5)
    assert not sure.invoke(FIRST_CONTACT).abstained


def test_threshold_comes_from_the_policy(seed_texts):
    low = AnswerPolicy(abstain=AbstainPolicy(min_answerable=0.2))
    _, chain = _chain(seed_texts, policy=low, yes=0.6, prior_yes=0.8)
    assert not chain.invoke(FIRST_CONTACT).abstained
    off = AnswerPolicy(abstain=AbstainPolicy(use_answerability=False))
    model, chain = _chain(seed_texts, policy=off, yes=0.01)
    assert not chain.invoke(FIRST_CONTACT).abstained
    assert not any("Reply Yes or No" in c["prompt"] for c in model.calls)


def test_name_absent_from_the_passages_abstains_before_the_model(seed_texts):
    model, chain = _chain(seed_texts)
    ans = chain.invoke("What did China's foreign minister say about the talks with Russia?")
    assert ans.abstained and "China" in ans.abstain_reason and model.calls == []
    off = AnswerPolicy(abstain=AbstainPolicy(entity_rule=False))
    _, chain = _chain(seed_texts, policy=off)
    assert not chain.invoke("What did China's foreign minister say about the talks with Russia?").abstained


def test_entities_of_a_question():
    assert question_entities("What did China's foreign minister say on March 5?") == ["China", "March", "5"]
    assert question_entities("Who held the first high-level US-Russia contact?") == ["US-Russia"]
    # spelling variants of a name count as present
    assert missing_entities("What did Zakharova say?", ["Maria Zajarova said so."]) == []
    assert missing_entities("What did Ryabkov say on March 5?", ["Ryabkov spoke on March 4."]) == ["5"]


def test_entity_scope_evidence_is_stricter_than_passages():
    evidence = ["Lavrov said the talks were useful."]
    passages = ["Lavrov said the talks in Geneva were useful. Lavrov said the talks were useful."]
    q = "What did Lavrov say in Geneva?"
    assert check_entities(q, evidence, passages, AbstainPolicy(entity_scope="evidence")).abstain
    assert not check_entities(q, evidence, passages, AbstainPolicy(entity_scope="passages")).abstain


def test_off_topic_question_abstains_on_retrieval(seed_texts):
    model, chain = _chain(seed_texts)
    ans = chain.invoke("What is the boiling point of mercury in kelvin?")
    assert ans.abstained and "barely touch" in ans.abstain_reason and model.calls == []


def test_neighbour_sentence_is_attached_when_the_sentence_announces_a_quote():
    text = ("The general emphasized the size of the force. “More than 100,000 troops are at the "
            "border,” he said. Talks are set for Geneva.")
    chunk = Chunk(id="x", source="a.txt", start=10, end=10 + len(text), text=text, index=0, doc_hash="h")
    ranked, ev = select_evidence("What did the general emphasize about the size of the force?",
                                 [Passage(chunk=chunk, rank=1, score=1.0)], None,
                                 EvidencePolicy(max_evidence=1))
    assert ev[0].text.startswith("The general emphasized") and "100,000 troops" in ev[0].text
    assert ev[0].start == 10 and chunk.text[ev[0].start - 10 : ev[0].end - 10] == ev[0].text


def test_multi_part_question_gets_a_sentence_per_part(seed_texts):
    q = "What did Zakharova say about negotiations, and what did Peskov say about the WSJ report?"
    assert len(question_parts(q)) == 2
    retriever = _retriever(seed_texts)
    retriever.k = 6
    passages = QAChain(logprob_model(scorer()), retriever)._retrieve.invoke(q)
    _, ev = select_evidence(q, passages, None)
    assert {c.source for c in ev} >= {"000_997b5712c965d847.txt", "001_a8fea508baf53730.txt"}


def test_server_without_logprobs_still_chooses(seed_texts):
    model = logprob_model(scorer(), with_logprobs=False)
    ans = QAChain(model, _retriever(seed_texts), line_prompt=None).invoke(FIRST_CONTACT)
    assert not ans.abstained and ans.answerability == 1.0  # the written token, no calibration


def test_runnable_batch_and_astream_events(seed_texts):
    _, chain = _chain(seed_texts)
    answers = chain.batch([FIRST_CONTACT, GUARANTEES])
    assert [a.question for a in answers] == [FIRST_CONTACT, GUARANTEES]

    async def events():
        return [(e["event"], e["name"]) async for e in chain.astream_events(FIRST_CONTACT, version="v2")]

    seen = asyncio.run(events())
    evidence_end = seen.index(("on_chain_end", "evidence"))
    first_model = next(i for i, e in enumerate(seen) if e[0] == "on_chat_model_start")
    assert ("on_retriever_start", "ListRetriever") in seen and evidence_end < first_model
