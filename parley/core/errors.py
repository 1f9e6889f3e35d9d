"""Errors users can act on: each carries one line naming the file or setting and what to do."""

from __future__ import annotations

from parley.core.secrets import mask_secrets


class ParleyError(Exception):
    """Base class; str(err) is a single line fit to show a user, with every secret masked."""

    def __init__(self, message: str):
        super().__init__(" ".join(mask_secrets(str(message)).split()))


class IngestError(ParleyError):
    """A file cannot be ingested (empty, binary, too large, not text, no article, vanished)."""


class StoreError(ParleyError):
    """The vector store is unreachable or incompatible (other embedding model, old layout)."""


class EmbeddingError(ParleyError):
    """The embedding backend failed or is misconfigured."""


class ModelError(ParleyError):
    """The chat model is missing, down, slow, or misconfigured."""


class ModelOutputError(ModelError):
    """The model answered, but not in the required form (invalid JSON, label outside the set)."""


class SettingsError(ParleyError, ValueError):
    """A PARLEY_* setting is invalid: the message names the variable and what it must be."""


class QuestionError(ParleyError):
    """A question cannot be asked as given (empty, or over the length limit)."""
