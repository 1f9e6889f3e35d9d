"""The answer-kind rule: a "how many", "when" or "what did X say" question needs a sentence that
carries that kind of answer. Made-up passages; the ledger check runs the real ledger and registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from chains.abstain import AbstainPolicy, check_kind
from chains.answer_kind import Kind, ledger_said, missing_kind, question_kind
from parley.actors.registry import ActorRegistry
from parley.core.schema import Chunk, Passage
from parley.core.settings import Settings
from parley.ledger.build import extract_quotes
from parley.text.expressions import has_date, has_quantity
from tests.ledger_helpers import article


@pytest.mark.parametrize("text, date, qty", [
    ("Russia may agree to talks.", False, False),          # "may" the verb, no number
    ("The talks open on May 9 in Geneva.", True, True),
    ("Sullivan spoke with Patrushev on Wednesday.", True, False),
    ("The march went on for hours.", False, False),
    ("Officials met last week.", True, False),
    ("The bill includes $45 billion for Ukraine.", False, True),
    ("Power was cut to 32% of homes in 2022.", True, True),
    ("He said one of them would go.", False, False),        # "one" is a pronoun here
    ("Some 100,000 troops massed at the border.", False, True),
])
def test_dates_and_quantities(text, date, qty):
    assert (has_date(text), has_quantity(text)) == (date, qty)


@pytest.mark.parametrize("question, kind", [
    ("How many households in Kyiv were left without power?", Kind("quantity", "households in Kyiv")),
    ("Exactly how many troops did Russia mass?", Kind("quantity", "troops")),
    ("How much did the bill include for Ukraine?", Kind("quantity", "")),
    ("When did Sullivan call Patrushev?", Kind("time")),
    ("On which day of the week did the call take place?", Kind("time")),
    ("What did Dmitry Peskov say about unilateral concessions?",
     Kind("speaker", "Dmitry Peskov", "unilateral concessions")),
    ("What did they say?", None),                           # no name: no speaker to check
    ("What did the State Department say?", Kind("speaker", "the State Department")),  # "State" no verb
    ("What did Lavrov and Blinken agree in their phone call?", Kind("speaker", "Lavrov and Blinken")),
    ("What did Russia's deputy foreign minister say?", Kind("speaker", "Russia's deputy foreign minister")),
    ("What did the talks in Geneva call for?", None),      # not a speaker's name
    ("Why did the talks fail?", None),
])
def test_question_kinds(question, kind):
    assert question_kind(question) == kind


def test_noun_head_stops_at_the_first_preposition():
    assert question_kind("How many households in Kyiv lost power?", head="noun").subject == "households"


PASSAGES = ["Kyiv's utility chief said the city faced a 32% electricity shortfall. Residents "
            "were told to stock up on water.",
            "The talks between the two sides were held in Geneva on January 10."]


@pytest.mark.parametrize("question, missing", [
    ("How many households in Kyiv were left without power?", True),   # no number of households
    ("How big an electricity shortfall did the utility chief report in Kyiv?", False),  # no kind
    ("How much of an electricity shortfall did Kyiv face?", False),   # 32% beside "shortfall"
    ("When were the talks in Geneva held?", False),
    ("When did the residents stock up on water?", True),              # no dated sentence on it
])
def test_missing_kind_over_passages(question, missing):
    assert (missing_kind(question, PASSAGES, time_share=0.5) is not None) == missing


def test_a_multi_part_question_abstains_only_when_every_part_lacks_its_kind():
    policy = AbstainPolicy()
    both = "How many households lost power, and when were the talks in Geneva held?"
    assert not check_kind(both, PASSAGES, policy).abstain
    neither = "How many households lost power, and when did residents stock up on water?"
    d = check_kind(neither, PASSAGES, policy)
    assert d.abstain and d.rule == "kind" and "a number of households" in d.reason
    assert not check_kind(neither, PASSAGES, AbstainPolicy(kind_rule=False)).abstain


TEXT = ("Kremlin spokesman Dmitry Peskov said on Tuesday that Moscow was open to talks. "
        "US National Security Adviser Jake Sullivan held a call with Nikolai Patrushev.")


@pytest.fixture(scope="module")
def said():
    registry = ActorRegistry.load(Settings(data_dir=Path("/nonexistent-parley-test")))
    quotes = extract_quotes(article(TEXT), registry)
    chunk = Chunk(id="c0", source="made_up.txt", start=0, end=len(TEXT), text=TEXT, index=0,
                  doc_hash="h")
    stored = {"made_up.txt": quotes}
    return ledger_said(registry, stored.get, [Passage(chunk=chunk, rank=1, score=1.0)])


def test_speaker_rule_reads_the_stored_ledger(said):
    assert said("Dmitry Peskov", [], 0.0) is True
    assert said("Peskov", ["talk"], 0.0) is True
    assert said("Peskov", ["sanction"], 0.0) is False       # he speaks, but not about that
    assert said("Nikolai Patrushev", [], 0.0) is False      # named, but only as the one called
    assert said("Somebody Unknown", [], 0.0) is None        # not in the registry: no conclusion
    q = "What did Nikolai Patrushev tell Sullivan during the call?"
    assert missing_kind(q, [TEXT], said=said) == Kind("speaker", "Nikolai Patrushev")
    assert missing_kind("What did Peskov say about talks?", [TEXT], said=said) is None
