"""A real Chroma server that is down, killed (also mid-ingest), emptied or frozen; a 0-byte file.

One `chroma run` per module, plus the ones a case kills or freezes. Each case: one line naming
the server and the setting, the exit code, no key, and the article store as it was; where the
chunk store and the article store disagree, `parley doctor --repair` mends them.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bad_helpers import (
    SEEDS,
    copy_data,
    error_line,
    run_cli,
    seed_data,
    set_sentinel_keys,
    snapshot,
)
from chromadb.api.shared_system_client import SharedSystemClient
from proc_helpers import free_port, served
from store_helpers import generate_corpus

from parley.core.errors import StoreError
from parley.core.settings import Settings
from vectorstore.embeddings import FakeEmbeddings
from vectorstore.store import ChunkStore

pytestmark = pytest.mark.integration
CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return seed_data(tmp_path_factory.mktemp("bad-chroma"))


@pytest.fixture
def data(template, monkeypatch, caplog) -> Path:
    set_sentinel_keys(monkeypatch)
    monkeypatch.setenv("PARLEY_EMBEDDING_BACKEND", "fake")
    caplog.set_level(logging.DEBUG)
    return copy_data(template, Path(os.environ["PARLEY_DATA_DIR"]))


@pytest.fixture
def cli(capsys, caplog):
    return lambda *argv: run_cli(list(argv), capsys, caplog)


def _chroma(root: Path, port: int | None = None):
    if not CHROMA.exists():
        pytest.skip(f"{CHROMA} not installed")
    root.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [str(CHROMA), "run", "--path", str(root / "db"), "--host", "127.0.0.1", "--port", str(port)]
    return url, served(cmd, f"{url}/api/v2/heartbeat", root / "server.log", name="chroma server")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    url, server = _chroma(tmp_path_factory.mktemp("chroma"))
    with server:
        yield url


def test_chroma_server_down_is_one_line(data, cli, monkeypatch):
    monkeypatch.setenv("PARLEY_CHROMA_URL", f"http://127.0.0.1:{free_port()}")
    before = snapshot(data)
    error_line(cli("search", "Peskov"), r"Chroma server at PARLEY_CHROMA_URL=.* is not answering")
    assert snapshot(data) == before


def test_chroma_server_killed_is_one_line(data, cli, monkeypatch, tmp_path):
    url, server = _chroma(tmp_path / "killed")
    monkeypatch.setenv("PARLEY_CHROMA_URL", url)
    monkeypatch.setenv("PARLEY_DATA_DIR", str(tmp_path / "server-data"))
    with server as proc:
        assert cli("ingest", str(SEEDS)).rc == 0
        records = snapshot(tmp_path / "server-data")["records"]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        error_line(cli("search", "Peskov"), r"Chroma server at PARLEY_CHROMA_URL=.* is not answering")
        error_line(cli("ingest", str(SEEDS)), r"Chroma server at PARLEY_CHROMA_URL=.* is not answering")
    assert snapshot(tmp_path / "server-data")["records"] == records


def test_chroma_server_killed_mid_ingest(cli, monkeypatch, tmp_path, seed_texts):
    """The server dies while `parley ingest` runs: one line; once it is back, every record written
    has its chunks."""
    corpus = tmp_path / "corpus"
    generate_corpus(corpus, seed_texts, n_files=40)
    url, server = _chroma(tmp_path / "dies")
    monkeypatch.setenv("PARLEY_CHROMA_URL", url)
    monkeypatch.setenv("PARLEY_DATA_DIR", str(tmp_path / "server-data"))
    records = tmp_path / "server-data" / "articles"
    with server as proc:
        ingest = subprocess.Popen([sys.executable, "-m", "parley.cli.main", "ingest", str(corpus)],
                                  env={**os.environ}, cwd=tmp_path, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not any(records.glob("*.json")) and ingest.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        _, err = ingest.communicate(timeout=120)
    lines = [x for x in err.splitlines() if x.strip() and not x.startswith(("ingest:", "<frozen"))
             and "RuntimeWarning" not in x]
    assert ingest.returncode == 1 and len(lines) == 1, lines
    assert re.match(r"parley: error: (Chroma server at PARLEY_CHROMA_URL=|Chroma \w+ failed at )", lines[0])
    kept = len(list(records.glob("*.json")))
    assert 0 < kept < 40
    _, again = _chroma(tmp_path / "dies", port=int(url.rsplit(":", 1)[1]))  # back on its data
    SharedSystemClient.clear_system_cache()  # this process's clients still point at the dead one
    with again:
        r = cli("doctor")  # every record written has its chunks; at most leftovers remain
        assert all(x.startswith("orphan-chunks") or "article records" in x for x in r.out.splitlines())
        assert f"{kept} article records" in r.out  # (re-ingesting the rest: the kill -9 case)


def test_emptied_server_collection_disagrees_with_the_article_store(chroma_url, cli, monkeypatch, tmp_path):
    import chromadb  # lazy: ~0.9 s, and only this test of the module talks to Chroma directly

    monkeypatch.setenv("PARLEY_CHROMA_URL", chroma_url)
    monkeypatch.setenv("PARLEY_COLLECTION", "wiped")
    assert cli("ingest", str(SEEDS)).rc == 0
    host, port = chroma_url.rsplit(":", 1)
    col = chromadb.HttpClient(host="127.0.0.1", port=int(port)).get_collection("wiped")
    col.delete(ids=col.get(include=[])["ids"])  # the server lost its rows; the records remain
    error_line(cli("search", "Peskov"), r"holds no chunks but the article store .* holds 5 articles: "
               r"they disagree; run `parley doctor --repair`")
    r = cli("doctor", "--repair")
    assert r.rc == 0 and "they agree" in r.out
    assert cli("search", "Peskov").rc == 0


def test_zero_byte_chroma_file_disagrees_and_doctor_repairs(data, cli):
    (data / "chroma" / "chroma.sqlite3").write_bytes(b"")
    before = snapshot(data)
    error_line(cli("search", "Peskov"), r"chroma\.sqlite3 is empty \(0 bytes\) but the article store "
               r".* holds 5 articles: they disagree; run `parley doctor --repair`")
    assert snapshot(data) == before  # the 0-byte file was not turned into a new, empty store
    r = cli("doctor")
    assert r.rc == 1 and "parley doctor --repair" in r.out
    r = cli("doctor", "--repair")
    assert r.rc == 0 and r.out.count("repaired missing-chunks") == 5 and "they agree" in r.out
    assert "000_997b5712c965d847.txt" in cli("search", "Zakharova").out


def test_frozen_chroma_server_times_out_with_one_line(data, cli, monkeypatch, tmp_path):
    """A server that stops answering mid-session (SIGSTOP): chromadb alone would wait forever."""
    url, server = _chroma(tmp_path / "frozen")
    monkeypatch.setenv("PARLEY_CHROMA_URL", url)
    monkeypatch.setenv("PARLEY_CHROMA_TIMEOUT_S", "3")
    monkeypatch.setenv("PARLEY_DATA_DIR", str(tmp_path / "server-data"))
    with server as proc:
        assert cli("ingest", str(SEEDS)).rc == 0
        store = ChunkStore.open(Settings(), FakeEmbeddings())
        proc.send_signal(signal.SIGSTOP)
        try:
            with pytest.raises(StoreError) as err:
                store.count()
            error_line(cli("search", "Peskov"), r"Chroma server at PARLEY_CHROMA_URL=.* is not answering")
        finally:
            proc.send_signal(signal.SIGCONT)
    assert re.fullmatch(r"Chroma server at http://127\.0\.0\.1:\d+ did not answer the count within 3s: "
                        r"is it overloaded\? raise PARLEY_CHROMA_TIMEOUT_S", str(err.value))
