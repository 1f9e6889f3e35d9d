"""The claims ledger on the seeds: exact quote spans, speakers, actors and kinds (made-up text: test_ledger_patterns.py).

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
from parley.ledger.build import extract_quotes, ledger_for_actor, spoken_by
from tests.ledger_helpers import article as _article
from tests.ledger_helpers import one as _one
from vectorstore.loader import read_article

S000, S001, S002 = "000_997b5712c965d847.txt", "001_a8fea508baf53730.txt", "002_8da615250590acec.txt"
S003, S004 = "003_b571c39c7b842e1b.txt", "004_f3e46d03c645a3eb.txt"


@pytest.fixture(scope="module")
def registry() -> ActorRegistry:
    return ActorRegistry.load(Settings(data_dir=Path("/nonexistent-parley-test")))


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
    # the first entry of the words: the speaker's own (co-speakers' entries follow it)
    q = next(q for q in quotes if q.text == text)
    assert q.sentence.text == sentence
    assert (q.speaker, q.speaker_title, q.actor, q.kind) == (speaker, title, actor, kind)


def test_seed_scare_quotes_belong_to_the_sentence_speaker(seeds):
    _, q000 = seeds[S000]
    for frag in ("firm and clear", "unjustified", "costs"):
        q = _one(q000, frag)
        assert (q.speaker, q.actor, q.kind) == ("Jake Sullivan", "united-states", "direct")
    # released by the White House: its words too
    assert [(q.speaker, q.kind) for q in q000 if q.text == "consequences and implications"] == [
        ("Jake Sullivan", "direct"), ("White House", "direct")]
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



def test_spoken_by_keeps_a_members_own_words_and_a_states_all(seeds, registry):
    quotes = [q for _, qs in seeds.values() for q in qs]
    russia, peskov = registry.lookup("Russia"), registry.lookup("Dmitry Peskov")
    assert russia.member is None and peskov.member.name == "Dmitry Peskov"
    everyone = spoken_by(quotes, registry, russia)
    own = spoken_by(quotes, registry, peskov)
    assert everyone == [q for q in quotes if q.actor == "russia"]
    assert own and all("Peskov" in q.speaker for q in own)
    assert [q for q in everyone if q.speaker and "Peskov" in q.speaker] == own
    assert {q.speaker for q in everyone} - {q.speaker for q in own}  # Ryabkov, Zakharova, ...


def test_seed_white_house_is_credited_with_the_statement_it_released(seeds):
    _, quotes = seeds[S000]
    words = "If Russia is serious about diplomacy, Moscow should stop attacking Ukrainian cities"
    assert [(q.speaker, q.actor, q.kind) for q in quotes if q.text == words] == [
        ("Jake Sullivan", "united-states", "direct"), ("White House", "united-states", "direct")]
