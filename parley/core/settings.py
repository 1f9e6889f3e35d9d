"""One settings object, read once from the environment (prefix PARLEY_) and passed down.

Every value is checked when the settings are read (URLs, ports, paths, numeric ranges);
`get_settings` turns the first problem into one `SettingsError` line naming the variable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from parley.core.errors import SettingsError
from parley.core.secrets import mask_secrets, public_url

_COLLECTION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")  # Chroma's rule


def check_url(value: str) -> str:
    """An http(s) URL with a host and a valid port, or ValueError naming what is wrong."""
    shown = public_url(value)
    try:
        parts = urlsplit(value.strip())
        port = parts.port  # raises ValueError for "80OO" or 99999
    except ValueError as e:
        raise ValueError(f"{shown!r} has a bad port ({e}); use e.g. http://127.0.0.1:8000") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{shown!r} is not an http(s) URL; use e.g. http://127.0.0.1:8000")
    if port == 0:
        raise ValueError(f"{shown!r} has port 0; use a port from 1 to 65535")
    return value.strip()


class Settings(BaseSettings):
    """Every knob Parley has. See `.env.example` for the documented list."""

    model_config = SettingsConfigDict(
        env_prefix="PARLEY_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # where everything Parley writes lives (Chroma, article store, joined models, eval cache)
    data_dir: Path = Path("data")

    # vector store: embedded on-disk Chroma by default; a URL switches to a `chroma run` server
    chroma_url: str | None = None
    collection: str = "parley"
    # seconds one request to a Chroma server may take (chromadb's own client would wait forever)
    chroma_timeout_s: float = Field(30.0, gt=0, le=3600)

    # embeddings
    embedding_backend: Literal["onnx", "openai", "fake"] = "onnx"
    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_batch_size: int = Field(16, ge=1, le=512)
    embedding_base_url: str | None = None
    embedding_api_key: SecretStr | None = None
    # seconds one call to an embeddings endpoint may take in all, retries included
    embedding_timeout_s: float = Field(60.0, gt=0, le=3600)

    # chunking: 800 characters stay inside MiniLM's 256-token window (the seeds' 21 chunks: at most
    # 160 tokens, median 129, layers helper 2026-12-01); size and overlap never swept: a question
    chunk_size: int = Field(800, ge=100, le=8000)
    chunk_overlap: int = Field(150, ge=0, le=2000)
    max_file_mb: float = Field(20.0, gt=0, le=1024)

    # retrieval
    top_k: int = Field(5, ge=1, le=50)
    # the Chroma query on a thread while the lexical side is read: wins with on-disk Chroma (100k
    # chunks, p95 4.0 vs 5.1 ms) and a server on another host; loses with a `chroma run` server on
    # the same few cores (1M chunks, 2 cores: p95 31.5 vs 17.5 ms). bench/RESULTS-scale.md
    parallel_search: bool = True
    # longest question accepted: the question, ~4 passages of PARLEY_CHUNK_SIZE characters and the
    # answer must share the model's PARLEY_N_CTX=4096 tokens (~4 characters per token)
    max_question_chars: int = Field(2000, ge=20, le=100_000)

    # chat model: `local` = llama.cpp in-process; `openai` = any OpenAI-compatible server
    llm_backend: Literal["local", "openai", "fake"] = "local"
    local_model: Literal["qwen2.5-0.5b", "qwen2.5-1.5b"] = "qwen2.5-0.5b"
    local_model_path: Path | None = None  # an explicit GGUF file wins over the packaged one
    # where joined GGUF models are cached; unset = data_dir/models. Tests share one cache here
    shared_models_dir: Path | None = None
    n_ctx: int = Field(4096, ge=512)
    n_threads: int | None = Field(None, ge=1, le=256)
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    openai_model: str = "gpt-4o-mini"
    # JSON mode sends the schema in response_format: llama.cpp servers enforce it as a grammar
    openai_schema_grammar: bool = False
    # seconds one call to the chat model may take in all, retries included
    llm_timeout_s: float = Field(120.0, gt=0, le=3600)
    llm_max_retries: int = Field(1, ge=0, le=10)
    # model calls in flight at once when many are needed (briefs, analysis) on an OpenAI-compatible
    # server, which batches them; the embedded model always takes one at a time
    llm_concurrency: int = Field(4, ge=1, le=256)
    max_tokens: int = Field(256, ge=16, le=4096)
    # Q&A answers: "evidence" = the articles' own sentences chosen by the model, plus a one-line
    # answer only when it checks out; "synthesis" = model-written prose with verified citations
    answer_mode: Literal["evidence", "synthesis"] = "evidence"
    # evidence mode: let the model write a one-line answer above the evidence (shown only when
    # it passes chains/answer_check.py). Off by default: with the 0.5B model 3 of the 6 lines
    # that passed the check on evals/reports/issue10 answered a different question
    answer_line: bool = False
    temperature: float = Field(0.0, ge=0.0, le=2.0)

    @field_validator("chroma_url", "openai_base_url", "embedding_base_url", mode="before")
    @classmethod
    def _blank_is_none(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("chroma_url", "openai_base_url", "embedding_base_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return None if v is None else check_url(v)

    @field_validator("collection")
    @classmethod
    def _collection(cls, v: str) -> str:
        if not _COLLECTION.match(v):
            raise ValueError(f"{v!r} must be 3-512 letters, digits, '.', '_' or '-', starting and "
                             "ending with a letter or digit")
        return v

    @field_validator("data_dir")
    @classmethod
    def _data_dir(cls, v: Path) -> Path:
        if v.exists() and not v.is_dir():
            raise ValueError(f"{str(v)!r} is a file, not a folder; point it at a folder")
        return v

    @model_validator(mode="after")
    def _overlap(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(f"PARLEY_CHUNK_OVERLAP={self.chunk_overlap} must be smaller than "
                             f"PARLEY_CHUNK_SIZE={self.chunk_size}")
        return self

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def articles_dir(self) -> Path:
        return self.data_dir / "articles"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    def describe(self) -> dict[str, str]:
        """What is active, for display (never includes secrets)."""
        store = (f"chroma server {public_url(self.chroma_url)}" if self.chroma_url
                 else f"chroma on disk {self.chroma_path}")
        llm = (
            f"openai-compatible {self.openai_model} @ "
            f"{public_url(self.openai_base_url) if self.openai_base_url else 'api.openai.com'}"
            if self.llm_backend == "openai"
            else f"{self.llm_backend} {self.local_model}"
        )
        return {
            "data_dir": str(self.data_dir),
            "store": store,
            "collection": self.collection,
            "embeddings": f"{self.embedding_backend} {self.embedding_model}"
            + (f" @ {public_url(self.embedding_base_url)}"
               if self.embedding_backend == "openai" and self.embedding_base_url else ""),
            "llm": llm,
        }


def settings_error(err: ValidationError) -> SettingsError:
    """The first problem of a ValidationError as one line naming the PARLEY_* variable."""
    first = err.errors()[0]
    loc = [str(x) for x in first.get("loc", ())]
    msg = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    more = f" (and {len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    if not loc:  # a rule across settings: its message names them
        return SettingsError(mask_secrets(f"invalid settings: {msg}{more}"))
    value = first.get("input")
    secret = "key" in loc[0] or not isinstance(value, str | int | float)
    shown = "" if secret else f"={value}"
    return SettingsError(mask_secrets(f"invalid setting PARLEY_{loc[0].upper()}{shown}: {msg}{more}"))


def get_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides on top (SettingsError if bad)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as e:
        raise settings_error(e) from None
