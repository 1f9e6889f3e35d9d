"""The actor registry: resolving names, finding mentions, user extensions, discovery, `parley actors`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from parley.actors.registry import ActorRegistry, RegistryError
from parley.cli.actors import cmd_actors
from parley.core.schema import Article
from parley.core.settings import Settings
from vectorstore.docstore import DocStore
from vectorstore.loader import read_article


@pytest.fixture
def registry() -> ActorRegistry:
    return ActorRegistry.load(Settings())


def _article(text: str, doc_id: str = "made_up.txt", kept: list[tuple[int, int]] | None = None) -> Article:
    return Article(doc_id=doc_id, path=doc_id, kind="txt", text=text, content_hash="h",
                   kept=kept if kept is not None else [(0, len(text))])


@pytest.mark.parametrize(
    ("name", "actor", "member"),
    [
        ("Zajarova’s", "russia", "Maria Zakharova"),  # possessive, Spanish spelling
        ("MARÍA ZAJÁROVA", "russia", "Maria Zakharova"),  # case and accents
        ("Zakharova", "russia", "Maria Zakharova"),
        ("Kremlin spokesman Dmitry Peskov", "russia", "Dmitry Peskov"),  # title in front
        ("Peskow", "russia", "Dmitry Peskov"),  # German spelling
        ("Russian Deputy Foreign Minister Sergey Ryabkov", "russia", "Sergei Ryabkov"),
        ("Nebenzya", "russia", "Vasily Nebenzya"),  # surname only
        ("Thomas Greenfield", "united-states", "Linda Thomas-Greenfield"),  # hyphen dropped
        ("the White House", "united-states", "White House"),
        ("Washington", "united-states", None),
        ("Biden government", "united-states", None),
        ("Zelensky", "ukraine", "Volodymyr Zelenskyy"),
        ("Kiev", "ukraine", None),
        ("NATO chief", "nato", "Jens Stoltenberg"),
        ("UN Security Council", "un-security-council", None),
        ("Organization for Security and Co-operation in Europe", "osce", None),
        ("Yasnu", "yasno", None),
    ],
)
def test_resolve_names_titles_spellings(registry, name, actor, member):
    assert registry.resolve(name).id == actor
    m = registry.lookup(name)
    assert (m.member.name if m.member else None) == member


def test_unknown_names_do_not_resolve(registry):
    assert registry.resolve("Jan Kowalski") is None
    assert registry.resolve("a ministry spokeswoman") is None
    assert registry.lookup_exact("Kremlin spokesman Dmitry Peskov") is None  # exact means exact


def test_channels_are_not_actors(registry):
    assert registry.is_channel("TASS")
    assert registry.is_channel("the Russian news agency TASS")
    assert registry.is_channel("the state-run RIA")
    assert not registry.is_channel("Kremlin")


def test_find_mentions_spans_are_exact(registry):
    text = ("Zajarova’s words came after Jake Sullivan spoke. The Washington Post said "
            "let us wait; the US and the Kremlin disagree, Thomas Greenfield said.")
    found = registry.find_mentions(text)
    for m in found:
        assert text[m.start : m.end] == m.surface
    got = [(m.surface, m.actor_id, m.member) for m in found]
    assert got == [
        ("Zajarova", "russia", "Maria Zakharova"),
        ("Jake Sullivan", "united-states", "Jake Sullivan"),
        ("US", "united-states", None),  # the pronoun "us" is not the US
        ("Kremlin", "russia", "Kremlin"),
        ("Thomas Greenfield", "united-states", "Linda Thomas-Greenfield"),
    ]  # "Washington Post" is an outlet, not Washington


def test_find_mentions_respects_the_range(registry):
    text = "Putin spoke. Biden answered."
    assert [m.surface for m in registry.find_mentions(text, 13, len(text))] == ["Biden"]


def test_query_aliases_expands_spellings(registry):
    got = registry.query_aliases("What did Zakharova say about Kyiv?")
    assert "Zajarova" in got and "Maria Zajarova" in got
    assert "Kiev" in got
    assert "Zakharova" not in got  # what was asked is not repeated
    assert "Moscow" not in registry.query_aliases("Is Russia open to talks?")  # spellings, not synonyms
    assert registry.query_aliases("What about the weather?") == []


def test_user_file_extends_the_shipped_registry(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "actors.yaml").write_text(
        "actors:\n"
        "  - id: russia\n    name: Russia\n    kind: state\n    aliases: [Rossiya]\n"
        "    members:\n      - name: Dmitry Peskov\n        aliases: [Peskoff]\n"
        "  - id: poland\n    name: Poland\n    kind: state\n    aliases: [Warsaw]\n"
        "    members:\n      - name: Radek Sikorski\n        title: Polish Foreign Minister\n"
        "channels: [Rzeczpospolita]\n",
        encoding="utf-8",
    )
    reg = ActorRegistry.load(settings)
    assert reg.resolve("Rossiya").id == "russia"
    assert reg.lookup("Peskoff").member.name == "Dmitry Peskov"
    assert reg.lookup("Peskov").member.name == "Dmitry Peskov"  # shipped aliases survive the merge
    assert reg.resolve("Sikorski").id == "poland"  # surname derived from the full name
    assert reg.resolve("Zajarova").id == "russia"
    assert reg.is_channel("Rzeczpospolita") and reg.is_channel("TASS")


def test_bad_user_file_is_one_line_naming_the_file(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    bad = settings.data_dir / "actors.yaml"
    bad.write_text("actors:\n  - id: x\n    name: X\n    kind: planet\n", encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        ActorRegistry.load(settings)
    assert str(bad) in str(err.value) and "\n" not in str(err.value)
    bad.write_text("actors: [unclosed\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="actors.yaml"):
        ActorRegistry.load(settings)


def test_shared_surnames_are_not_guessed():
    reg = ActorRegistry.from_yaml(
        "actors:\n"
        "  - {id: a, name: A, kind: state, members: [{name: Anna Smith}]}\n"
        "  - {id: b, name: B, kind: state, members: [{name: John Smith}]}\n"
    )
    assert reg.resolve("Anna Smith").id == "a"
    assert reg.resolve("Smith") is None  # two Smiths: a surname alone is ambiguous


def test_discover_lists_unknown_people_with_counts_and_sources(registry):
    one = _article("“We will see,” said Jan Kowalski, a farmer. Peskov and TASS said nothing. "
                   "Jan Kowalski left for the Baltic Grain Council meeting.", "one.txt")
    two = _article("Farmer Jan Kowalski spoke to the Washington Post. Spokesman Nowak refused.", "two.txt")
    found = {d.name: d for d in registry.discover([one, two])}
    assert found["Jan Kowalski"].count == 3
    assert found["Jan Kowalski"].sources == ["one.txt", "two.txt"]
    assert "Baltic Grain Council" in found
    assert "Nowak" in found  # a surname after a title word
    assert not {"Peskov", "TASS", "Washington Post", "Washington"} & set(found)
    name, count, sources = registry.discover([one])[0]  # plain (name, count, sources) tuples
    assert (name, count, sources) == ("Jan Kowalski", 2, ["one.txt"])


def test_discover_reads_only_kept_text(registry):
    text = "Jan Kowalski spoke.\n\nSubscribe to Mega Casino Bonus today."
    art = _article(text, kept=[(0, len("Jan Kowalski spoke."))])
    assert [d.name for d in registry.discover([art])] == ["Jan Kowalski"]


def test_cmd_actors_lists_registry_and_unknown_names(tmp_path, capsys):
    settings = Settings(data_dir=tmp_path / "data")
    DocStore(settings.articles_dir).put(_article("“Fine,” said Jan Kowalski of Lublin."), chunks=1)
    assert cmd_actors(argparse.Namespace(json=True, limit=5), settings) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["articles"] == 1
    assert [u["name"] for u in out["unknown"]] == ["Jan Kowalski"]
    assert {"russia", "united-states", "ukraine", "nato"} <= {a["id"] for a in out["actors"]}
    assert cmd_actors(argparse.Namespace(json=False, limit=5), settings) == 0
    text = capsys.readouterr().out
    assert "Jan Kowalski" in text and "russia" in text


@pytest.mark.integration
def test_discover_on_the_seeds_with_the_real_cleaner(registry, seeds_dir: Path):
    """Every person the seeds quote is known; what discovery reports is not a known name."""
    articles = _real_articles(seeds_dir)
    found = registry.discover(articles)
    names = {d.name for d in found}
    for known in ("Maria Zajarova", "Jake Sullivan", "Sergei Kovalenko", "Linda Thomas-Greenfield",
                  "Wall Street Journal", "TASS", "RIA"):
        assert known not in names
    for d in found:
        assert registry.resolve(d.name) is None or not registry.knows(d.name)
        assert d.count >= 1 and d.sources
    assert "BetMGM Casino" not in names  # boilerplate is not read


def _real_articles(seeds_dir: Path) -> list[Article]:
    """The seeds through the project's loader."""
    return [read_article(p, max_bytes=10_000_000) for p in sorted(seeds_dir.glob("*.txt"))]


# --- one-word aliases need more than a bare surname ----------------------------------------
CCD = (
    "actors:\n"
    "  - id: ccd\n    name: Centre for Countering Disinformation\n    kind: organisation\n"
    "    aliases: [CCD, Kovalenko]\n"
    "    members: [{name: Andriy Kovalenko, title: head}]\n"
)


def test_bare_surname_alias_does_not_claim_another_person():
    reg = ActorRegistry.from_yaml(CCD)
    assert reg.resolve("Andriy Kovalenko").id == "ccd"
    assert reg.resolve("Kovalenko").id == "ccd"  # alone: the registry's Kovalenko
    assert reg.resolve("head Kovalenko").id == "ccd"  # a title in front is fine
    assert reg.resolve("Oleksandr Kovalenko") is None  # somebody else with that surname
    assert reg.resolve("analyst Oleksandr Kovalenko") is None


def test_bare_surname_mentions_need_their_own_given_name():
    reg = ActorRegistry.from_yaml(CCD)
    text = ("Andriy Kovalenko spoke first. Military analyst Oleksandr Kovalenko disagreed. "
            "Later, spokesman Kovalenko replied.")
    found = [(m.actor_id, m.surface, m.start) for m in reg.find_mentions(text)]
    surfaces = [(m.surface, m.start) for m in reg.find_mentions(text)]
    assert ("Andriy Kovalenko", 0) in surfaces
    assert all(text[s - len("Oleksandr ") : s] != "Oleksandr " for _, s in surfaces), found
    assert sum(1 for s, _ in surfaces if s == "Kovalenko") == 1  # only "spokesman Kovalenko"


def test_state_one_word_aliases_are_not_surnames(registry):
    assert registry.resolve("Soviet Russia").id == "russia"
    text = "Talks between Washington and Moscow resumed."
    assert {m.actor_id for m in registry.find_mentions(text)} >= {"russia", "united-states"}
