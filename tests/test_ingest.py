"""Ingest: idempotence, replacement without orphans, skipping bad files, crash safety."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from store_helpers import HAND_READERS, generate_corpus

from parley.core.settings import get_settings
from vectorstore.docstore import DocStore
from vectorstore.embeddings import FakeEmbeddings
from vectorstore.ftsindex import FtsIndex
from vectorstore.ingest import IngestReport, ingest_paths
from vectorstore.progress import ProgressReporter
from vectorstore.store import ChunkStore

REPO = Path(__file__).resolve().parent.parent


def _open(embedder=None):
    s = get_settings()
    e = embedder or FakeEmbeddings()
    return s, e, ChunkStore.open(s, e), DocStore(s.articles_dir)


def _assert_consistent(store: ChunkStore, docstore: DocStore) -> None:
    """Every record matches its chunks in the store; no chunk without a record; no duplicates."""
    chunks = store.all_chunks()
    assert len({c.id for c in chunks}) == len(chunks) == store.count()
    sources = store.sources()
    assert set(sources) == set(docstore.ids())
    for doc_id, info in sources.items():
        rec = docstore.record(doc_id)
        assert info["chunks"] == rec.chunks
        assert info["doc_hash"] == rec.article.content_hash
    for c in chunks:
        assert docstore.get(c.source).text[c.start : c.end] == c.text


def test_reingest_is_a_noop_and_changed_file_replaces(tmp_path, seed_texts):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in seed_texts.items():
        (corpus / name).write_text(text, encoding="utf-8")
    s, e, store, ds = _open()
    r1 = ingest_paths([corpus], s, e, store, ds, progress=False, **HAND_READERS)
    assert (r1.files, r1.added, r1.unchanged, r1.replaced, r1.skipped) == (5, 5, 0, 0, [])
    n, calls = store.count(), e.calls
    assert r1.chunks == n == calls > 5

    r2 = ingest_paths([corpus], s, e, store, ds, progress=False, **HAND_READERS)
    assert (r2.added, r2.unchanged, r2.replaced, r2.chunks) == (0, 5, 0, 0)
    assert store.count() == n and e.calls == calls  # nothing embedded

    name = sorted(seed_texts)[1]
    (corpus / name).write_text(seed_texts[name] + "\n\nA new closing paragraph about Peskow.\n")
    r3 = ingest_paths([corpus], s, e, store, ds, progress=False, **HAND_READERS)
    assert (r3.added, r3.unchanged, r3.replaced) == (0, 4, 1)
    assert e.calls == calls + r3.chunks
    _assert_consistent(store, ds)
    assert "Peskow.\n" in ds.get(name).text


def test_bad_files_are_skipped_with_reasons(tmp_path, seed_texts):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    name, text = next(iter(seed_texts.items()))
    (corpus / name).write_text(text)
    (corpus / "empty.txt").write_text("  \n")
    (corpus / "binary.txt").write_bytes(b"\xff\xfe\x00\x81" * 50)
    s, e, store, ds = _open()
    r = ingest_paths([corpus], s, e, store, ds, progress=False, **HAND_READERS)
    assert r.added == 1 and r.files == 3
    reasons = dict(r.skipped)
    assert set(reasons) == {str(corpus / "empty.txt"), str(corpus / "binary.txt")}
    assert all("\n" not in why and why for why in reasons.values())
    assert set(store.sources()) == {name}


def test_same_file_name_in_two_folders_keeps_both(tmp_path, seed_texts):
    name, text = next(iter(seed_texts.items()))
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / name).write_text(text + d)
    s, e, store, ds = _open()
    r = ingest_paths([tmp_path / "a", tmp_path / "b"], s, e, store, ds, progress=False, **HAND_READERS)
    assert r.added == 2 and not r.skipped
    assert set(store.sources()) == {name, f"b/{name}"}
    assert {ds.get(i).text[-1] for i in (name, f"b/{name}")} == {"a", "b"}
    again = ingest_paths([tmp_path / "b", tmp_path / "a"], s, e, store, ds, progress=False,
                         **HAND_READERS)
    assert again.unchanged == 2 and again.added == again.replaced == 0


def test_interrupted_ingest_is_redone(tmp_path, seed_texts, monkeypatch):
    """Chunks stored but the record not written (a crash between the two): the re-run redoes it."""
    paths = generate_corpus(tmp_path / "gen", seed_texts, n_files=6)
    s, e, store, ds = _open()
    real_put, calls = ds.put, {"n": 0}

    def crash_on_fourth(article, **kw):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # stands in for the process dying here
        real_put(article, **kw)

    monkeypatch.setattr(ds, "put", crash_on_fourth)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths(paths, s, e, store, ds, progress=False, **HAND_READERS)
    monkeypatch.setattr(ds, "put", real_put)
    assert len(ds.ids()) == 3
    # and a half-deleted document: its chunk count no longer matches its record
    victim = ds.ids()[0]
    ids = [c.id for c in store.all_chunks() if c.source == victim]
    # a delete cut short: every store write marks its sources and moves the generation first
    store.rows.mark([victim])
    store._bump()
    store._col.delete(ids=ids[:1])
    r = ingest_paths(paths, s, e, store, ds, progress=False, **HAND_READERS)
    # the three documents stored before the crash but without a record are not embedded again
    assert r.unchanged == 2 and r.resumed == 3 and r.replaced == 1 and r.chunks == len(ids)
    _assert_consistent(store, ds)
    assert len(ds.ids()) == 6


CRASH_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from parley.core.settings import get_settings
    from vectorstore.docstore import DocStore
    from vectorstore.embeddings import make_embedder
    from vectorstore.ingest import ingest_paths
    from vectorstore.store import ChunkStore
    s = get_settings(embedding_batch_size=8)
    e = make_embedder(s)
    r = ingest_paths([Path(sys.argv[1])], s, e, ChunkStore.open(s, e), DocStore(s.articles_dir),
                     progress=False)
    print(r.model_dump_json())
    """
)


@pytest.mark.integration
def test_sigkill_mid_ingest_then_rerun_completes(tmp_path, seed_texts):
    """Real ONNX model + on-disk Chroma in a subprocess, SIGKILLed part-way; the re-run finishes."""
    corpus = tmp_path / "gen"
    generate_corpus(corpus, seed_texts, n_files=40)
    script = tmp_path / "ingest_once.py"
    script.write_text(CRASH_SCRIPT)
    s = get_settings()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = [sys.executable, str(script), str(corpus)]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    # wait until at least one flush finished (records exist), then kill without warning
    while time.monotonic() < deadline and proc.poll() is None:
        if s.articles_dir.is_dir() and any(s.articles_dir.glob("*.json")):
            break
        time.sleep(0.05)
    time.sleep(0.5)  # land the kill somewhere inside the next flush
    assert proc.poll() is None, f"ingest finished before the kill: {proc.stderr.read()[-500:]!r}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    recorded = set(DocStore(s.articles_dir).ids())
    done_before = len(recorded)
    assert 0 < done_before < 40
    e = FakeEmbeddings()  # only to open the store under the real model's name and dim
    e.name, e.dim = "all-MiniLM-L6-v2", 384
    pre = ChunkStore.open(s, e).sources()  # what the killed run left in Chroma

    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=400)
    assert out.returncode == 0, out.stderr[-2000:]
    r = IngestReport.model_validate_json(out.stdout.strip().splitlines()[-1])
    assert r.unchanged == done_before and r.added + r.replaced + r.resumed == 40 - done_before
    store, ds = ChunkStore.open(s, e), DocStore(s.articles_dir)
    _assert_consistent(store, ds)
    assert len(ds.ids()) == 40
    # stored but unrecorded documents were kept, not embedded again; everything else was embedded
    final = store.sources()
    kept = {d for d, v in pre.items() if d not in recorded and v == final[d]}
    assert r.resumed == len(kept)
    assert r.chunks == sum(v["chunks"] for d, v in final.items() if d not in recorded | kept)
    idx = FtsIndex.for_store(store)  # the lexical index matches Chroma again
    assert idx.sync(store) == 0 and idx.sources() == final and idx.count() == store.count()


def test_unreadable_file_is_skipped_not_fatal(tmp_path, seed_texts):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in list(seed_texts.items())[:2]:
        (corpus / name).write_text(text)
    locked = sorted(corpus.iterdir())[0]

    def reader(path):
        if path == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return HAND_READERS["reader"](path)

    s, e, store, ds = _open()
    kw = {**HAND_READERS, "reader": reader}
    r = ingest_paths([corpus], s, e, store, ds, progress=False, **kw)
    assert r.added == 1 and r.skipped[0][0] == str(locked)
    assert "PermissionError" in r.skipped[0][1] and "\n" not in r.skipped[0][1]


def test_progress_reaches_the_callback_and_log_lines(tmp_path, seed_texts, capsys):
    paths = generate_corpus(tmp_path / "gen", seed_texts, n_files=6)
    s, e, store, ds = _open()
    seen = []
    r = ingest_paths(paths, s, e, store, ds, progress=False, on_progress=seen.append, **HAND_READERS)
    assert [p.files_done for p in seen if p.chunks == seen[-1].chunks][-1] == 6
    assert seen[-1].files_total == 6 and seen[-1].chunks == r.chunks and seen[-1].fraction == 1.0
    assert all(a.files_done <= b.files_done and a.chunks <= b.chunks for a, b in zip(seen, seen[1:], strict=False))
    assert seen[-1].chunks_per_s > 0 and seen[-1].eta_s == 0
    assert capsys.readouterr().err == ""  # progress=False: nothing printed

    log = io.StringIO()  # not a terminal: plain lines, not a bar
    rep = ProgressReporter(4, 400, show=True, stream=log, every_s=0.0)
    rep.update(files=1, nbytes=100, chunks=10)
    rep.close()
    lines = log.getvalue().splitlines()
    assert lines[0].startswith("ingest: 1/4 files (25%), 10 chunks searchable") and "ETA" in lines[0]
    assert "\r" not in log.getvalue() and len(lines) == 3
