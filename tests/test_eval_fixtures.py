"""The shipped gold data is well-formed and true to the seeds; the loaders reject bad files."""

from __future__ import annotations

import random
import textwrap

import pytest

from evals.fixtures import (
    FIXTURES_DIR,
    STANCE_LABELS,
    FixtureError,
    from_schema_label,
    load_qa,
    load_stance,
    load_stance_csv,
    to_schema_label,
)
from evals.metrics import (
    boilerplate_leakage,
    citation_precision,
    citation_recall,
    fact_recall,
    forbidden_present,
    mean_defined,
    span_validity,
)
from parley.core.schema import Answer, Citation
from parley.text.sentences import split_sentences
from vectorstore.loader import read_article

QA = FIXTURES_DIR / "qa.yaml"
STANCE = FIXTURES_DIR / "stance.yaml"
NEG = "negotiations between the parties"


@pytest.fixture
def qa(seeds_dir):
    return load_qa(QA, corpus_dir=seeds_dir)


@pytest.fixture
def stance(seeds_dir):
    return load_stance(STANCE, corpus_dir=seeds_dir)


# ---------------------------------------------------------------- the shipped gold data


def test_qa_set_has_the_required_mix(qa):
    tags = [t for it in qa for t in it.tags]
    assert len(qa) >= 30
    assert sum(not it.answerable for it in qa) >= 6
    assert tags.count("spelling-variant") >= 5 and tags.count("multi-doc") >= 3
    assert {"anonymous-source", "undated", "date", "numeric"} <= set(tags)
    assert all(len(it.sources) >= 2 for it in qa if "multi-doc" in it.tags)
    # the kinds issue 10 (evidence-first answers) is about
    assert tags.count("who") >= 5 and tags.count("multi-part") >= 5 and tags.count("absent") >= 15
    assert all("multi-doc" in it.tags and len(it.facts) >= 2 for it in qa if "multi-part" in it.tags)
    assert sum(bool(it.forbidden) for it in qa) >= 5
    assert all(it.forbidden for it in qa if "negation" in it.tags)
    # the kinds the abstention rules are tuned on: near misses are unanswerable and also `absent`
    assert tags.count("near-miss") >= 8
    assert all(not it.answerable and "absent" in it.tags for it in qa if "near-miss" in it.tags)


def test_forbidden_claims_occur_in_no_seed(qa, seed_texts):
    """Quoting any seed verbatim never counts as a misreading: a forbidden claim is never in the text."""
    for it in qa:
        for source, text in seed_texts.items():
            assert not forbidden_present(text, it.forbidden), f"{it.id}: a forbidden phrasing occurs in {source}"


def test_the_misreading_of_issue_10_is_forbidden_and_its_correct_answer_is_not(qa):
    item = next(it for it in qa if it.id == "qa-002-security-demands")
    wrong = "Russia demanded NATO not expand further east and halt diplomatic efforts to avoid conflict [1]."
    right = ("Russia demanded that NATO not expand further east [1], guarantees that Ukraine will never join "
             "NATO and a withdrawal of NATO troops from Eastern Europe [2]. Washington did not respond, but "
             "it also failed to halt diplomatic efforts to avoid conflict [1].")
    assert forbidden_present(wrong, item.forbidden) and not forbidden_present(right, item.forbidden)
    assert fact_recall(right, item.facts) == 1.0 and fact_recall(wrong, item.facts) == pytest.approx(1 / 3)


def test_every_answerable_fact_occurs_literally_unless_marked_variant(qa, seed_texts):
    for it in qa:
        assert all(s in seed_texts for s in it.sources), it.id
        if not it.answerable:
            continue
        corpus = " ".join(seed_texts[s] for s in it.sources).casefold()
        for i, phrasings in enumerate(it.facts):
            literal = any(p.casefold() in corpus for p in phrasings)
            if i in it.variant_facts:
                assert not literal, f"{it.id} fact {i} occurs literally: drop it from variant_facts"
            else:
                assert literal, f"{it.id} fact {i} {phrasings} not in {it.sources}"


def test_spelling_variant_questions_really_use_another_spelling(qa, seed_texts):
    """A spelling-variant question names at least one word its sources never spell that way."""
    for it in qa:
        if "spelling-variant" not in it.tags:
            continue
        corpus = " ".join(seed_texts[s] for s in it.sources).casefold()
        names = [w.strip("?'s,.\"") for w in it.question.split() if w[:1].isupper()]
        assert any(n.casefold() not in corpus for n in names if n), it.id


def test_stance_set_covers_both_actors_in_every_article(stance, seed_texts):
    for source in seed_texts:
        actors = {s.actor for s in stance if s.source == source and s.topic == NEG}
        assert {"Russia", "United States"} <= actors, source
    assert {s.label for s in stance} == set(STANCE_LABELS)
    assert any(s.actor == "Ukraine" for s in stance) and any("other-topic" in s.tags for s in stance)


def test_stance_evidence_is_verbatim_and_none_has_none(stance, seed_texts):
    for s in stance:
        for snippet in s.evidence:
            assert snippet in seed_texts[s.source], f"{s.id}: {snippet!r}"
        assert bool(s.evidence) == (s.label != "none"), s.id
        assert s.schema_label == to_schema_label(s.label)
    assert to_schema_label("none") is None and from_schema_label(None) == "none"
    assert from_schema_label("open") == "open"


def _sentence_with(text: str, phrase: str) -> tuple[int, int]:
    folded = text.casefold()
    for a, b in split_sentences(text):
        if phrase.casefold() in folded[a:b]:
            return a, b
    raise AssertionError(f"{phrase!r} not inside one sentence")


def _oracle(item, texts, shuffle: random.Random | None = None) -> Answer:
    """An answer that copies, for each fact, the source sentence stating it and cites it."""
    cites, sents = [], []
    for i, phrasings in enumerate(item.facts):
        if i in item.variant_facts:
            continue
        src, p = next((s, p) for p in phrasings for s in item.sources if p.casefold() in texts[s].casefold())
        a, b = _sentence_with(texts[src], p)
        sents.append(texts[src][a:b])
        if shuffle:  # control: cite a random sentence of another article instead
            src = shuffle.choice([s for s in texts if s not in item.sources])
            a, b = shuffle.choice(split_sentences(texts[src]))
        cites.append(Citation(source=src, start=a, end=b, text=texts[src][a:b], n=len(cites) + 1))
    prose = " ".join(f"{s} [{c.n}]" for s, c in zip(sents, cites, strict=True))
    return Answer(question=item.question, answer=prose, citations=cites)


def test_copying_oracle_scores_perfectly_and_wrong_citations_do_not(qa, seed_texts):
    """The gold facts and the lexical judge agree on the real seeds."""
    rng = random.Random(0)
    good, bad = [], []
    for it in qa:
        if not it.answerable or len(it.variant_facts) == len(it.facts):
            continue
        ans = _oracle(it, seed_texts)
        assert fact_recall(ans.answer, [f for i, f in enumerate(it.facts) if i not in it.variant_facts]) == 1.0, it.id
        assert span_validity(ans, seed_texts) == 1.0
        good.append((citation_precision(ans, seed_texts), citation_recall(ans, seed_texts)))
        wrong = _oracle(it, seed_texts, shuffle=rng)
        bad.append((citation_precision(wrong, seed_texts), citation_recall(wrong, seed_texts)))
    assert all(p == 1.0 and r == 1.0 for p, r in good)
    assert mean_defined(p for p, _ in bad) < 0.2 and mean_defined(r for _, r in bad) < 0.2


@pytest.mark.integration
def test_boilerplate_leakage_with_the_real_cleaner(seeds_dir, seed_texts):
    """Citing the bookmaker ad under seed 000 leaks; citing its lead sentence does not."""
    art = read_article(seeds_dir / "000_997b5712c965d847.txt", max_bytes=10_000_000)
    text = art.text
    lead = _sentence_with(text, "no active negotiation process")
    ad = _sentence_with(text, "The Best Online Bookmakers")
    cites = [Citation(source=art.doc_id, start=a, end=b, text=text[a:b], n=i) for i, (a, b) in enumerate([lead, ad], 1)]
    ans = Answer(question="q", answer="x [1]. y [2].", citations=cites)
    assert span_validity(ans, {art.doc_id: text}) == 1.0
    assert boilerplate_leakage(ans, {art.doc_id: art.kept}) == 0.5


# ---------------------------------------------------------------- loader errors


def _write(tmp_path, body: str, name: str = "f.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(body), encoding="utf-8")
    return p


QA_OK = """
items:
  - id: a1
    question: Who?
    facts: [["Sullivan"]]
    sources: [000_997b5712c965d847.txt]
    notes: because
"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (QA_OK.replace("notes: because", "notes: because\n    colour: red"), "item a1: colour: Extra inputs"),
        (QA_OK.replace("000_997b5712c965d847", "999_nope"), "item a1: source '999_nope.txt' not found"),
        (QA_OK + QA_OK.split("items:")[1], "item a1: duplicate id"),
        (QA_OK.replace('facts: [["Sullivan"]]', "facts: []"), "item a1: an answerable item needs facts"),
        (QA_OK.replace("notes:", "answerable: false\n    notes:"), "must not list facts"),
        (QA_OK.replace("notes:", "variant_facts: [3]\n    notes:"), "variant_facts [3] out of range"),
        (QA_OK.replace("notes:", "forbidden: [[' ']]\n    notes:"), "forbidden: entry 0 needs at least one non-empty"),
        (QA_OK.replace('facts: [["Sullivan"]]', "answerable: false\n    forbidden: [[x]]"), "must not list forbidden"),
        (QA_OK.replace("notes:", "tags: [spelling-varient]\n    notes:"), "unknown tag(s) ['spelling-varient']"),
        (QA_OK.replace("items:", "corpus: seeds\nitems:"), "unknown top-level key(s) ['corpus']"),
        ("items: [a: b: c]", "invalid YAML"),
        ("- just a list", "expected a mapping with an `items:` list"),
    ],
)
def test_qa_loader_errors_are_one_line_naming_file_and_item(tmp_path, seeds_dir, body, expected):
    path = _write(tmp_path, body)
    with pytest.raises(FixtureError) as err:
        load_qa(path, corpus_dir=seeds_dir)
    msg = str(err.value)
    assert expected in msg and str(path) in msg and "\n" not in msg


def test_qa_loader_without_corpus_skips_source_check_and_missing_file_errors(tmp_path):
    path = _write(tmp_path, QA_OK.replace("000_997b5712c965d847", "999_nope"))
    assert load_qa(path)[0].sources == ["999_nope.txt"]
    with pytest.raises(FixtureError, match="file not found"):
        load_qa(tmp_path / "absent.yaml")


def test_stance_loader_rejects_unknown_labels_and_sources(tmp_path, seeds_dir):
    body = """
    items:
      - id: s1
        actor: Russia
        topic: talks
        source: 000_997b5712c965d847.txt
        label: favour
        notes: n
    """
    with pytest.raises(FixtureError, match="item s1: label"):
        load_stance(_write(tmp_path, body), corpus_dir=seeds_dir)
    with pytest.raises(FixtureError, match="item s1: source 'x.txt' not found"):
        load_stance(_write(tmp_path, body.replace("favour", "open").replace("000_997b5712c965d847", "x")), seeds_dir)


# ---------------------------------------------------------------- outside CSV datasets

SEMEVAL = {"FAVOR": "open", "AGAINST": "opposed", "NONE": "none"}


def test_stance_csv_maps_labels(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text('Tweet,Target,Stance\n"Talks now, please",Peace talks,FAVOR\nNo deal,Peace talks,AGAINST\n'
                 "meh,Peace talks,NONE\n", encoding="utf-8")
    rows = load_stance_csv(p, "Tweet", "Target", "Stance", SEMEVAL)
    assert [(r.text, r.target, r.label) for r in rows] == [
        ("Talks now, please", "Peace talks", "open"),
        ("No deal", "Peace talks", "opposed"),
        ("meh", "Peace talks", "none"),
    ]
    assert rows[0].id == "s.csv:1"


def test_stance_csv_errors(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("Tweet,Target,Stance\na,t,FAVOR\nb,t,UNSURE\n", encoding="utf-8")
    with pytest.raises(FixtureError, match="row 2: label 'UNSURE' not in label_map"):
        load_stance_csv(p, "Tweet", "Target", "Stance", SEMEVAL)
    assert len(load_stance_csv(p, "Tweet", "Target", "Stance", SEMEVAL, skip_unmapped=True)) == 1
    with pytest.raises(FixtureError, match=r"column\(s\) \['Label'\] not in header"):
        load_stance_csv(p, "Tweet", "Target", "Label", SEMEVAL)
    with pytest.raises(FixtureError, match="are not ours"):
        load_stance_csv(p, "Tweet", "Target", "Stance", {"FAVOR": "pro"})
    p.write_bytes("Tweet,Target,Stance\ncaf\xe9,t,FAVOR\n".encode("latin-1"))
    with pytest.raises(FixtureError, match="encoding="):
        load_stance_csv(p, "Tweet", "Target", "Stance", SEMEVAL)
    assert load_stance_csv(p, "Tweet", "Target", "Stance", SEMEVAL, encoding="latin-1")[0].text == "café"
