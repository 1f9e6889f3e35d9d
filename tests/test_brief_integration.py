"""Briefs and the stance step with the REAL embedded model on the seeds (slow)."""

from __future__ import annotations

import pytest
from llm_helpers import local_settings, require_llama_cpp

from chains.stance import LABELS
from parley.render.markdown import brief_markdown
from parley.service import Parley

pytestmark = [pytest.mark.llm, pytest.mark.integration]


@pytest.fixture(scope="module")
def parley(tmp_path_factory, local_gguf) -> Parley:
    from conftest import SEEDS

    require_llama_cpp()
    data = tmp_path_factory.mktemp("brief_int") / "data"
    p = Parley(local_settings(local_gguf, data_dir=data, max_tokens=120))
    p.ingest([SEEDS])
    return p


def test_russia_brief_with_real_model(parley, seed_texts):
    brief = parley.brief("Russia")
    labelled = [s for s in brief.per_article if s.label]
    assert len(labelled) >= 4
    assert all(s.label in LABELS and 0 < s.confidence <= 1 for s in labelled)
    cited = {e.source for s in labelled for e in s.evidence}
    assert len(cited) >= 4
    spans = [e for s in brief.per_article for e in s.evidence]
    spans += [c for line in brief.summary + brief.claims for c in line.citations] + list(brief.quotes)
    assert all(seed_texts[s.source][s.start:s.end] == s.text for s in spans)
    assert 1 <= len(brief.summary) <= 4 and all(line.citations for line in brief.summary)
    assert [e.source for e in brief.undated] == ["003_b571c39c7b842e1b.txt"]
    md = brief_markdown(brief)
    assert "Russia" in md and "## Sources" in md


def test_stance_on_another_topic_uses_the_same_machinery(parley):
    brief = parley.brief("United States", topic="sanctions against Russia")
    assert brief.topic == "sanctions against Russia"
    assert brief.stance.label is None or brief.stance.label in LABELS
    for st in brief.per_article:
        assert (st.label is None) == (st.evidence == [])
