import pytest
from pydantic import ValidationError

from parley.core.schema import Citation, SourceSpan, content_hash
from parley.core.settings import Settings


def test_span_matches_original_text():
    original = "Alpha beta. Gamma delta."
    span = SourceSpan(source="a.txt", start=12, end=24, text="Gamma delta.")
    assert span.matches(original)
    assert not SourceSpan(source="a.txt", start=0, end=5, text="Gamma").matches(original)


def test_span_rejects_reversed_range_and_unknown_fields():
    with pytest.raises(ValidationError):
        SourceSpan(source="a", start=5, end=2, text="")
    with pytest.raises(ValidationError):
        Citation(source="a", start=0, end=1, text="A", n=1, bogus=True)


def test_content_hash_is_stable_and_part_sensitive():
    assert content_hash("a", "b") == content_hash("a", "b")
    assert content_hash("a", "b") != content_hash("ab")


def test_settings_read_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PARLEY_CHUNK_SIZE", "600")
    monkeypatch.setenv("PARLEY_CHROMA_URL", "")
    monkeypatch.setenv("PARLEY_OPENAI_API_KEY", "sk-secret")
    s = Settings()
    assert s.chunk_size == 600
    assert s.chroma_url is None
    assert "sk-secret" not in repr(s) and "sk-secret" not in str(s.describe())
