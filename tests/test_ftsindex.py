"""The on-disk lexical index: BM25 (tantivy), add / replace / remove per source, restart, processes, crashes."""

from __future__ import annotations

import math
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from store_helpers import make_article, para_chunks

from parley.core.schema import Chunk
from parley.text.words import stem, token_set, tokens
from vectorstore.fts_query import WHERE_COLUMNS
from vectorstore.fts_terms import chunk_terms, matchable
from vectorstore.ftsindex import FtsIndex
from vectorstore.where import matches_where, where_sql

REPO = Path(__file__).resolve().parent.parent


def _chunks(name: str, text: str) -> list[Chunk]:
    return para_chunks(make_article(name, text))


def _index(path: Path, docs: dict[str, str]) -> FtsIndex:
    idx = FtsIndex(path)
    idx.replace_sources([(name, _chunks(name, text)) for name, text in docs.items()])
    return idx


def _found(idx: FtsIndex, query: str, n: int = 10, where=None) -> list[str]:
    return [c.source for c, _ in idx.search(idx.query_terms().expand(query), n, where)]


def _rowids(idx: FtsIndex, source: str) -> list[int]:
    return [r[0] for r in idx._read("SELECT rowid FROM chunks WHERE source = ?", (source,))]


DOCS = {
    "a.txt": "Maria Zajarova said the talks were over.",
    "b.txt": "Peskow told reporters the Kremlin keeps quiet.\n\nAid to Kiev was discussed.",
    "c.txt": "Weapons and aid: the summit in Vienna ended without a deal.",
}


def test_bm25_is_the_okapi_formula_by_hand(tmp_path):
    """BM25 (k1=1.2, b=0.75, idf=ln(1+(N-n+0.5)/(n+0.5))), each word's score times its weight.

    N and the mean length count the index's one stamp document (no words): see bm25_index.py.
    """
    docs = {"1.txt": "alpha beta beta gamma", "2.txt": "alpha delta", "3.txt": "epsilon zeta eta theta",
            "4.txt": "iota kappa", "5.txt": "lambda mu nu"}
    idx = _index(tmp_path / "x.sqlite3", docs)
    toks = {k: tokens(v) for k, v in docs.items()}
    n_docs = len(toks) + 1
    avgdl = sum(map(len, toks.values())) / n_docs

    def bm25(term: str, doc: list[str]) -> float:
        n = sum(term in t for t in toks.values())
        idf = math.log(1 + (n_docs - n + 0.5) / (n + 0.5))
        tf = doc.count(term)
        return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(doc) / avgdl))

    for weights in ({"beta": 1.0}, {"alpha": 1.0, "beta": 0.5}, {"alpha": 0.25, "delta": 1.0}):
        got = {c.source: s for c, s in idx.search(weights, 10)}
        want = {k: sum(w * bm25(t, d) for t, w in weights.items()) for k, d in toks.items()}
        assert set(got) == {k for k, v in want.items() if v > 0}
        assert all(got[k] == pytest.approx(want[k], rel=1e-5) for k in got)


def test_variants_find_spellings_but_not_noise(tmp_path):
    qt = _index(tmp_path / "x.sqlite3", DOCS).query_terms()
    assert ("zajarova", 2) in qt.variants("zakharova")
    assert ("peskow", 1) in qt.variants("peskov")
    assert ("kiev", 2) in qt.variants("kyiv")
    assert qt.variants("keep") == [("keeps", 0)]  # same stem
    assert qt.variants("said") == []  # stopwords never expand
    w = qt.expand("What did Zakharova say?")
    assert "what" not in w and w["zajarova"] > 0.5  # missing from the corpus: variants weigh more


def test_accents_and_case_fold_on_both_sides(tmp_path):
    idx = _index(tmp_path / "x.sqlite3", {"a.txt": "La portavoz María Zajárova habló.", **DOCS})
    assert set(_found(idx, "ZAJAROVA")) == {"a.txt"}
    assert _found(idx, "zajárova")[0] == "a.txt"


def test_add_replace_remove_touch_only_their_rows(tmp_path):
    idx = _index(tmp_path / "x.sqlite3", DOCS)
    b_rows, n = _rowids(idx, "b.txt"), idx.count()
    new_a = _chunks("a.txt", "Blorptastic envoys met in Geneva.")
    idx.replace_sources([("a.txt", new_a)])
    assert _rowids(idx, "b.txt") == b_rows  # the other article's rows are untouched
    assert _found(idx, "blorptastic") == ["a.txt"] and _found(idx, "Zajarova") == []
    assert idx.count() == n - 1 + len(new_a)
    assert idx.query_terms().has("blorptastic") and not idx.query_terms().has("zajarova")
    idx.delete_source("a.txt")
    assert _found(idx, "blorptastic") == [] and idx.source("a.txt") is None
    assert _rowids(idx, "b.txt") == b_rows and not idx.query_terms().has("blorptastic")
    assert set(idx.sources()) == {"b.txt", "c.txt"}


def test_vectors_are_kept_beside_their_chunks_and_leave_with_them(tmp_path):
    rng = np.random.default_rng(0)
    a, b = _chunks("a.txt", DOCS["a.txt"]), _chunks("b.txt", DOCS["b.txt"])
    va, vb = rng.standard_normal((len(a), 8)), rng.standard_normal((len(b), 8))
    idx = FtsIndex(tmp_path / "x.sqlite3")
    idx.replace_sources([("a.txt", a, va), ("b.txt", b, vb), ("c.txt", _chunks("c.txt", DOCS["c.txt"]))])
    got = idx.vectors([c.id for c in a + b] + ["nope"])
    assert set(got) == {c.id for c in a + b}  # c.txt came without vectors, "nope" is unknown
    assert all(np.array_equal(got[c.id], v.astype(np.float32)) for c, v in zip(b, vb, strict=True))
    new_a = _chunks("a.txt", "Blorptastic envoys met in Geneva.")
    idx.replace_sources([("a.txt", new_a)])  # replaced without vectors: the old ones go
    assert idx.vectors([c.id for c in a + new_a]) == {}
    idx.delete_source("b.txt")
    assert idx._read("SELECT count(*) FROM vecs")[0][0] == 0

    class Store:  # the store's side of fill_vectors: vectors by id, one lacking
        asked: list[str] = []

        def embeddings_of(self, ids):
            self.asked += ids
            return {cid: np.full(8, i, np.float32) for i, cid in enumerate(ids) if cid != new_a[0].id}

    assert idx.fill_vectors(Store(), batch=2) == idx.count() - 1
    assert set(idx.vectors(Store.asked)) == set(Store.asked) - {new_a[0].id}
    Store.asked = []  # again: only the one the store lacks is asked for
    assert idx.fill_vectors(Store()) == 0 and Store.asked == [new_a[0].id]
    idx.replace_sources([("a.txt", new_a, np.ones((len(new_a), 8)))])
    Store.asked = []  # nothing missing any more: not even looked for
    assert idx.fill_vectors(Store()) == 0 and idx.fill_vectors(Store()) == 0 and Store.asked == []


def test_a_writer_that_dies_between_the_two_commits_is_mended(tmp_path, monkeypatch):
    """BM25 committed, SQLite not: the next open, sync or write rebuilds BM25 from the rows."""
    path = tmp_path / "x.sqlite3"
    idx = _index(path, DOCS)
    real = FtsIndex._write_bm25

    def then_die(self, db, rebuild):
        real(self, db, rebuild)
        raise KeyboardInterrupt  # as if killed before SQLite's COMMIT

    monkeypatch.setattr(FtsIndex, "_write_bm25", then_die)
    with pytest.raises(KeyboardInterrupt):
        idx.replace_sources([("z.txt", _chunks("z.txt", "Blorptastic envoys met in Geneva.")), ("a.txt", [])])
    monkeypatch.undo()
    assert idx.source("z.txt") is None and idx.source("a.txt")  # SQLite rolled back
    again = FtsIndex(tmp_path / "x.sqlite3")  # another process opening the file mends it
    assert _found(again, "blorptastic") == [] and _found(again, "Zajarova") == ["a.txt"]
    assert not again.mend() and not idx.mend()  # both see the rebuilt index
    assert _found(idx, "Zajarova") == ["a.txt"]
    monkeypatch.setattr(FtsIndex, "_write_bm25", then_die)
    with pytest.raises(KeyboardInterrupt):  # and the next write after such a death rebuilds
        idx.delete_source("a.txt")
    monkeypatch.undo()
    assert _found(idx, "Zajarova") == []  # BM25 lost a.txt; SQLite kept it
    idx.replace_sources([("d.txt", _chunks("d.txt", "Envoys met in Vienna."))])
    assert _found(idx, "Zajarova") == ["a.txt"] and sorted(_found(idx, "Vienna")) == ["c.txt", "d.txt"]


def test_top_k_is_the_exhaustive_ranking_for_common_words(tmp_path):
    """The engine skips postings that cannot reach the top k: its top 10 is the full ranking's."""
    words = ["said", "talks", "minister", "ukraine", "security", "envoy", "report", "week"]
    docs = {f"{i}.txt": " ".join(words[(i * j) % len(words)] for j in range(3 + i % 17)) + f" item{i}."
            for i in range(400)}
    idx = _index(tmp_path / "x.sqlite3", docs)
    for w in ({"said": 1.0, "talks": 1.0}, {"minister": 1.0, "envoy": 0.5, "week": 0.25}):
        full = idx.search(w, 400)
        assert len(full) > 100
        assert [(c.id, s) for c, s in idx.search(w, 10)] == [(c.id, s) for c, s in full[:10]]


def test_an_index_from_before_tantivy_is_ranked_after_its_first_open(tmp_path):
    """Rows written when FTS5 ranked them (no BM25 folder, no stamp) are ranked once opened."""
    path = tmp_path / "x.sqlite3"
    _index(path, DOCS).close()
    db = sqlite3.connect(path)
    db.execute("DELETE FROM meta WHERE key = 'bm25_stamp'")
    db.commit()
    db.close()
    shutil.rmtree(path.with_suffix(".bm25"))
    assert _found(FtsIndex(path), "Zajarova") == ["a.txt"]


def test_survives_a_restart(tmp_path):
    path = tmp_path / "x.sqlite3"
    idx = _index(path, DOCS)
    idx.set_generation(7)
    before = [(c.id, s) for c, s in idx.search({"aid": 1.0, "kremlin": 0.5}, 5)]
    idx.close()
    again = FtsIndex(path)
    assert [(c.id, s) for c, s in again.search({"aid": 1.0, "kremlin": 0.5}, 5)] == before
    assert again.synced_generation() == 7 and again.count() == sum(len(_chunks(k, v)) for k, v in DOCS.items())
    assert again.chunks([before[0][0]])[before[0][0]].text


WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[3])
    from store_helpers import make_article, para_chunks
    from vectorstore.ftsindex import FtsIndex
    idx = FtsIndex(sys.argv[1])
    for i in range(int(sys.argv[4])):
        name = f"{sys.argv[2]}-{i}.txt"
        idx.replace_sources([(name, para_chunks(make_article(name, f"{sys.argv[2]} report number {i}.")))])
    print(idx.count())
    """
)


def _writer(tmp_path: Path, path: Path, tag: str, n: int) -> subprocess.Popen:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, str(script), str(path), tag, str(REPO / "tests"), str(n)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_processes_share_one_index(tmp_path):
    """Another process's writes are seen by an open index at once; concurrent writers both land."""
    path = tmp_path / "x.sqlite3"
    idx = _index(path, DOCS)
    assert _found(idx, "quuxifier") == []
    out, err = _writer(tmp_path, path, "quuxifier", 1).communicate(timeout=120)
    assert err == "" or "Error" not in err, err
    assert _found(idx, "quuxifier") == ["quuxifier-0.txt"]  # no reopen, no rebuild
    procs = [_writer(tmp_path, path, tag, 25) for tag in ("frobnicate", "glorbify")]
    for p in procs:
        _, err = p.communicate(timeout=180)
        assert p.returncode == 0, err[-1000:]
    assert len(_found(idx, "frobnicate", 50)) == 25 and len(_found(idx, "glorbify", 50)) == 25
    assert idx.count() == sum(len(_chunks(k, v)) for k, v in DOCS.items()) + 51


FILTERS = [
    {"source": "b.txt"},
    {"source": {"$in": ["a.txt", "c.txt"]}},
    {"source": {"$nin": ["a.txt"]}},
    {"source": {"$ne": "c.txt"}},
    {"index": {"$gte": 1}},
    {"$or": [{"source": "a.txt"}, {"index": {"$gt": 0}}]},
    {"$and": [{"source": {"$in": ["b.txt", "c.txt"]}}, {"index": 0}]},
    {"title": {"$ne": "x"}},
    {"date": {"$lt": "2030-01-01"}},  # absent everywhere: never compares true
    {"source": {"$in": []}},
    {"source": {"$nin": []}},
]


@pytest.mark.parametrize("where", FILTERS)
def test_sql_filters_agree_with_the_python_ones(tmp_path, where):
    docs = {k: f"common words here.\n\n{v}\n\nmore common words." for k, v in DOCS.items()}
    idx = _index(tmp_path / "x.sqlite3", docs)
    everything = idx.search({"common": 1.0}, 100)
    want = {c.id for c, _ in everything if matches_where(
        {"source": c.source, "start": c.start, "end": c.end, "index": c.index}, where)}
    got = {c.id for c, _ in idx.search({"common": 1.0}, 100, where)}
    assert got == want
    assert where_sql(where, WHERE_COLUMNS)[0]


def test_scores_of_particular_chunks(tmp_path):
    idx = _index(tmp_path / "x.sqlite3", DOCS)
    top = idx.search({"aid": 1.0}, 10)
    ids = [c.id for c, _ in top]
    other = _chunks("a.txt", DOCS["a.txt"])[0].id
    got = idx.scores({"aid": 1.0}, [*ids, other, "no-such-id"])
    assert [got[i] for i in ids] == pytest.approx([s for _, s in top])
    assert got[other] == 0.0 and got["no-such-id"] == 0.0


def test_vocabulary_terms_are_the_tokens_that_can_have_variants(seed_texts):
    for text in seed_texts.values():
        assert token_set(text) == set(tokens(text))
        assert chunk_terms("", text) == {t for t in tokens(text) if matchable(stem(t))}

