"""The analysis store: ledger once per article at ingest, stance once per key, kept across restarts."""

from __future__ import annotations

import re
import shutil

import pytest
from brief_helpers import brief_service, statement_of
from langchain_core.language_models.fake_chat_models import FakeListChatModel

import chains.analysis as analysis_mod
from chains.analysis import StanceJob, analyse_article, ledger_version
from chains.stance import StanceChain
from chains.stance_cues import CUES
from parley.core.schema import SourceSpan, StatementStance
from vectorstore.analysis import AnalysisStore

ZAK = "000_997b5712c965d847.txt"


@pytest.fixture
def svc(seeds_dir, tmp_path):
    return brief_service(tmp_path / "data", seeds_dir)


def _analysed_at(store: AnalysisStore) -> dict[str, float]:
    return dict(store._run("SELECT doc_id, analysed_at FROM articles"))


def test_ingest_stores_mentions_and_ledger_per_article(svc, seed_texts):
    heads = svc.analysis.headers()
    assert sorted(heads) == sorted(seed_texts)
    zak = svc.analysis.get(ZAK)
    assert zak.mentions["russia"] >= 1 and zak.date is not None and zak.quotes
    assert zak.quotes == analyse_article(svc.docstore.get(ZAK), svc.registry, zak.version).quotes
    assert all(seed_texts[q.source][q.start:q.end] == q.text for q in svc.analysis.quotes_of("russia"))
    assert svc.analysis.speakers()["russia"] == 5


def test_reingest_unchanged_recomputes_nothing(svc, seeds_dir):
    before = _analysed_at(svc.analysis)
    svc.ingest([seeds_dir])
    assert svc.analyse_ledger() == 0
    assert _analysed_at(svc.analysis) == before


def test_changed_article_is_analysed_again_and_its_stance_relabelled(seeds_dir, tmp_path):
    folder = tmp_path / "seeds"
    shutil.copytree(seeds_dir, folder)
    svc = brief_service(tmp_path / "data", folder)
    svc.brief("Russia")
    calls = len(svc.model.calls)
    path = folder / ZAK
    path.write_text(path.read_text(encoding="utf-8").replace(
        "They are specific contacts", "They are specific contacts, nothing more"), encoding="utf-8")
    before = _analysed_at(svc.analysis)
    svc.ingest([folder])
    after = _analysed_at(svc.analysis)
    assert [d for d in after if after[d] != before[d]] == [ZAK]
    assert any("nothing more" in q.text for q in svc.analysis.get(ZAK).quotes)
    svc.brief("Russia")
    asked = [statement_of(c["prompt"]).removesuffix(" …") for c in svc.model.calls[calls:]]
    new_text = " ".join(path.read_text(encoding="utf-8").split())
    assert asked and all(a in new_text for a in asked if a != "N/A")  # only the changed article
    assert any("nothing more" in a for a in asked)
    # the old text's stance rows are gone; the unchanged articles' rows stay
    docs = {d for (d,) in svc.analysis._run("SELECT DISTINCT doc_id FROM stance")}
    assert ZAK in docs and len(docs) == 5
    hashes = {h for (h,) in svc.analysis._run("SELECT content_hash FROM stance WHERE doc_id=?", (ZAK,))}
    assert hashes == {svc.docstore.get(ZAK).content_hash}


def test_removed_article_leaves_the_store(svc):
    svc.brief("Russia")
    svc.remove(ZAK)
    assert svc.analysis.get(ZAK) is None
    assert not svc.analysis._run("SELECT 1 FROM stance WHERE doc_id=?", (ZAK,))


def test_registry_change_reanalyses_the_ledger(svc):
    version = ledger_version(svc.registry)
    assert {v for _, v in svc.analysis.versions().values()} == {version}
    svc.registry.channels.append("Some New Wire")
    assert ledger_version(svc.registry) != version
    assert svc.analyse_ledger() == 5


def _labelled(text: str) -> list[StatementStance]:
    span = SourceSpan(source="a.txt", start=0, end=len(text), text=text)
    probs = {"open": 0.1, "conditional": 0.2, "opposed": 0.6, "noncommittal": 0.1}
    return [StatementStance(span=span, label="opposed", probabilities=probs, confidence=0.6)]


def test_stance_cache_survives_a_restart_and_keys_every_input(tmp_path):
    path = tmp_path / "analysis.sqlite3"
    span = SourceSpan(source="a.txt", start=0, end=4, text="Nyet")
    job = StanceJob(doc_id="a.txt", content_hash="h1", actor="russia", actor_name="Russia",
                    topic="talks", statements=[span])
    store = AnalysisStore(path)
    key = job.key("qwen", "p1")
    store.put_stance(key, doc_id="a.txt", content_hash="h1", model="qwen", prompt="p1",
                     actor="russia", topic="talks", labelled=_labelled("Nyet"))
    store.put_stance(key, doc_id="a.txt", content_hash="h1", model="qwen", prompt="p1",
                     actor="russia", topic="talks", labelled=[])  # first write wins
    store.close()
    again = AnalysisStore(path)
    assert again.stance(key) == _labelled("Nyet")
    others = [job.key("other-model", "p1"), job.key("qwen", "p2"),
              job.model_copy(update={"topic": "sanctions"}).key("qwen", "p1"),
              job.model_copy(update={"content_hash": "h2"}).key("qwen", "p1"),
              job.model_copy(update={"actor": "ukraine"}).key("qwen", "p1")]
    assert len(set(others) | {key}) == 6 and again.stance_keys(others + [key]) == {key}
    assert job.model_copy(update={"topic": "  Talks "}).key("qwen", "p1") == key


def test_stored_stances_are_keyed_by_the_cue_patterns_too(monkeypatch):
    """A statement's stored distribution mixes in its lexical cue: new cue patterns, new key."""
    chain = StanceChain(FakeListChatModel(responses=["A"]))  # no model call here
    before = analysis_mod._prompt_digest(chain)
    assert analysis_mod._prompt_digest(chain) == before  # stable
    monkeypatch.setitem(CUES, "open", re.compile(r"\b(open to talks)\b", re.I))
    assert analysis_mod._prompt_digest(chain) != before
