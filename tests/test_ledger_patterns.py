"""The claims ledger on made-up text: one attribution pattern per test."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from parley.actors.registry import ActorRegistry
from parley.core.schema import ArticleMeta
from parley.core.settings import Settings
from parley.ledger.build import build_ledger, extract_quotes
from tests.ledger_helpers import article as _article
from tests.ledger_helpers import one as _one
from tests.ledger_helpers import quotes_of as _quotes


@pytest.fixture(scope="module")
def registry() -> ActorRegistry:
    return ActorRegistry.load(Settings(data_dir=Path("/nonexistent-parley-test")))


# ---- made-up text: one pattern each ----------------------------------------------------------


def test_pronoun_resolves_to_last_named_speaker(registry):
    qs = _quotes("Maria Zakharova spoke on Monday. “We are ready,” she said. "
                 "Antony Blinken was in Geneva. “So are we,” he said.", registry)
    assert _one(qs, "We are ready").speaker == "Maria Zakharova"
    assert (_one(qs, "So are we").speaker, _one(qs, "So are we").actor) == ("Antony Blinken", "united-states")


def test_according_to(registry):
    qs = _quotes("According to Dmitry Peskov, the talks will resume in May. "
                 "According to the report, Sullivan met Putin's aides.", registry)
    assert [(q.text, q.speaker, q.kind) for q in qs] == [
        ("the talks will resume in May", "Dmitry Peskov", "reported")]  # a report is no speaker


def test_guillemets_and_straight_quotes(registry):
    qs = _quotes("«We are ready for dialogue», Lavrov said.\n\n"
                 "\"We will not back down,\" Blinken told reporters in Brussels.", registry)
    assert (_one(qs, "We are ready for dialogue").speaker, _one(qs, "We are ready for dialogue").actor) == (
        "Sergei Lavrov", "russia")
    q = _one(qs, "We will not back down")
    assert (q.speaker, q.actor, q.kind) == ("Antony Blinken", "united-states", "direct")


def test_single_quotes_are_not_apostrophes(registry):
    qs = _quotes("Russia’s envoy said nothing. Moscow won’t make ‘unilateral concessions’, Ryabkov said.", registry)
    assert [q.text for q in qs if q.kind == "direct"] == ["unilateral concessions"]
    assert _one(qs, "unilateral concessions").speaker == "Sergei Ryabkov"


def test_unknown_speaker_is_kept_without_actor_and_discovered(registry):
    text = "“Prices are too low,” said Jan Kowalski, a farmer near Lublin. “We will protest,” he added."
    qs = _quotes(text, registry)
    for words in ("Prices are too low", "We will protest"):
        q = _one(qs, words)
        assert (q.speaker, q.actor, q.kind) == ("Jan Kowalski", None, "direct")
    assert "Jan Kowalski" in [d.name for d in registry.discover([_article(text)])]


def test_reported_speech_forms(registry):
    qs = _quotes("Blinken said on Tuesday that Washington remains open to talks. "
                 "Interfax quoted Ryabkov as saying that the proposals were unacceptable. "
                 "The sanctions will stay in place, Sullivan told reporters.", registry)
    assert (_one(qs, "Washington remains open to talks").speaker) == "Antony Blinken"
    q = _one(qs, "the proposals were unacceptable")
    assert (q.speaker, q.kind) == ("Sergei Ryabkov", "reported")  # Interfax is the channel
    assert _one(qs, "The sanctions will stay in place").speaker == "Jake Sullivan"


def test_channels_are_not_speakers(registry):
    qs = _quotes("“It is over,” Sullivan said, as reported by TASS. "
                 "The talks failed, the state-run RIA reported.", registry)
    assert [(q.text, q.speaker) for q in qs] == [("It is over", "Jake Sullivan")]


def test_anonymous_sources(registry):
    qs = _quotes("“We are watching closely,” officials said. "
                 "“We are ready,” a State Department spokesman said. "
                 "Ukrainian officials said that the bridge was repaired.", registry)
    assert [(q.speaker, q.actor, q.kind) for q in qs] == [
        (None, None, "anonymous"), (None, "united-states", "anonymous"), (None, "ukraine", "anonymous")]
    assert qs[2].text == "the bridge was repaired"


def test_run_on_paragraph_quotes(registry):
    qs = _quotes("Talks resumed.\n\n“We came to listen.\n\n“But we will not wait forever,” Blinken said.\n\n"
                 "Lavrov said: “We are patient.\n\n“Very patient.”", registry)
    assert [(q.text, q.speaker) for q in qs] == [
        ("We came to listen.", "Antony Blinken"), ("But we will not wait forever", "Antony Blinken"),
        ("We are patient.", "Sergei Lavrov"), ("Very patient.", "Sergei Lavrov")]


def test_outlet_assertion_needs_an_actor_subject(registry):
    qs = _quotes("The Kremlin insists it is open to talks. The weather insists on rain. "
                 "NATO has promised more air defence.", registry)
    assert [(q.actor, q.kind, q.speaker) for q in qs] == [("russia", "outlet", None), ("nato", "outlet", None)]


def test_unattributed_quote_is_not_a_ledger_entry(registry):
    assert _quotes("The summit ended.\n\n“Nothing was agreed.”\n\nRain fell.", registry) == []


def test_only_kept_text_is_read(registry):
    text = "“We are ready,” Peskov said.\n\n“Buy now,” said Jan Kowalski."
    art = _article(text, kept=[(0, text.index("\n\n"))])
    assert [q.speaker for q in extract_quotes(art, registry)] == ["Dmitry Peskov"]


def test_repeats_are_deduped_and_ids_are_content_hashes(registry):
    text = "“We are ready,” Peskov said.\n\n“We are ready,” Peskov said."
    art = _article(text)
    qs = extract_quotes(art, registry)
    assert len(qs) == 1
    assert extract_quotes(art, registry)[0].id == qs[0].id  # stable
    other = _article("Intro.\n\n" + text)
    assert extract_quotes(other, registry)[0].id != qs[0].id  # another span, another id
    assert build_ledger([art, art], registry) == qs + qs


def test_dates_come_from_the_article(registry):
    art = _article("“We are ready,” Peskov said.").model_copy(
        update={"meta": ArticleMeta(date=dt.date(2022, 11, 8))})
    assert extract_quotes(art, registry)[0].date == dt.date(2022, 11, 8)


def test_parentheses_between_speaker_and_verb(registry):
    qs = _quotes("Mr. Smith, a local trader, said prices had doubled since March. "
                 "Ukrainian President Volodymyr Zelenskyy, speaking in Kyiv, said the talks were a trap. "
                 "Kyiv rejects any deal that cedes territory, Zelensky’s office said.", registry)
    assert [(q.speaker, q.speaker_title, q.actor, q.kind) for q in qs] == [
        ("Smith", "Mr.", None, "reported"),
        ("Volodymyr Zelenskyy", "Ukrainian President", "ukraine", "reported"),
        ("Zelensky’s office", None, "ukraine", "reported"),  # a body speaking, not the outlet
    ]
    assert qs[2].text == "Kyiv rejects any deal that cedes territory"


def test_sentence_subject_is_the_name_not_its_demonym(registry):
    qs = _quotes("During the visit, Ukrainian President Volodymyr Zelenskyy met Biden and stressed "
                 "that “nothing is agreed”.", registry)
    assert [(q.text, q.speaker, q.kind) for q in qs] == [("nothing is agreed", "Volodymyr Zelenskyy", "direct")]


def test_reports_without_that(registry):
    qs = _quotes("Peskov said the talks would resume in May. "
                 "Lavrov insisted the proposals were unacceptable. "
                 "Blinken announced new sanctions against Moscow.", registry)
    assert [(q.text, q.speaker, q.kind) for q in qs] == [
        ("the talks would resume in May", "Dmitry Peskov", "reported"),
        ("the proposals were unacceptable", "Sergei Lavrov", "reported")]  # an object is no clause


def test_passive_attribution_names_the_speaker(registry):
    qs = _quotes("It was said by Peskov that the talks would resume in May. "
                 "The sanctions will stay in place, it was stated by Blinken. "
                 "The deal was announced as reported by TASS.", registry)
    assert [(q.text, q.speaker, q.actor, q.kind) for q in qs] == [
        ("the talks would resume in May", "Dmitry Peskov", "russia", "reported"),
        ("The sanctions will stay in place", "Antony Blinken", "united-states", "reported")]


def test_joint_statements_credit_every_speaker(registry):
    qs = _quotes("Sullivan and Blinken said that Washington remains open to talks. "
                 "“We are ready,” Zelensky, Sullivan and Blinken said. "
                 "In Kyiv, Blinken said the bridge was repaired.", registry)
    said = [(q.text, q.speaker, q.actor) for q in qs]
    assert said == [
        ("Washington remains open to talks", "Antony Blinken", "united-states"),
        ("Washington remains open to talks", "Jake Sullivan", "united-states"),
        ("We are ready", "Antony Blinken", "united-states"),
        ("We are ready", "Jake Sullivan", "united-states"),
        ("We are ready", "Volodymyr Zelenskyy", "ukraine"),
        ("the bridge was repaired", "Antony Blinken", "united-states")]  # "In Kyiv" is no speaker
    assert len({q.id for q in qs}) == len(qs)  # each credit is its own entry


def test_a_body_that_released_the_words_states_them_too(registry):
    text = ("“If Russia is serious about diplomacy, Moscow should stop attacking cities,” said Sullivan, "
            "who spoke in Rome, according to a statement released by the White House. "
            "“We are ready,” Peskov said, according to a statement released by the Kremlin. "
            "“Talks are off,” Blinken said, according to the report.")
    qs = _quotes(text, registry)
    serious = [(q.speaker, q.actor, q.kind) for q in qs if q.text.startswith("If Russia is serious")]
    assert serious == [("Jake Sullivan", "united-states", "direct"), ("White House", "united-states", "direct")]
    ready = [(q.speaker, q.actor) for q in qs if q.text == "We are ready"]
    assert ready == [("Dmitry Peskov", "russia"), ("Kremlin", "russia")]
    # a report is a channel, not a body that speaks
    assert [q.speaker for q in qs if q.text == "Talks are off"] == ["Antony Blinken"]
