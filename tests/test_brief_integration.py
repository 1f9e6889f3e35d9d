"""Briefs with REAL models on the seeds: the embedded Qwen in-process, and a llama.cpp server (slow)."""

from __future__ import annotations

import threading

import pytest
from conftest import SEEDS
from langchain_core.callbacks import BaseCallbackHandler
from llm_helpers import local_settings, require_llama_cpp

from chains.stance import LABELS
from parley.core.settings import Settings
from parley.render.markdown import brief_markdown
from parley.service import Parley
from vectorstore.embeddings import FakeEmbeddings

pytestmark = [pytest.mark.llm, pytest.mark.integration]
UNDATED = "003_b571c39c7b842e1b.txt"


@pytest.fixture(scope="module")
def parley(tmp_path_factory, local_gguf) -> Parley:
    require_llama_cpp()
    data = tmp_path_factory.mktemp("brief_int") / "data"
    p = Parley(local_settings(local_gguf, data_dir=data))
    p.ingest([SEEDS])
    return p


def _check(brief, seed_texts) -> None:
    for st in brief.per_article:
        assert st.label in LABELS and 0 < st.confidence <= 1
        assert st.confidence == pytest.approx(st.probabilities[st.label], abs=1e-3)
        assert st.evidence
    spans = [e for s in brief.per_article for e in s.evidence]
    spans += [s for p in brief.positions for s in p.sources] + list(brief.quotes)
    assert all(seed_texts[s.source][s.start:s.end] == s.text for s in spans)


def test_russia_brief_with_the_embedded_model_then_from_the_cache(parley, seed_texts, monkeypatch):
    brief = parley.brief("Russia")
    assert len(brief.per_article) >= 3 and brief.positions
    _check(brief, seed_texts)
    assert UNDATED not in [e.source for e in brief.timeline]
    assert "Russia" in brief_markdown(brief) and "## Sources" in brief_markdown(brief)

    def no_model(*args, **kwargs):
        raise AssertionError("an analysed brief must not call the model")

    monkeypatch.setattr(parley.stance_cache.chain, "label_statements", no_model)
    assert parley.brief("Russia") == brief


def test_another_topic_uses_the_same_machinery(parley, seed_texts):
    brief = parley.brief("United States", topic="sanctions against Russia")
    assert brief.topic == "sanctions against Russia"
    assert brief.stance.label is None or brief.stance.label in LABELS
    _check(brief, seed_texts)


class InFlight(BaseCallbackHandler):
    """Counts chat-model calls in flight at once (callbacks run in the calling thread)."""

    def __init__(self) -> None:
        self.now = self.peak = self.calls = 0
        self._lock = threading.Lock()

    def on_chat_model_start(self, *args, **kwargs) -> None:
        with self._lock:
            self.now += 1
            self.calls += 1
            self.peak = max(self.peak, self.now)

    def on_llm_end(self, *args, **kwargs) -> None:
        with self._lock:
            self.now -= 1

    on_llm_error = on_llm_end


def test_concurrency_bound_against_the_llama_cpp_server(llama_server, tmp_path, seeds_dir, seed_texts):
    settings = Settings(data_dir=tmp_path / "data", llm_backend="openai", openai_base_url=llama_server,
                        openai_model="local", llm_concurrency=2, embedding_backend="fake")
    svc = Parley(settings, embedder=FakeEmbeddings())
    svc.ingest([seeds_dir])
    counter = InFlight()
    svc.model.callbacks = [counter]
    brief = svc.brief("Russia")
    assert svc.stance_cache.concurrency == 2
    assert counter.peak == 2 and counter.calls > 5  # several calls overlapped, never more than 2
    assert len(brief.per_article) >= 3
    _check(brief, seed_texts)
