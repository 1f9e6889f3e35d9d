from chains.citations import CitationPolicy, attach_citations, strip_markers
from parley.core.schema import Passage
from tests.qa_helpers import paragraph_chunks

SRC = "000_997b5712c965d847.txt"


def _passages(seed_texts, source=SRC):
    return [
        Passage(chunk=c, rank=i, score=1.0)
        for i, c in enumerate(paragraph_chunks(source, seed_texts[source]), 1)
    ]


def test_each_sentence_cites_the_exact_supporting_sentence(seed_texts):
    text = seed_texts[SRC]
    answer = (
        "Jake Sullivan held a conversation with Nikolai Patrushev. "
        "Zakharova said there is no active negotiation process with the United States."
    )
    out = attach_citations(answer, _passages(seed_texts))
    assert [s.supported for s in out.sentences] == [True, True]
    assert len(out.citations) == 2
    for c in out.citations:
        assert text[c.start : c.end] == c.text  # verbatim span of the original file
        assert c.source == SRC
    assert "Patrushev" in out.citations[0].text and "Sullivan" in out.citations[0].text
    assert "no active negotiation process" in out.citations[1].text
    # sentence-level, not the whole chunk
    assert all(len(c.text) < 260 for c in out.citations)
    assert out.answer.count("[1]") == 1 and out.answer.count("[2]") == 1


def test_unsupported_sentence_is_not_shown_as_cited(seed_texts):
    answer = "Sullivan spoke with Patrushev. The talks took place in Geneva on a sunny afternoon in Paris hotel rooms."
    out = attach_citations(answer, _passages(seed_texts))
    assert out.sentences[0].supported and out.sentences[0].citations
    assert not out.sentences[1].supported and out.sentences[1].citations == []
    assert "Geneva" not in out.answer


def test_bad_and_wrong_markers_are_removed_or_corrected(seed_texts):
    ps = _passages(seed_texts)
    # [9] was never retrieved; [1] names a passage that does not support the sentence
    answer = "Sullivan told Patrushev Moscow should stop attacking Ukrainian cities [9][1]."
    out = attach_citations(answer, ps)
    assert "[9]" not in out.answer
    (c,) = [c for c in out.citations]
    assert "stop attacking Ukrainian cities" in c.text
    assert c.passage_rank != 1 or "stop attacking" in ps[0].chunk.text


def test_no_citing_every_passage(seed_texts):
    answer = "Zajarova said the contacts are specific contacts."
    out = attach_citations(answer, _passages(seed_texts))
    assert 1 <= len(out.citations) <= 2
    assert len(out.citations) < len(_passages(seed_texts))


def test_spelling_variant_in_answer_still_supported(seed_texts):
    out = attach_citations("Zakharova spoke of specific contacts.", _passages(seed_texts))
    assert out.citations and "specific contacts" in out.citations[0].text


def test_strip_markers_parses_variants():
    assert strip_markers("Text [1, 2] here [Document 3].") == ("Text here.", [1, 2, 3])


def test_thresholds_are_policy(seed_texts):
    strict = CitationPolicy(min_support=0.99)
    out = attach_citations(
        "Sullivan talked about weapons and Ukraine.", _passages(seed_texts), policy=strict
    )
    assert out.citations == []


def test_sentence_naming_someone_the_passage_never_mentions_is_unsupported(seed_texts):
    # shares most words with the Sullivan–Patrushev sentence, but names the wrong person
    answer = "Linda Thomas-Greenfield held the first high-level contact since the start of the invasion."
    out = attach_citations(answer, _passages(seed_texts))
    assert out.citations == [] and not out.sentences[0].supported
