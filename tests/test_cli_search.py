"""`parley ingest` and `parley search`: output formats, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from store_helpers import HAND_READERS

from parley import cli
from parley.core.settings import get_settings
from vectorstore import ingest as ingest_mod
from vectorstore.docstore import DocStore
from vectorstore.embeddings import OnnxMiniLM
from vectorstore.ingest import ingest_paths
from vectorstore.store import ChunkStore

PARLEY = Path(sys.executable).parent / "parley"
ZAK = "000_997b5712c965d847.txt"


@pytest.fixture
def fake_backend(monkeypatch):
    """Fake embeddings and the hand-built reader: CLI plumbing without the model or loader."""
    monkeypatch.setenv("PARLEY_EMBEDDING_BACKEND", "fake")
    monkeypatch.setattr(ingest_mod, "default_reader", lambda s: HAND_READERS["reader"])
    monkeypatch.setattr(ingest_mod, "default_chunker", lambda s: HAND_READERS["chunker"])
    monkeypatch.setattr(ingest_mod, "default_paths", HAND_READERS["expand"])


def test_ingest_then_search_json_and_table(fake_backend, seeds_dir, capsys):
    assert cli.main(["ingest", str(seeds_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["added"] == 5 and report["skipped"] == []

    assert cli.main(["ingest", str(seeds_dir)]) == 0
    assert "5 unchanged" in capsys.readouterr().out

    assert cli.main(["search", "Ryabkov concessions", "-k", "3", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert set(rows[0]) == {"rank", "score", "source", "start", "end", "text", "title", "date"}
    text = (seeds_dir / rows[0]["source"]).read_text(encoding="utf-8")
    assert all(text[r["start"] : r["end"]] == r["text"] for r in rows[:1])
    assert rows[0]["source"] == "003_b571c39c7b842e1b.txt"

    assert cli.main(["search", "Ryabkov concessions", "-k", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["rank", "score", "source", "start-end"]
    assert len(out) == 3 and out[1].split()[0] == "1" and "003_b571c39c7b842e1b.txt" in out[1]


def test_search_on_empty_store_says_to_ingest(fake_backend, capsys):
    assert cli.main(["search", "anything"]) == 0
    assert "parley ingest" in capsys.readouterr().err


def test_errors_are_one_line_exit_1(fake_backend, tmp_path, capsys, monkeypatch):
    assert cli.main(["ingest", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("parley: error: no such file") and err.count("\n") == 1

    monkeypatch.setenv("PARLEY_CHROMA_URL", "http://127.0.0.1:9")
    assert cli.main(["search", "Peskov"]) == 1
    err = capsys.readouterr().err
    assert "http://127.0.0.1:9" in err and err.count("\n") == 1 and "Traceback" not in err

    monkeypatch.delenv("PARLEY_CHROMA_URL")
    monkeypatch.setenv("PARLEY_TOP_K", "0")
    assert cli.main(["search", "Peskov"]) == 1
    assert "PARLEY_" in capsys.readouterr().err


@pytest.mark.integration
def test_console_script_search_with_real_model(seeds_dir):
    """The installed `parley` script over a store built with the real ONNX model."""
    s = get_settings()
    e = OnnxMiniLM()
    ingest_paths([seeds_dir], s, e, ChunkStore.open(s, e), DocStore(s.articles_dir), progress=False, **HAND_READERS)
    env = {**os.environ}
    out = subprocess.run([str(PARLEY), "search", "Zakharova", "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert rows[0]["source"] == ZAK and len(rows) == s.top_k

    # the same store opened with another embedder: one line, exit 1, no traceback
    env["PARLEY_EMBEDDING_BACKEND"] = "fake"
    out = subprocess.run([str(PARLEY), "search", "Zakharova"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "built with all-MiniLM-L6-v2 (dim 384)" in out.stderr


@pytest.mark.integration
def test_console_script_ingest_with_project_loader(seeds_dir):
    out = subprocess.run([str(PARLEY), "ingest", str(seeds_dir), "--json"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["added"] == 5
    out = subprocess.run([str(PARLEY), "search", "Peskov", "--json"], capture_output=True, text=True, timeout=120)
    assert {"001_a8fea508baf53730.txt", "003_b571c39c7b842e1b.txt"} <= {r["source"] for r in json.loads(out.stdout)}
