"""Reading files: verbatim text, HTML extraction, metadata precedence, and one-line errors."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from parley.core.errors import IngestError
from parley.core.schema import ArticleMeta, content_hash
from vectorstore.loader import article_from_text, iter_article_paths, read_article
from vectorstore.meta import read_sidecar

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
MB = 1024 * 1024
BODY = (
    "Port workers extend strike\n\n"
    "Dock workers at the port voted on Friday to extend their strike into a second week.\n\n"
    "The union said the walkout would continue until managers returned with a new offer.\n"
)


def _read(path: Path):
    return read_article(path, max_bytes=20 * MB)


def _one_line_error(path: Path) -> str:
    with pytest.raises(IngestError) as info:
        _read(path)
    msg = str(info.value)
    assert "\n" not in msg and path.name in msg
    return msg


# ---- seeds ----

def test_seed_text_is_the_file_verbatim_with_sidecar_meta(seeds_dir):
    for path in sorted(seeds_dir.glob("*.txt")):
        art = _read(path)
        sidecar = json.loads(path.with_name(path.stem + ".meta.json").read_text(encoding="utf-8"))
        assert art.text == path.read_text(encoding="utf-8")
        assert art.kind == "txt" and art.doc_id == path.name and art.encoding == "utf-8"
        # the hash covers the exact file bytes and the sidecar's declared fields
        declared = json.dumps(read_sidecar(path), sort_keys=True, default=str)
        assert art.content_hash == content_hash(content_hash(path.read_bytes().decode("latin-1")), declared)
        want = dt.date.fromisoformat(sidecar["date"]) if sidecar["date"] else None
        assert art.meta.date == want and art.meta.date_basis == sidecar["date_basis"]
        assert art.meta.meta_source == "mixed"  # date from the sidecar, title from the text
        assert art.meta.outlet is None
        assert art.cleaned_text == "\n\n".join(art.text[s:e] for s, e in art.kept)


def test_title_drops_section_suffix_but_text_keeps_it(seeds_dir):
    art = _read(seeds_dir / "002_8da615250590acec.txt")
    assert art.meta.title == "Russia sends written reply to US about Ukraine"
    assert art.text[slice(*art.kept[0])] == "Russia sends written reply to US about Ukraine | Abroad"


def test_without_sidecar_no_date_or_outlet_is_invented(seeds_dir, tmp_path):
    # seed 000 has "May 16 2024" in an ad line and "(Agencies)"/"TASS" mentions elsewhere
    for name in ("000_997b5712c965d847.txt", "001_a8fea508baf53730.txt", "004_f3e46d03c645a3eb.txt"):
        shutil.copy(seeds_dir / name, tmp_path / name)
        art = _read(tmp_path / name)
        assert art.meta.date is None and art.meta.outlet is None
        assert art.meta.meta_source == "extracted" and art.meta.title


# ---- folders ----

def test_iter_article_paths_walks_folders_sorted_without_sidecars(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    for rel in ["z.txt", "a.md", "b/c.html", "b/c.meta.json", "z.meta.json", "notes.pdf", ".hidden/x.txt", "b/.y.txt"]:
        (tmp_path / rel).write_text("x", encoding="utf-8")
    found = list(iter_article_paths([tmp_path, tmp_path / "z.txt", tmp_path / "z.meta.json"]))
    assert found == [tmp_path / "a.md", tmp_path / "b/c.html", tmp_path / "z.txt"]
    # a file named explicitly is yielded even when it cannot be read, so the reader can say why
    assert list(iter_article_paths([tmp_path / "gone.txt"])) == [tmp_path / "gone.txt"]


# ---- bad inputs: one line, naming the file ----

@pytest.mark.parametrize(
    "name,data,expect",
    [
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\t\n  ", "empty"),
        ("nul.txt", b"Hello\x00\x00\x00world" * 10, "binary"),
        ("png.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "binary"),
        ("ctrl.txt", bytes(range(1, 9)) * 50, "binary"),
        ("utf16.txt", "Hello world".encode("utf-16"), "not UTF-8"),
        ("latin.txt", b"\x81\x8d\x8f\x90\x9d" * 20, "not UTF-8"),
        ("junk.txt", bytes(range(0x80, 0x100)) * 4, "not UTF-8"),
        ("only_furniture.txt", b"Leave a Comment\n\nScroll to Top\n\n#news #world\n", "nothing left"),
        ("bad_front.md", b"---\ntitle: [unclosed\n---\nBody text of the article goes here, he said.\n", "front matter"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path, name, data, expect):
    path = tmp_path / name
    path.write_bytes(data)
    assert expect in _one_line_error(path)


def test_huge_file_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:  # sparse: 50 MB on paper, nothing on disk
        fh.truncate(50 * MB)

    def no_read(self):
        raise AssertionError("read a file that is over the limit")

    monkeypatch.setattr(Path, "read_bytes", no_read)
    msg = _one_line_error(path)
    assert "50.0 MB" in msg and "PARLEY_MAX_FILE_MB" in msg


def test_vanished_and_unsupported_files(tmp_path, monkeypatch):
    assert "not found" in _one_line_error(tmp_path / "gone.txt")
    (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.4")
    assert "unsupported" in _one_line_error(tmp_path / "doc.pdf")
    # deleted between the size check and the read
    path = tmp_path / "race.txt"
    path.write_text(BODY, encoding="utf-8")

    def vanish(self):
        raise FileNotFoundError(str(self))

    monkeypatch.setattr(Path, "read_bytes", vanish)
    assert "not found" in _one_line_error(path)


def test_bad_sidecar_names_the_sidecar(tmp_path):
    (tmp_path / "a.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "a.meta.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IngestError, match=r"^a\.meta\.json: not a readable JSON sidecar"):
        _read(tmp_path / "a.txt")


def test_html_with_only_navigation_is_refused():
    assert "no article text" in _one_line_error(FIXTURES / "nav_only.html")


# ---- encodings ----

def test_cp1252_text_is_decoded_and_recorded(tmp_path):
    path = tmp_path / "cp.txt"
    text = BODY.replace("Dock workers", "“Dock workers”").replace("Friday", "Friday – café")
    path.write_bytes(text.encode("cp1252"))
    art = _read(path)
    assert art.encoding == "cp1252" and art.text == text and "café" in art.cleaned_text


def test_utf8_bom_and_crlf_keep_offsets_exact(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + BODY.replace("\n", "\r\n").encode("utf-8"))
    art = _read(path)
    assert art.encoding == "utf-8-sig" and not art.text.startswith("\ufeff")
    for s, e in art.kept:
        assert art.text[s:e] == art.text[s:e].strip() and "\r" not in art.text[s:e]
    assert art.text[slice(*art.kept[0])] == "Port workers extend strike"


# ---- metadata precedence ----

def test_front_matter_is_meta_and_excluded_from_kept():
    art = _read(FIXTURES / "river_report.md")
    assert art.kind == "md"
    assert art.meta.title == "Floods close river crossings in the north"
    assert art.meta.outlet == "Valley Courier" and art.meta.date == dt.date(2024, 4, 9)
    body_start = art.text.index("# Floods")
    assert art.kept[0][0] == body_start and all(s >= body_start for s, _ in art.kept)
    assert "Share on Facebook" not in art.cleaned_text
    assert "Trains replaced by buses until Friday" in art.cleaned_text


def test_sidecar_wins_over_text_and_front_matter(tmp_path):
    path = tmp_path / "story.md"
    path.write_text("---\noutlet: Front Matter Times\ndate: 2024-01-01\n---\n" + BODY, encoding="utf-8")
    (tmp_path / "story.md.meta.json").write_text(
        json.dumps({"date": "2024-02-03", "url": "https://x.example/s", "note": "ignored"}), encoding="utf-8"
    )
    art = _read(path)
    assert art.meta.date == dt.date(2024, 2, 3) and art.meta.url == "https://x.example/s"
    assert art.meta.outlet == "Front Matter Times" and art.meta.title == "Port workers extend strike"
    assert art.meta.meta_source == "mixed"


def test_dateline_in_kept_text_gives_the_date(tmp_path):
    path = tmp_path / "dl.txt"
    path.write_text(BODY.replace("\n\n", "\n\nPublished 3 June 2023\n\n", 1), encoding="utf-8")
    art = _read(path)
    assert art.meta.date == dt.date(2023, 6, 3) and "3 June 2023" in art.meta.date_basis


def test_copyright_footer_names_the_outlet_but_photo_credit_does_not():
    art = _read(FIXTURES / "harbour_strike.txt")
    assert art.meta.outlet == "Harbour Daily"
    assert art.meta.title == "Dock workers in Rotterdam extend strike into second week"


# ---- HTML ----

def test_html_page_yields_article_text_only():
    art = _read(FIXTURES / "parliament_page.html")
    assert art.kind == "html"
    for s, e in art.kept:
        assert art.text[s:e].strip() == art.text[s:e]
    text = art.text
    for want in [
        "Senate passes budget after all-night session",
        "sending the bill to the president’s desk with two days to spare before a shutdown deadline.",
        "Hospitals win reprieve",
        "“We kept our promise to rural patients,” said Senator Ruth Alvarez",
        "Hospital groups said the money would keep at least twelve clinics open.",
        "The president is expected to sign the bill on Wednesday.",
    ]:
        assert want in art.cleaned_text
    for junk in ["dataLayer", "font-family", "Politics", "Sport", "cookies", "Tweet", "Senators leave the chamber",
                 "Advertisement", "loadAds", "farm bill", "Tags", "Leave a comment", "Most read", "Storm hits", "Privacy"]:
        assert junk not in text
    assert art.meta.outlet == "The Capital Ledger" and art.meta.date == dt.date(2023, 11, 14)
    assert art.meta.url == "https://ledger.example/politics/senate-budget"
    assert art.meta.title == "Senate passes budget after all-night session"


def test_article_from_text_for_uploads():
    meta = ArticleMeta(outlet="Upload Daily", date=dt.date(2024, 5, 1))
    art = article_from_text(BODY, "upload.txt", meta=meta)
    assert art.text == BODY and art.doc_id == "upload.txt" and art.meta.outlet == "Upload Daily"
    assert art.meta.meta_source == "mixed" and art.meta.title == "Port workers extend strike"
    html = article_from_text("<html><body><article><p>" + BODY + "</p></article></body></html>", "u.html", kind="html")
    assert html.kind == "html" and "Dock workers at the port" in html.cleaned_text
    with pytest.raises(IngestError, match="blank.txt"):
        article_from_text("   ", "blank.txt")


def test_html_without_article_tag_falls_back_to_body_minus_furniture(tmp_path):
    page = (
        "<html><head><title>Grain deal extended - Daily Wire Service</title></head><body>"
        "<div class='top-menu'><a href='/'>Home</a> | <a href='/w'>World</a></div>"
        "<div id='content'><h2>Grain deal extended</h2>"
        "<p>Ministers agreed on Monday to extend the grain corridor&nbsp;by four months.<br>"
        "The deal had been due to expire on Friday.</p>"
        "<div class='social-share'>Share on Facebook</div>"
        "<p>Officials said shipments would resume within days.</p></div>"
        "<div class='footer'>Contact us</div></body></html>"
    )
    path = tmp_path / "grain.htm"
    path.write_text(page, encoding="utf-8")
    art = _read(path)
    assert art.kind == "html" and art.meta.outlet is None
    assert art.text == (
        "Grain deal extended\n\n"
        "Ministers agreed on Monday to extend the grain corridor by four months.\n"
        "The deal had been due to expire on Friday.\n\n"
        "Officials said shipments would resume within days."
    )
    assert "".join(art.text[s:e] for s, e in art.kept) == "".join(art.text.split("\n"))  # all kept


def test_changed_sidecar_changes_the_content_hash(tmp_path):
    art = tmp_path / "a.txt"
    art.write_text("Russia and the US will hold talks in January, officials said on Monday.\n", encoding="utf-8")
    side = tmp_path / "a.meta.json"
    side.write_text(json.dumps({"date": "2022-01-03"}), encoding="utf-8")
    first = read_article(art, max_bytes=10**6)
    side.write_text(json.dumps({"date": "2022-01-04"}), encoding="utf-8")
    second = read_article(art, max_bytes=10**6)
    assert first.content_hash != second.content_hash
    assert str(second.meta.date) == "2022-01-04"
