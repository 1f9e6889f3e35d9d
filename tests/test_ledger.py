"""The claims ledger: exact quote spans, speakers, actors and kinds, on the seeds and on made-up text.

Expected values below were written by reading the seed articles, not by running the code.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from parley.actors.registry import ActorRegistry
from parley.core.schema import Article, ArticleMeta, Quote
from parley.core.settings import Settings
from parley.ledger.build import build_ledger, extract_quotes, ledger_for_actor
from vectorstore.loader import read_article

S000, S001, S002 = "000_997b5712c965d847.txt", "001_a8fea508baf53730.txt", "002_8da615250590acec.txt"
S003, S004 = "003_b571c39c7b842e1b.txt", "004_f3e46d03c645a3eb.txt"


@pytest.fixture(scope="module")
def registry() -> ActorRegistry:
    return ActorRegistry.load(Settings(data_dir=Path("/nonexistent-parley-test")))


def _article(text: str, kept: list[tuple[int, int]] | None = None) -> Article:
    return Article(doc_id="made_up.txt", path="made_up.txt", kind="txt", text=text,
                   content_hash="h", kept=kept if kept is not None else [(0, len(text))])


def _quotes(text: str, registry: ActorRegistry) -> list[Quote]:
    art = _article(text)
    quotes = extract_quotes(art, registry)
    for q in quotes:
        assert text[q.start : q.end] == q.text
        assert text[q.sentence.start : q.sentence.end] == q.sentence.text
    return quotes


def _one(quotes: list[Quote], text: str) -> Quote:
    hits = [q for q in quotes if q.text == text]
    assert len(hits) == 1, f"{text!r} found {len(hits)} times in {[q.text for q in quotes]}"
    return hits[0]


# ---- the seeds: all text kept, and through the project's loader (kept spans, sidecar dates) ---


def _whole(path: Path) -> Article:
    """A seed with all its text kept and the sidecar's date (no loader involved)."""
    meta = json.loads(path.with_suffix(".meta.json").read_text(encoding="utf-8"))
    art = _article(path.read_text(encoding="utf-8"))
    date = dt.date.fromisoformat(meta["date"]) if meta["date"] else None
    return art.model_copy(update={"doc_id": path.name, "meta": ArticleMeta(date=date)})


@pytest.fixture(scope="module", params=["whole", pytest.param("loader", marks=pytest.mark.integration)])
def seeds(request, registry) -> dict[str, tuple[Article, list[Quote]]]:
    """Each seed and its ledger: all text kept, and (integration) through the project's loader."""
    out = {}
    for p in sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt")):
        if request.param == "loader":
            art = read_article(p, max_bytes=10_000_000)
        else:
            art = _whole(p)
        out[p.name] = (art, extract_quotes(art, registry))
    return out


def test_every_seed_quote_is_an_exact_span(seeds):
    total = 0
    for art, quotes in seeds.values():
        ids = [q.id for q in quotes]
        assert len(ids) == len(set(ids))
        for q in quotes:
            total += 1
            assert q.source == art.doc_id
            assert art.text[q.start : q.end] == q.text and q.text.strip() == q.text and q.text
            assert art.text[q.sentence.start : q.sentence.end] == q.sentence.text
            assert q.sentence.start <= q.start and q.end <= q.sentence.end
            assert any(a <= q.start and q.end <= b for a, b in art.kept)  # never from boilerplate
            assert q.date == art.meta.date
            if q.kind == "direct":
                assert q.speaker and "“" not in q.text and "”" not in q.text
            if q.kind in ("anonymous", "outlet"):
                assert q.speaker is None
    assert total >= 30


@pytest.mark.parametrize(
    ("source", "text", "sentence", "speaker", "title", "actor", "kind"),
    [
        (S000, "Right now there is no active negotiation process (with the United States), of course",
         "“Right now there is no active negotiation process (with the United States), of course,” "
         "Russian Foreign Ministry spokeswoman Maria Zajarova said, as reported by the Russian news "
         "agency TASS.",
         "Maria Zakharova", "Russian Foreign Ministry spokeswoman", "russia", "direct"),
        (S000, "We maintain separate contacts on different problems that arise and that are not even "
         "problematic. They are specific contacts",  # "he said": the translator's pronoun
         "“We maintain separate contacts on different problems that arise and that are not even "
         "problematic. They are specific contacts,” he said, before emphasizing that Moscow bet for "
         "months on “building a negotiation process with the United States on several tracks,” "
         "including security and tensions around Ukraine.",
         "Maria Zakharova", "Russian Foreign Ministry spokeswoman", "russia", "direct"),
        (S000, "If Russia is serious about diplomacy, Moscow should stop attacking Ukrainian cities",
         "“If Russia is serious about diplomacy, Moscow should stop attacking Ukrainian cities,” said "
         "Sullivan, who made a direct allusion to the “consequences and implications” that the "
         "possible use of chemical or biological weapons in Ukraine would have, without entering in "
         "details, according to a statement released by the White House.",
         "Jake Sullivan", "US National Security Adviser", "united-states", "direct"),
        (S001, "We have nothing to say about this report",
         "“We have nothing to say about this report,” Kremlin spokesman Dmitry Peskov told reporters.",
         "Dmitry Peskov", "Kremlin spokesman", "russia", "direct"),
        (S001, "I don’t know if that’s the case or not",
         "“I don’t know if that’s the case or not,” Peskow said.",
         "Dmitry Peskov", "Kremlin spokesman", "russia", "direct"),
        (S001, "I reiterate there are honest reports, but the purely speculative reports constitute "
         "the vast majority.",
         "As he said, “I reiterate there are honest reports, but the purely speculative reports "
         "constitute the vast majority.”",
         "Dmitry Peskov", "Kremlin spokesman", "russia", "direct"),
        (S002, "This is the largest troop mobilization in decades, and right now Russia is sending even "
         "more troops and weapons",
         "“This is the largest troop mobilization in decades, and right now Russia is sending even "
         "more troops and weapons,” she said.",
         "Linda Thomas-Greenfield", "US Ambassador", "united-states", "direct"),
        (S002, "The discussion of an imminent threat is provocative in itself. They are almost calling "
         "for it. They want it to happen",
         "“The discussion of an imminent threat is provocative in itself. They are almost calling for "
         "it. They want it to happen,” Nebenzya said.",
         "Vasily Nebenzya", "Russian Ambassador", "russia", "direct"),
        (S002, "It is not productive to negotiate in public, so we leave it to Russia to discuss its "
         "answer if it wishes",
         "“It is not productive to negotiate in public, so we leave it to Russia to discuss its answer "
         "if it wishes,” said a ministry spokeswoman.",
         None, "ministry spokeswoman", "united-states", "anonymous"),  # the State Department's
        (S002, "We remain fully committed to resolving these issues through dialogue and we remain in "
         "close consultation with our allies and partners, including Ukraine",
         "“We remain fully committed to resolving these issues through dialogue and we remain in close "
         "consultation with our allies and partners, including Ukraine,” it said.",
         None, "ministry spokeswoman", "united-states", "anonymous"),
        (S003, "I don’t think that, in the foreseeable future, the dialogue will return to how it was "
         "before its unilateral suspension by the US",
         "“I don’t think that, in the foreseeable future, the dialogue will return to how it was before "
         "its unilateral suspension by the US,” Ryabkov told reporters on the sidelines of an "
         "international policy forum in Moscow.",
         "Sergei Ryabkov", "Russian Deputy Foreign Minister", "russia", "direct"),
        (S003, "Unilateral concessions from our side are out of the question",
         "“Unilateral concessions from our side are out of the question,” Ryabkov stressed.",
         "Sergei Ryabkov", "Russian Deputy Foreign Minister", "russia", "direct"),
        (S003, "Right now, it’s not even an issue of concessions or the search for compromises, but "
         "whether there is any sense in communications of that sort.",  # no tag: same paragraph
         "“Right now, it’s not even an issue of concessions or the search for compromises, but whether "
         "there is any sense in communications of that sort.”",
         "Sergei Ryabkov", "Russian Deputy Foreign Minister", "russia", "direct"),
        (S003, "Meaningful negotiations with the US are impossible under the current circumstances",
         "Meaningful negotiations with the US are impossible under the current circumstances, Russian "
         "Deputy Foreign Minister Sergey Ryabkov said on Monday.",
         "Sergei Ryabkov", "Russian Deputy Foreign Minister", "russia", "reported"),
        (S004, "abstract",  # relayed: the ministry "quoted Ryabkov as saying"
         "She also quoted Deputy Foreign Minister Sergei Ryabkov as saying that the US response to this "
         "issue had so far been “abstract” and that it was crucial that the military take part in the "
         "NATO talks.",
         "Sergei Ryabkov", "Deputy Foreign Minister", "russia", "reported"),
        (S004, "If we sit down to talk, Russia can raise its concerns and we will share our concerns "
         "with Russia’s activities as a good.",
         "The White House National Security Council spokesman, who refused to be named, said on "
         "Monday: “If we sit down to talk, Russia can raise its concerns and we will share our "
         "concerns with Russia’s activities as a good.”",
         None, "White House National Security Council spokesman", "united-states", "anonymous"),
        (S004, "There will be areas where we can move forward and areas where we disagree. That’s what "
         "diplomacy is about.",  # the next paragraph, closed by a stray opening mark
         "“There will be areas where we can move forward and areas where we disagree. That’s what "
         "diplomacy is about. “",
         None, "White House National Security Council spokesman", "united-states", "anonymous"),
        (S004, "US and Russian officials will attend security talks on Jan. 10 as countries face "
         "mounting tensions over Ukraine",
         "US and Russian officials will attend security talks on Jan. 10 as countries face mounting "
         "tensions over Ukraine, a Biden government spokesman said.",
         None, "Biden government spokesman", "united-states", "anonymous"),
    ],
)
def test_seed_quotes_speaker_actor_kind(seeds, source, text, sentence, speaker, title, actor, kind):
    _, quotes = seeds[source]
    q = _one(quotes, text)
    assert q.sentence.text == sentence
    assert (q.speaker, q.speaker_title, q.actor, q.kind) == (speaker, title, actor, kind)


def test_seed_scare_quotes_belong_to_the_sentence_speaker(seeds):
    _, q000 = seeds[S000]
    for frag in ("firm and clear", "unjustified", "costs", "consequences and implications"):
        q = _one(q000, frag)
        assert (q.speaker, q.actor, q.kind) == ("Jake Sullivan", "united-states", "direct")
    assert _one(q000, "building a negotiation process with the United States on several tracks").speaker == "Maria Zakharova"
    _, q002 = seeds[S002]
    for frag in ("megaphone diplomacy", "war hysteria"):
        assert (_one(q002, frag).speaker, _one(q002, frag).kind) == ("Vasily Nebenzya", "direct")
    _, q003 = seeds[S003]
    assert _one(q003, "lecturing").speaker == "Dmitry Peskov"
    assert _one(q003, "as long as it takes.").speaker == "Joe Biden"
    assert _one(q003, "strategic stability.").speaker == "Sergei Ryabkov"


def test_seed_no_bogus_speakers(seeds):
    speakers = {q.speaker for _, quotes in seeds.values() for q in quotes}
    # objects, channels and reports are never speakers
    assert not {"Nikolai Patrushev", "TASS", "RIA", "Wall Street Journal", "Washington Post"} & speakers
    for _, quotes in seeds.values():
        for q in quotes:
            assert q.speaker is None or not any(w in q.speaker for w in ("report", "statement", "“"))


def test_seed_outlet_assertions_and_reported_bodies(seeds):
    _, q002 = seeds[S002]
    q = _one(q002, "The Kremlin assures it has no intention of attacking, but demands an acknowledgment "
                   "of its security interests.")
    assert (q.speaker, q.actor, q.kind) == (None, "russia", "outlet")
    assert q.sentence.text == q.text
    _, q001 = seeds[S001]
    q = _one(q001, "Russia is always open to negotiations with Ukraine")  # "…, saying Russia is…"
    assert (q.speaker, q.actor, q.kind) == ("Kremlin", "russia", "reported")
    _, q004 = seeds[S004]
    q = _one(q004, "Moscow will discuss its security demands with Washington on January 10")
    assert (q.speaker, q.actor, q.kind) == ("Russian Foreign Ministry", "russia", "reported")  # not RIA
    _, q003 = seeds[S003]
    assert _one(q003, "unilateral concessions").kind == "anonymous"  # "a senior diplomat has said"


def test_seed_undated_article_and_ledger_for_actor(seeds):
    quotes = [q for _, qs in seeds.values() for q in qs]
    assert all(q.date is None for q in quotes if q.source == S003)
    us = ledger_for_actor(quotes, "united-states")
    assert us and all(q.actor == "united-states" for q in us)
    dated = [q.date for q in us if q.date is not None]
    assert dated == sorted(dated) and us[-1].date is None  # oldest first, undated last
    assert us[0].source == S004  # 2021-12-28, the oldest seed
    assert {q.source for q in ledger_for_actor(quotes, "yasno")} == {S001}


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
