"""One settings object, read once from the environment (prefix PARLEY_) and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    # embeddings
    embedding_backend: Literal["onnx", "openai", "fake"] = "onnx"
    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_batch_size: int = Field(16, ge=1, le=512)
    embedding_base_url: str | None = None
    embedding_api_key: SecretStr | None = None

    # chunking
    chunk_size: int = Field(800, ge=100, le=8000)
    chunk_overlap: int = Field(150, ge=0, le=2000)
    max_file_mb: float = Field(20.0, gt=0)

    # retrieval
    top_k: int = Field(5, ge=1, le=50)

    # chat model: `local` = llama.cpp in-process; `openai` = any OpenAI-compatible server
    llm_backend: Literal["local", "openai", "fake"] = "local"
    local_model: Literal["qwen2.5-0.5b", "qwen2.5-1.5b"] = "qwen2.5-0.5b"
    local_model_path: Path | None = None  # an explicit GGUF file wins over the packaged one
    # where joined GGUF models are cached; unset = data_dir/models. Tests share one cache here
    shared_models_dir: Path | None = None
    n_ctx: int = Field(4096, ge=512)
    n_threads: int | None = None
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    openai_model: str = "gpt-4o-mini"
    # JSON mode sends the schema in response_format: llama.cpp servers enforce it as a grammar
    openai_schema_grammar: bool = False
    llm_timeout_s: float = Field(120.0, gt=0)
    llm_max_retries: int = Field(1, ge=0, le=10)
    max_tokens: int = Field(256, ge=16, le=4096)
    temperature: float = Field(0.0, ge=0.0, le=2.0)

    @field_validator("chroma_url", "openai_base_url", "embedding_base_url", mode="before")
    @classmethod
    def _blank_is_none(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

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
        store = f"chroma server {self.chroma_url}" if self.chroma_url else f"chroma on disk {self.chroma_path}"
        llm = (
            f"openai-compatible {self.openai_model} @ {self.openai_base_url or 'api.openai.com'}"
            if self.llm_backend == "openai"
            else f"{self.llm_backend} {self.local_model}"
        )
        return {
            "data_dir": str(self.data_dir),
            "store": store,
            "collection": self.collection,
            "embeddings": f"{self.embedding_backend} {self.embedding_model}",
            "llm": llm,
        }


def get_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
