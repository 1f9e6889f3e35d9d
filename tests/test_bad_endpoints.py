"""Outside services that fail: chat model and embeddings endpoints, and a kill -9 mid-ingest.

Real servers on 127.0.0.1: stub HTTP endpoints that misbehave (tests/stub_servers.py), and
`parley ingest` as a real process for the kill -9 (the Chroma server cases: test_bad_chroma.py).
Each case: one line naming the backend and what to do, the exit code, the sentinel key nowhere
(also when the server echoes the request's headers and body), the stores unchanged.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

import pytest
from bad_helpers import (
    KEY_VARS,
    SEEDS,
    SENTINEL,
    copy_data,
    error_line,
    run_cli,
    seed_data,
    set_sentinel_keys,
    snapshot,
)
from proc_helpers import free_port
from store_helpers import generate_corpus
from stub_servers import stub_endpoint

from chains.models import make_chat_model
from parley.core.errors import ParleyError
from parley.core.settings import Settings
from vectorstore.docstore import DocStore
from vectorstore.embeddings import OpenAICompatEmbeddings

pytestmark = pytest.mark.integration
CHROMA = Path(sys.executable).parent / "chroma"
QUESTION = "Who held the first high-level US-Russia contact after the invasion?"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return seed_data(tmp_path_factory.mktemp("bad-endpoints"))


@pytest.fixture
def data(template, monkeypatch, caplog) -> Path:
    set_sentinel_keys(monkeypatch)
    monkeypatch.setenv("PARLEY_EMBEDDING_BACKEND", "fake")
    monkeypatch.setenv("PARLEY_LLM_BACKEND", "fake")
    caplog.set_level(logging.DEBUG)
    return copy_data(template, Path(os.environ["PARLEY_DATA_DIR"]))


@pytest.fixture
def cli(capsys, caplog):
    return lambda *argv: run_cli(list(argv), capsys, caplog)


# --- the chat model endpoint -----------------------------------------------------------------
CHAT_CASES = {
    "silent": r"chat model at http://127\.0\.0\.1:\d+/v1 did not answer within 2s: .*PARLEY_LLM_TIMEOUT_S",
    "http500_echo": r"chat model at .* failed with HTTP 500",
    "http401_echo": r"chat model at .* rejected the API key \(HTTP 401\): check PARLEY_OPENAI_API_KEY",
    "malformed": r"chat model at .* sent a malformed response",
    "malformed_stream": r"chat model at .* sent a malformed response",
}


def _use_chat(monkeypatch, url: str) -> None:
    monkeypatch.setenv("PARLEY_LLM_BACKEND", "openai")
    monkeypatch.setenv("PARLEY_OPENAI_BASE_URL", url)
    monkeypatch.setenv("PARLEY_OPENAI_MODEL", "stub")
    monkeypatch.setenv("PARLEY_LLM_TIMEOUT_S", "2")


@pytest.mark.parametrize("mode", sorted(CHAT_CASES))
def test_chat_endpoint_misbehaving_is_one_line(mode, data, cli, monkeypatch):
    before = snapshot(data)
    with stub_endpoint(mode, hold_s=20) as url:
        _use_chat(monkeypatch, url)
        r = cli("ask", QUESTION)
    error_line(r, CHAT_CASES[mode])
    assert snapshot(data) == before


def test_chat_endpoint_down_is_one_line(data, cli, monkeypatch):
    _use_chat(monkeypatch, f"http://127.0.0.1:{free_port()}/v1")
    before = snapshot(data)
    error_line(cli("ask", QUESTION), r"cannot reach chat model at .*: is the server running\? check PARLEY_OPENAI_BASE_URL")
    assert snapshot(data) == before


def test_key_from_a_dotenv_file_is_masked_too(data, cli, monkeypatch, tmp_path):
    """Not in the environment, so only its shape gives it away when a server echoes it."""
    key = "dotenv-only-3c9e1f7a2b6d"
    for var in KEY_VARS:
        monkeypatch.delenv(var, raising=False)
    (tmp_path / ".env").write_text(f"PARLEY_OPENAI_API_KEY={key}\n")  # the cwd is tmp_path
    with stub_endpoint("http500_echo") as url:
        _use_chat(monkeypatch, url)
        r = cli("ask", QUESTION)
    line = error_line(r, r"HTTP 500")
    assert "authorization" in line.lower() and key not in r.out + r.err + r.log


# --- the embeddings endpoint -----------------------------------------------------------------
EMBED_CASES = {
    "silent": r"embedding endpoint at .* did not answer within 2s: .*PARLEY_EMBEDDING_TIMEOUT_S",
    "http500_echo": r"embedding endpoint at .* failed with HTTP 500",
    "http401_echo": r"embedding endpoint at .* rejected the API key \(HTTP 401\): check PARLEY_EMBEDDING_API_KEY",
    "malformed": r"embedding endpoint at .* sent a malformed response",
    "empty_data": r"embedding endpoint at .* sent a malformed response",
}


@pytest.mark.parametrize("mode", sorted(EMBED_CASES))
def test_embedding_endpoint_misbehaving_is_one_line(mode, data, cli, monkeypatch):
    before = snapshot(data)
    with stub_endpoint(mode, hold_s=20) as url:
        monkeypatch.setenv("PARLEY_EMBEDDING_BACKEND", "openai")
        monkeypatch.setenv("PARLEY_EMBEDDING_BASE_URL", url)
        monkeypatch.setenv("PARLEY_EMBEDDING_TIMEOUT_S", "2")
        r = cli("ingest", str(SEEDS / "000_997b5712c965d847.txt"))
    error_line(r, EMBED_CASES[mode])
    assert snapshot(data) == before


# --- kill -9 in the middle of an ingest -------------------------------------------------------
def test_kill_9_mid_ingest_loses_nothing(data, tmp_path, seed_texts, cli):
    corpus = tmp_path / "corpus"
    generate_corpus(corpus, seed_texts, n_files=120)
    env = {**os.environ}
    cmd = [sys.executable, "-m", "parley.cli.main", "ingest", str(corpus)]
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    records = data / "articles"
    start = len(list(records.glob("*.json")))
    deadline = time.monotonic() + 120
    while len(list(records.glob("*.json"))) <= start and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    r = cli("doctor")  # every record it wrote has its chunks; at most leftover chunks remain
    assert all(x.startswith("orphan-chunks") or "article records" in x for x in r.out.splitlines()), r.out
    again = cli("ingest", str(corpus))
    assert again.rc == 0 and not [x for x in again.lines if x.startswith("skipped")]
    assert cli("doctor").rc == 0
    assert len(DocStore(data / "articles").ids()) == 5 + 120


@pytest.mark.parametrize("mode", ["http500_echo", "http401_echo", "malformed_stream"])
def test_exception_text_and_traceback_hold_no_key(mode, monkeypatch):
    """What a developer sees too: str, repr and the formatted traceback of the error raised."""
    set_sentinel_keys(monkeypatch)
    with stub_endpoint(mode) as url:
        calls = [
            lambda: list(make_chat_model(Settings(llm_backend="openai", openai_base_url=url,
                                                  llm_timeout_s=5)).stream("hi")),
            lambda: OpenAICompatEmbeddings(model="m", base_url=url, api_key=SENTINEL).embed_array(["x"]),
        ]
        for call in calls:
            with pytest.raises(ParleyError) as err:
                call()
            shown = "".join(traceback.format_exception(err.value)) + repr(err.value)
            assert SENTINEL not in shown and "\n" not in str(err.value)
