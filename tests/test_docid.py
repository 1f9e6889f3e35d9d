"""Document ids (vectorstore/docid.py): which root a file's id is taken relative to."""

from __future__ import annotations

from pathlib import Path

from vectorstore.docid import Claims, Roots, assign_id, candidate_ids
from vectorstore.docstore import DocStore
from vectorstore.loader import read_article


def test_id_is_relative_to_the_first_given_root_above_the_file(tmp_path):
    f = tmp_path / "corpus" / "dirA" / "report.txt"
    outer, inner = tmp_path / "corpus", tmp_path / "corpus" / "dirA"
    assert candidate_ids(f, [outer, inner])[0] == "dirA/report.txt"
    assert candidate_ids(f, [inner, outer])[0] == "report.txt"
    # the file given on its own, among other files: no root above it, the file name comes first
    others = [tmp_path / f"other{i}.txt" for i in range(3)]
    assert candidate_ids(f, [*others, f])[0] == "report.txt"
    assert candidate_ids(f, [*others, f])[1] == "dirA/report.txt"
    # a Roots built once answers as the list does
    assert candidate_ids(f, Roots([outer, inner])) == candidate_ids(f, [outer, inner])
    assert Roots([Path("/")]).base_of("/a/b.txt") == "/"


def test_many_files_given_by_name_keep_their_names_and_refuse_repeats(tmp_path):
    paths = []
    for i in range(300):
        p = tmp_path / f"a{i:03d}.txt"
        p.write_text(f"Article {i}.\n\nThe Kremlin said talks on item {i} were possible.\n")
        paths.append(p)
    ds, claims, roots = DocStore(tmp_path / "store"), Claims(), Roots(paths)
    ids = [assign_id(read_article(p, max_bytes=2**20), p, roots, ds, claims).doc_id for p in paths]
    assert ids == [p.name for p in paths]
    try:
        assign_id(read_article(paths[7], max_bytes=2**20), paths[7], roots, ds, claims)
    except Exception as e:  # noqa: BLE001 - the message is what the user sees
        assert "listed twice" in str(e)
    else:
        raise AssertionError("a file listed twice took a second id")
