"""The one text toolkit (parley/text): folding, tokens, stems, sentences, the spelling-variant matcher."""

from __future__ import annotations

import pytest
import yaml

from chains.citations import attach_citations
from evals.fixtures import FIXTURES_DIR
from parley.core.schema import Passage
from parley.text.names import fold_text, name_key
from parley.text.sentences import sentences_of, trim_span
from parley.text.words import (
    content_tokens,
    edit_distance,
    fold,
    in_pool,
    spelling_distance,
    spelling_variants,
    stem,
    tokens,
    word_set,
)
from tests.qa_helpers import paragraph_chunks
from vectorstore.ftsindex import FtsIndex

KYIV_SRC = "001_a8fea508baf53730.txt"


def test_fold_and_tokens_drop_case_accents_and_possessives():
    assert fold("Zajárova’s") == "zajarova"
    assert tokens("Peskow’s “talks”, Kyiv-2022!") == ["peskow", "talks", "kyiv", "2022"]
    assert content_tokens("What did the negotiations say?") == ["negoti"]


def test_fold_text_keeps_offsets_for_actor_names():
    text = "Zajárova’s — Élysée"
    assert len(fold_text(text)) == len(text)
    assert fold_text(text) == "zajarova's - elysee"
    assert name_key("the U.S.") == "us"


def test_stem_and_word_set_meet_in_the_same_form():
    assert stem("talks") == stem("talk") == "talk"
    assert word_set("called described articles") == {"call", "describ", "articl"}
    assert set(content_tokens("The articles called it, Sullivan described it")) - word_set(
        "called described articles") == {"sullivan"}
    assert word_set("what who said") == set()  # stopwords never reach a stop list


def test_edit_distance_is_capped_and_counts_transpositions():
    assert edit_distance("zakharova", "zajarova", 2) == 2
    assert edit_distance("peskov", "peksov", 2) == 1
    assert edit_distance("negotiation", "sanctions", 2) == 3  # past the cap: cap + 1


@pytest.mark.parametrize("a,b,d", [
    ("zakharova", "zajarova", 2), ("peskov", "peskow", 1), ("kyiv", "kiev", 2),
    ("sergei", "sergey", 1), ("washingston", "washington", 1),
])
def test_spelling_variants_of_names_match(a, b, d):
    assert spelling_distance(a, b) == d == spelling_distance(b, a)


@pytest.mark.parametrize("a,b", [
    ("same", "some"), ("want", "west"), ("talk", "took"), ("wall", "well"), ("held", "hold"),
    ("state", "start"), ("10000", "10001"), ("peskov", "ryabkov"), ("kiev", "riev"),
])
def test_noise_is_not_a_variant(a, b):
    assert spelling_distance(a, b) is None


def test_spelling_variants_search_a_vocabulary():
    vocab = ["zajarova", "zakharov", "kremlin", "kyiv", "kiev"]
    assert sorted(spelling_variants("zakharova", vocab)) == [("zajarova", 2), ("zakharov", 1)]
    assert spelling_variants("kyiv", vocab) == [("kiev", 2)]
    assert spelling_variants("talks", ["talk", "tanks"]) == [("talk", 0)]  # same stem
    assert in_pool("kiev", {"kyiv", "talk"}) and not in_pool("kiev", {"talk"})


def test_every_variant_retrieval_expands_is_accepted_by_the_support_check(seed_texts, tmp_path):
    """One matcher: a word retrieval expanded to must count as present for citations/coverage."""
    fts = FtsIndex(tmp_path / "lexical.sqlite3")
    fts.replace_sources([(name, paragraph_chunks(name, text)) for name, text in seed_texts.items()])
    idx = fts.query_terms()
    items = yaml.safe_load((FIXTURES_DIR / "qa.yaml").read_text(encoding="utf-8"))
    questions = [i["question"] for i in (items["items"] if isinstance(items, dict) else items)]
    checked = 0
    for q in questions:
        for tok in tokens(q):
            for cand, _ in idx.variants(tok):
                assert in_pool(stem(tok), set(content_tokens(cand))), (tok, cand)
                checked += 1
    assert checked > 20


def test_a_retrieved_name_variant_supports_the_answer(seed_texts):
    """The question says Kiev, the article Kyiv: the answer sentence is cited, not unsupported."""
    passages = [Passage(chunk=c, rank=i, score=1.0)
                for i, c in enumerate(paragraph_chunks(KYIV_SRC, seed_texts[KYIV_SRC]), 1)]
    out = attach_citations("Russia is unable to negotiate with Kiev.", passages)
    assert out.sentences[0].supported
    assert "Kyiv" in out.citations[0].text


def test_sentences_split_on_terminal_punctuation_not_abbreviations():
    text = "Mr. Peskov spoke. The U.S. said no.\n\nNew paragraph"
    assert sentences_of(text) == ["Mr. Peskov spoke.", "The U.S. said no.", "New paragraph"]


def test_trim_span_drops_outer_whitespace_only():
    text = "  a b \n"
    assert trim_span(text, 0, len(text)) == (2, 5)
    assert trim_span(text, 0, 2) == (2, 2)  # blank
