"""Briefs on the seeds with a fake chat model (choose-don't-write) and the real ledger."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from parley.core.errors import ParleyError
from parley.core.settings import Settings
from parley.render.markdown import brief_markdown
from parley.service import Parley
from vectorstore.embeddings import FakeEmbeddings


class RuleModel(BaseChatModel):
    """Answers stance prompts with JSON (label by a keyword rule, evidence = statement 1) and
    summary prompts by copying the first two numbered statements with their numbers."""

    calls: list[str] = []

    @property
    def _llm_type(self) -> str:
        return "rule-fake"

    def _generate(self, messages, stop=None, run_manager=None, **kw: Any) -> ChatResult:
        user = messages[-1].content
        self.calls.append(user)
        statements = re.findall(r"^(\d+)\. (.*)$", user, flags=re.M)
        if "Which label fits" in user:
            text = " ".join(s for _, s in statements).lower()
            label = ("opposed" if "impossible" in text or "out of the question" in text else
                     "noncommittal" if "nothing to say" in text else "open")
            reply = json.dumps({"label": label, "evidence": [1]})
        else:
            reply = " ".join(f"{s} [{n}]" for n, s in statements[:2])
        return ChatResult(generations=[ChatGeneration(message=AIMessage(reply))])


@pytest.fixture
def parley(seeds_dir, tmp_path) -> Parley:
    p = Parley(Settings(data_dir=tmp_path / "data"), model=RuleModel(), embedder=FakeEmbeddings())
    p.ingest([seeds_dir])
    return p


def test_russia_brief_cites_most_articles_with_verbatim_spans(parley, seed_texts):
    brief = parley.brief("Russia")
    assert brief.actor == "Russia" and brief.topic == "negotiations between the parties"
    cited = {s.source for st in brief.per_article for s in st.evidence}
    cited |= {c.source for line in brief.summary + brief.claims for c in line.citations}
    assert len(cited) >= 4
    spans = [s for st in brief.per_article + [brief.stance] for s in st.evidence]
    spans += [c for line in brief.summary + brief.claims for c in line.citations] + list(brief.quotes)
    assert spans and all(seed_texts[s.source][s.start:s.end] == s.text for s in spans)
    assert 2 <= len(brief.summary) <= 4
    assert brief.coverage.articles >= 4 and brief.coverage.total_articles == 5


def test_timeline_is_ordered_by_date_and_undated_kept_apart(parley):
    brief = parley.brief("Russia")
    dates = [e.date for e in brief.timeline]
    assert dates == sorted(dates) and all(d is not None for d in dates)
    assert [e.source for e in brief.undated] == ["003_b571c39c7b842e1b.txt"]
    assert all(e.date is None for e in brief.undated)


def test_shift_flagged_between_articles_with_different_labels(parley):
    brief = parley.brief("Russia")
    labels = [e.stance.label for e in brief.timeline]
    changes = sum(1 for a, b in zip(labels, labels[1:], strict=False) if a != b)
    assert len(brief.shifts) == changes


def test_actor_with_no_statements_has_no_position(parley):
    brief = parley.brief("China")
    assert brief.stance.label is None and brief.per_article and all(s.label is None for s in brief.per_article)
    assert brief.coverage.articles == 0 and brief.timeline == []


def test_unknown_actor_is_a_clear_error(parley):
    with pytest.raises(ParleyError, match="unknown actor 'Atlantis'"):
        parley.brief("Atlantis")


def test_topic_is_a_parameter(parley):
    brief = parley.brief("Russia", topic="NATO expansion")
    assert brief.topic == "NATO expansion" and brief.stance.topic == "NATO expansion"
    assert any("NATO expansion" in c for c in parley.model.calls)


def test_markdown_lists_every_cited_span_with_its_quote(parley, seed_texts):
    brief = parley.brief("United States")
    md = brief_markdown(brief)
    assert md.startswith("# United States: position brief")
    for m in re.finditer(r"`(\S+)` chars (\d+)–(\d+): “", md):
        src, a, b = m.group(1), int(m.group(2)), int(m.group(3))
        assert src in seed_texts and 0 <= a < b <= len(seed_texts[src])
    assert "## Sources" in md and "## Stance by article" in md
