"""Every eval metric on hand-made cases whose right score is known."""

from __future__ import annotations

import pytest

from evals.fixtures import QAFixture
from evals.metrics import (
    abstention_accuracy,
    abstention_report,
    answer_sentences,
    boilerplate_leakage,
    citation_precision,
    citation_recall,
    fact_recall,
    false_abstention_rate,
    forbidden_present,
    forbidden_rate,
    latency_summary,
    mean_defined,
    mrr,
    percentile,
    recall_at_k,
    span_validity,
)
from evals.support import contains_phrase, support_score, supports
from parley.core.schema import Answer, AnswerSentence, Chunk, Citation, Passage

SRC = "a.txt"
S1 = "The Kremlin said Russia is always open to negotiations with Ukraine."
S2 = "Kremlin spokesman Dmitry Peskow said Kyiv refuses to hold talks."
S3 = "Ukraine received new air defense systems from Spain and Norway."
JUNK = "Read more: The Best Online Bookmakers May 16 2024"
ART = f"{S1} {S2}\n\n{S3}\n\n{JUNK}\n"
TEXTS = {SRC: ART}
KEPT = {SRC: [(0, ART.index(JUNK) - 2)]}  # everything but the boilerplate line


def cite(n: int, sentence: str, source: str = SRC) -> Citation:
    start = TEXTS[source].index(sentence)
    return Citation(source=source, start=start, end=start + len(sentence), text=sentence, n=n)


def answer(text: str, citations: list[Citation], **kw) -> Answer:
    return Answer(question="q?", answer=text, citations=citations, **kw)


GOOD = "Russia is always open to negotiations with Ukraine [1]. Peskov said Kyiv refuses to hold talks [2]."


# ---------------------------------------------------------------- citations


def test_perfect_answer_scores_one_everywhere():
    a = answer(GOOD, [cite(1, S1), cite(2, S2)])
    assert citation_precision(a, TEXTS) == 1.0
    assert citation_recall(a, TEXTS) == 1.0
    assert span_validity(a, TEXTS) == 1.0
    assert boilerplate_leakage(a, KEPT) == 0.0


def test_hallucinated_citation_is_invalid_and_supports_nothing():
    fake = Citation(source=SRC, start=70, end=110, text="Peskov said Kyiv wants to hold talks now.", n=2)
    a = answer(GOOD, [cite(1, S1), fake])
    assert span_validity(a, TEXTS) == 0.5
    assert citation_precision(a, TEXTS) == 0.5  # the fake span supports nothing
    assert citation_recall(a, TEXTS) == 0.5
    ghost = Citation(source="missing.txt", start=0, end=len(S1), text=S1, n=3)
    assert span_validity(answer("x [3].", [ghost]), TEXTS) == 0.0


def test_over_cited_answer_loses_precision_not_recall():
    every = [cite(1, S1), cite(2, S2), cite(3, S3)]
    a = answer(
        "Russia is always open to negotiations with Ukraine [1][2][3]. "
        "Peskov said Kyiv refuses to hold talks [1, 2, 3].",
        every,
    )
    assert citation_recall(a, TEXTS) == 1.0
    assert citation_precision(a, TEXTS) == pytest.approx(2 / 6)


def test_unanswered_sentence_lowers_recall():
    a = answer(GOOD + " Germany also sent Ukraine forty tanks.", [cite(1, S1), cite(2, S2)])
    assert citation_recall(a, TEXTS) == pytest.approx(2 / 3)
    assert citation_precision(a, TEXTS) == 1.0


def test_wrongly_attached_citation_does_not_support():
    a = answer("Ukraine received air defense systems from Spain and Norway [1].", [cite(1, S1)])
    assert citation_precision(a, TEXTS) == 0.0
    assert citation_recall(a, TEXTS) == 0.0


def test_boilerplate_citation_leaks():
    a = answer(GOOD + " The best online bookmakers are listed [3].", [cite(1, S1), cite(2, S2), cite(3, JUNK)])
    assert boilerplate_leakage(a, KEPT) == pytest.approx(1 / 3)
    assert span_validity(a, TEXTS) == 1.0  # a verbatim span can still be boilerplate
    assert boilerplate_leakage(a, {}) == 1.0  # no kept spans known: nothing is inside


def test_unattached_citation_and_dangling_marker_count_against_precision():
    a = answer("Russia is always open to negotiations with Ukraine [1].", [cite(1, S1), cite(2, S2)])
    assert citation_precision(a, TEXTS) == 0.5
    b = answer("Russia is always open to negotiations with Ukraine [1][7].", [cite(1, S1)])
    assert citation_precision(b, TEXTS) == 0.5


def test_abstentions_have_nothing_to_score():
    a = answer("The articles do not say.", [], abstained=True)
    assert citation_recall(a, TEXTS) is None
    assert citation_precision(a, TEXTS) is None
    assert span_validity(a, TEXTS) is None
    assert boilerplate_leakage(a, KEPT) is None
    # an uncited "the sources do not say" sentence inside an answer is not a claim
    b = answer(GOOD + " The articles do not say when talks would resume.", [cite(1, S1), cite(2, S2)])
    assert citation_recall(b, TEXTS) == 1.0
    assert mean_defined([None, 1.0, 0.5, None]) == 0.75
    assert mean_defined([None]) is None


def test_markers_are_parsed_and_leading_markers_belong_to_previous_sentence():
    a = answer("Russia is open to talks. [1] Peskov said Kyiv refuses [2, 3].", [])
    sents = answer_sentences(a)
    assert [s.text for s in sents] == ["Russia is open to talks.", "Peskov said Kyiv refuses."]
    assert [s.citations for s in sents] == [[1], [2, 3]]


def test_structured_sentences_win_over_prose():
    a = Answer(
        question="q?",
        answer="ignored prose",
        sentences=[
            AnswerSentence(text="Russia is always open to negotiations with Ukraine.", citations=[1]),
            AnswerSentence(text="Peskov said Kyiv refuses to hold talks [2].", citations=[]),
        ],
        citations=[cite(1, S1), cite(2, S2)],
    )
    assert [s.citations for s in answer_sentences(a)] == [[1], [2]]
    assert citation_precision(a, TEXTS) == citation_recall(a, TEXTS) == 1.0


# ---------------------------------------------------------------- lexical support


def test_support_handles_transliteration_and_rejects_wrong_numbers():
    cited = "“Right now there is no active negotiation process,” spokeswoman Maria Zajarova said."
    assert supports("Zakharova said there is no active negotiation process.", cited)
    assert support_score("The West says 100,000 soldiers are there.", "more than 100000 soldiers, says the West") == 1.0
    assert support_score("The West says 150,000 soldiers are there.", "more than 100,000 soldiers, says the West") == 0.0
    assert support_score("Yes.", cited) == 0.0  # nothing checkable is never supported
    # a sentence naming someone the span does not mention is not supported
    assert not supports("Lavrov said there is no active negotiation process.", "There is no active process, said Peskov.")


# ---------------------------------------------------------------- facts


def test_fact_recall_matches_phrasings_insensitively_and_as_words():
    facts = [["Zajarova", "Zakharova"], ["100,000"], ["Jan. 10", "January 10"]]
    assert fact_recall("Maria ZAJÁROVA said 100000 troops; talks on Jan 10.", facts) == 1.0
    assert fact_recall("Zakharova spoke; talks on January 11.", facts) == pytest.approx(1 / 3)
    assert fact_recall("anything", []) == 1.0
    assert not contains_phrase("Spaniards arrived", "Spain")
    assert contains_phrase("a 32% shortfall", "32 percent")


# ---------------------------------------------------------------- abstention


def _qa(answerable: bool) -> QAFixture:
    facts = [["x"]] if answerable else []
    return QAFixture(id="i", question="q", facts=facts, sources=["a.txt"], answerable=answerable, notes="n")


def test_wrong_abstention_is_counted():
    said = answer("An answer [1].", [])
    quiet = answer("The articles do not say.", [], abstained=True)
    pairs = [(said, _qa(True)), (quiet, _qa(True)), (quiet, _qa(False)), (said, _qa(False)), (said, _qa(True))]
    rep = abstention_report(pairs)
    assert (rep.answerable, rep.unanswerable) == (3, 2)
    assert rep.false_abstentions == 1 and rep.false_abstention_rate == pytest.approx(1 / 3)
    assert rep.missed_abstentions == 1 and rep.missed_abstention_rate == 0.5
    assert abstention_accuracy(pairs) == pytest.approx(3 / 5)
    assert false_abstention_rate(pairs) == pytest.approx(1 / 3)
    assert abstention_report([(quiet, _qa(False))]).false_abstention_rate is None
    with pytest.raises(ValueError):
        abstention_report([])


# ---------------------------------------------------------------- misreadings (forbidden claims)

DEMAND = "Washington failed to respond to Russia's demand that NATO not expand further east, but it also failed to halt diplomatic efforts."
TURNED = [["and halt diplomatic efforts", "halt to diplomatic efforts"]]


def test_forbidden_claim_is_found_only_when_the_answer_makes_it():
    wrong = "Russia demanded NATO not expand further east and halt diplomatic efforts to avoid conflict [1]."
    assert forbidden_present(wrong, TURNED)
    assert forbidden_present("Russia wants a halt to diplomatic efforts.", TURNED)
    assert not forbidden_present(DEMAND, TURNED)  # quoting the sentence verbatim is not a misreading
    assert not forbidden_present("Moscow wants a halt to diplomatic effortsless talk.", TURNED)  # whole words
    assert not forbidden_present(wrong, [])


def test_forbidden_rate_counts_only_items_with_forbidden_claims():
    def item(forbidden):
        return QAFixture(id="i", question="q", facts=[["x"]], forbidden=forbidden, sources=["a.txt"], notes="n")

    wrong = answer("Russia demanded a halt to diplomatic efforts [1].", [])
    right = answer(DEMAND, [])
    quiet = answer("The articles do not say.", [], abstained=True)
    pairs = [(wrong, item(TURNED)), (right, item(TURNED)), (quiet, item(TURNED)), (wrong, item([]))]
    assert forbidden_rate(pairs) == pytest.approx(1 / 3)
    assert forbidden_rate([(wrong, item([])), (right, _qa(False))]) is None


# ---------------------------------------------------------------- retrieval


def _passage(source: str, rank: int) -> Passage:
    chunk = Chunk(id=f"{source}{rank}", source=source, start=0, end=1, text="x", index=rank, doc_hash="h")
    return Passage(chunk=chunk, rank=rank, score=1.0 / rank)


def test_recall_at_k_and_mrr_by_hand():
    # ranks 1..4 → sources b, a, b, c; listed out of order to check sorting by rank
    ps = [_passage("c", 4), _passage("a", 2), _passage("b", 1), _passage("b", 3)]
    gold = ["a", "c"]
    assert recall_at_k(ps, gold, 1) == 0.0
    assert recall_at_k(ps, gold, 2) == 0.5
    assert recall_at_k(ps, gold, 3) == 0.5
    assert recall_at_k(ps, gold, 4) == 1.0
    assert mrr(ps, gold) == 0.5
    assert mrr(ps, ["c"]) == 0.25
    assert mrr(ps, ["c"], k=3) == 0.0
    assert mrr(ps, ["z"]) == 0.0
    with pytest.raises(ValueError):
        recall_at_k(ps, [], 5)


# ---------------------------------------------------------------- cost


def test_latency_summary_by_hand():
    s = latency_summary([10, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert (s.n, s.p50, s.mean, s.max) == (10, 5.5, 5.5, 10)
    assert s.p95 == pytest.approx(9.55)
    assert percentile([3.0], 95) == 3.0
    with pytest.raises(ValueError):
        latency_summary([])


PARAPHRASES = [
    ("000", "Sullivan told Patrushev that Moscow must stop attacking Ukrainian cities if it is serious about diplomacy.",
     "“If Russia is serious about diplomacy, Moscow should stop attacking Ukrainian cities,” said Sullivan"),
    ("000", "Zakharova said there is currently no active negotiation process with the US.",
     "“Right now there is no active negotiation process (with the United States), of course,” Russian Foreign Ministry spokeswoman Maria Zajarova said, as reported by the Russian news agency TASS."),
    ("002", "The West accuses Russia of massing over 100,000 troops near Ukraine.",
     "The West accuses Russia of gathering more than 100,000 soldiers on the border with Ukraine"),
    ("003", "Ryabkov said meaningful talks with Washington are impossible in the current circumstances.",
     "Meaningful negotiations with the US are impossible under the current circumstances, Russian Deputy Foreign Minister Sergey Ryabkov said on Monday."),
    ("001", "Kovalenko said the capital faced a 32% electricity shortfall.",
     "“The country yesterday faced a 32 percent shortfall in its expected electricity supply,” said Sergei Kovalenko"),
]


@pytest.mark.parametrize(("seed", "sentence", "span"), PARAPHRASES)
def test_close_paraphrases_of_real_seed_sentences_are_supported(seed_texts, seed, sentence, span):
    text = next(t for name, t in seed_texts.items() if name.startswith(seed))
    assert span in text  # the span is verbatim seed text
    assert supports(sentence, span)
    wrong_figure = sentence.replace("100,000", "200,000").replace("32%", "42%")
    if wrong_figure != sentence:
        assert support_score(wrong_figure, span) == 0.0
