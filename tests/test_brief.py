"""Briefs read what ingest stored: the real ledger over the seeds, a fake model with fixed logprobs."""

from __future__ import annotations

import json
import re

import pytest
from brief_helpers import SlowScorer, brief_service, statement_of

from chains.brief import BriefPolicy
from parley.core.errors import ParleyError
from parley.render.markdown import brief_markdown

UNDATED = "003_b571c39c7b842e1b.txt"


@pytest.fixture
def parley(seeds_dir, tmp_path):
    return brief_service(tmp_path / "data", seeds_dir)


def _spans(brief):
    spans = [s for st in brief.per_article + [brief.stance] for s in st.evidence]
    spans += [s for p in brief.positions for s in p.sources] + list(brief.quotes)
    return spans + [c for line in brief.summary for c in line.citations]


def test_russia_brief_cites_every_article_with_verbatim_spans(parley, seed_texts):
    brief = parley.brief("Russia")
    assert brief.actor == "Russia" and brief.topic == "negotiations between the parties"
    assert {s.source for st in brief.per_article for s in st.evidence} == set(seed_texts)
    spans = _spans(brief)
    assert spans and all(seed_texts[s.source][s.start:s.end] == s.text for s in spans)
    cov = brief.coverage
    assert (cov.articles, cov.read, cov.relevant, cov.left_out, cov.total_articles) == (5, 5, 5, 0, 5)
    assert cov.outlets == 0 and cov.unknown_outlets == 5  # the seeds name no outlet


def test_confidences_are_the_stance_steps_probabilities(parley):
    brief = parley.brief("Russia")
    for st in brief.per_article:
        assert st.confidence == pytest.approx(st.probabilities[st.label], abs=1e-4)
    assert len({e.stance.label for e in brief.timeline}) >= 2  # the articles differ: not a flat line


def test_second_brief_and_a_restart_call_no_model(parley, seeds_dir, tmp_path):
    first = parley.brief("Russia")
    calls = len(parley.model.calls)
    assert calls > 0
    assert parley.brief("Russia") == first and len(parley.model.calls) == calls
    again = brief_service(tmp_path / "data", seeds_dir)  # a new process over the same data dir
    embedded = again.embedder.calls
    assert again.brief("Russia") == first and again.model.calls == []
    # nothing was embedded (the statement selection is stored too) and no model was built
    assert again.embedder.calls == embedded and again.stance_cache.chain.model._model is None


def test_timeline_is_dated_and_undated_kept_apart_overall_from_dated(parley):
    brief = parley.brief("Russia")
    dates = [e.date for e in brief.timeline]
    assert dates == sorted(dates) and None not in dates
    assert [e.source for e in brief.undated] == [UNDATED] and brief.undated[0].date is None
    assert "dated articles" in brief.stance.rationale
    labels = [e.stance.label for e in brief.timeline]
    assert len(brief.shifts) == sum(1 for a, b in zip(labels, labels[1:], strict=False) if a != b) >= 1


def test_json_lists_only_articles_with_a_position(parley):
    brief = parley.brief("NATO")  # named in three seeds, never speaks
    data = json.loads(brief.model_dump_json())
    assert data["per_article"] == [] and data["timeline"] == [] and data["stance"]["label"] is None
    assert data["coverage"]["others_only"] == 3 and len(data["coverage"]["others_only_sources"]) == 3
    md = brief_markdown(brief)
    assert "Only others' claims about NATO" in md and "3 articles" in md


def test_actor_never_named_has_no_position(parley):
    brief = parley.brief("China")
    assert brief.stance.label is None and brief.per_article == [] and brief.positions == []
    assert brief.coverage.articles == 0 and brief.coverage.others_only == 0


def test_unknown_actor_is_a_clear_error(parley):
    with pytest.raises(ParleyError, match="unknown actor 'Atlantis'"):
        parley.brief("Atlantis")


def test_topic_is_a_parameter_and_keys_the_cache(parley):
    parley.brief("Russia")
    before = len(parley.model.calls)
    brief = parley.brief("Russia", topic="NATO expansion")
    assert brief.topic == "NATO expansion" and brief.stance.topic == "NATO expansion"
    new = parley.model.calls[before:]
    assert new and all("NATO expansion" in c["prompt"] for c in new)


def test_statements_off_the_topic_are_not_positions(parley):
    brief = parley.brief("Russia")
    shown = " ".join(p.text for p in brief.positions)
    assert "received a letter" not in shown  # the scorer puts it off the topic (option E)
    assert any("out of the question" in p.text for p in brief.positions)


def test_article_limit_reads_most_recent_and_says_what_it_left_out(seeds_dir, tmp_path):
    svc = brief_service(tmp_path / "data", seeds_dir)
    chain = svc.brief_chain()
    chain.policy, chain.retriever = BriefPolicy(max_articles=2), None  # recency alone
    brief = chain.run("Russia")
    cov = brief.coverage
    assert (cov.read, cov.left_out, cov.relevant) == (2, 3, 5)
    assert sorted(brief.coverage.sources) == ["000_997b5712c965d847.txt", "001_a8fea508baf53730.txt"]
    assert "3 left out" in brief_markdown(brief)


def test_retrieval_ranks_articles_before_recency(seeds_dir, tmp_path):
    class Hits:
        def search(self, query, k):
            assert "Russia" in query and "negotiations" in query
            return [type("P", (), {"chunk": type("C", (), {"source": UNDATED})()})()]

    svc = brief_service(tmp_path / "data", seeds_dir)
    chain = svc.brief_chain()
    chain.policy, chain.retriever = BriefPolicy(max_articles=2), Hits()
    cov = chain.run("Russia").coverage
    assert UNDATED in cov.sources and "001_a8fea508baf53730.txt" in cov.sources


def test_progress_reports_rate_and_finishes(parley):
    seen = []
    parley.brief("Russia", progress=lambda p: seen.append((p.done, p.total, p.finished, p.line())))
    assert seen[0][0] == 0 and seen[-1][2] and seen[-1][0] == seen[-1][1] == 5
    assert [d for d, *_ in seen] == sorted(d for d, *_ in seen)
    assert re.search(r"5/5 · [\d.]+/s · ETA", seen[-1][3])


def test_model_calls_run_concurrently_up_to_the_bound(seeds_dir, tmp_path):
    slow = SlowScorer(delay=0.05)
    svc = brief_service(tmp_path / "data", seeds_dir, scorer=slow, llm_backend="openai",
                        openai_base_url="http://127.0.0.1:9/v1", llm_concurrency=3)
    assert svc.stance_cache.concurrency == 3
    svc.fill_stance()
    assert 2 <= slow.peak <= 3


def test_embedded_model_runs_one_call_at_a_time(seeds_dir, tmp_path):
    slow = SlowScorer(delay=0.02)
    svc = brief_service(tmp_path / "data", seeds_dir, scorer=slow, llm_concurrency=8)
    svc.settings.llm_backend = "local"  # the bound follows the backend, not the setting
    assert svc.stance_cache.concurrency == 1
    svc.brief("Russia")
    assert slow.peak == 1


def test_background_fill_then_brief_needs_no_model(parley):
    assert parley.start_analysis()
    parley._filler.join(timeout=60)
    assert parley.progress is not None and parley.progress.finished and not parley.progress.error
    calls = len(parley.model.calls)
    parley.brief("United States")
    parley.brief("Russia")
    assert len(parley.model.calls) == calls


def test_markdown_quotes_only_verbatim_words(parley, seed_texts):
    brief = parley.brief("United States")
    md = brief_markdown(brief)
    assert md.startswith("# United States: position brief")
    assert "outlets unknown" in md and "Outlets 0" not in md and "0 named outlets" not in md
    section = md.split("## Positions")[1].split("\n## ")[0]
    direct = {" ".join(q.text.split()) for q in brief.quotes}
    for line in section.strip().splitlines():
        m = re.match(r"\d+\. \*\*[^*]+\*\*: “(.*)” — ", line)
        if m:  # quotation marks Parley added: the speaker's own words, verbatim
            assert m.group(1) in direct
        else:  # reported: shown as the article wrote it, never opened with a quotation mark of ours
            assert "_(" in line
    for m in re.finditer(r"`(\S+)` chars (\d+)–(\d+):\n   > (.*)", md):
        src, a, b = m.group(1), int(m.group(2)), int(m.group(3))
        assert " ".join(seed_texts[src][a:b].split()) == m.group(4)


def test_statement_prompts_carry_the_actor_and_the_statement(parley):
    parley.brief("Russia")
    asked = [statement_of(c["prompt"]) for c in parley.model.calls]
    assert "N/A" in asked and any("out of the question" in s for s in asked)


def test_an_officials_brief_reads_only_their_own_words(parley, seed_texts):
    state = parley.brief("Russia")
    ryabkov = parley.brief("Sergei Ryabkov")
    assert ryabkov.actor == "Sergei Ryabkov"
    names = parley.actor_names()  # the page's actor list offers the official too
    assert "Sergei Ryabkov" in names and names.index("Russia") < names.index("Sergei Ryabkov")
    own = [q for q in ryabkov.quotes] + [s for p in ryabkov.positions for s in p.sources]
    assert own and all("Ryabkov" in seed_texts[s.source][max(0, s.start - 400):s.end + 200]
                       for s in own)
    # Russia's brief carries Peskov's and Zakharova's words too; Ryabkov's carries none of them
    texts = {q.text for q in ryabkov.quotes}
    others = {q.text for q in state.quotes if q.speaker and "Ryabkov" not in q.speaker}
    assert others and not texts & others
    assert {s.source for s in _spans(ryabkov)} <= {s.source for s in _spans(state)}
    # the articles that only name him: none (he speaks in both seeds that name him, 003 and 004)
    assert ryabkov.coverage.others_only == 0 and state.coverage.others_only == 0
    patrushev = parley.brief("Nikolai Patrushev")  # named in 000, never speaks
    assert patrushev.per_article == [] and patrushev.coverage.others_only == 1
    assert patrushev.coverage.others_only_sources == ["000_997b5712c965d847.txt"]
