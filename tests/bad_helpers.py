"""Helpers for the bad-input suite: a seeded data dir to copy, the CLI run in-process, snapshots.

Every case checks three things: the one line the user sees (and its exit code), that no secret
shows anywhere (output, log, exception text), and that the chunk store and the article store
hold exactly what they held before (`snapshot`).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from parley.cli.main import main
from parley.core.settings import Settings
from parley.service import Parley
from vectorstore.embeddings import FakeEmbeddings
from vectorstore.store import ChunkStore

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
# set in every *_API_KEY variable by the suite: it must never show anywhere
SENTINEL = "sk-SENTINEL-0d6f2b9a41c7e8"
KEY_VARS = ("PARLEY_OPENAI_API_KEY", "PARLEY_EMBEDDING_API_KEY", "OPENAI_API_KEY",
            "ANTHROPIC_API_KEY", "CHROMA_API_KEY")
PROGRESS = re.compile(r"^ingest: ")


def set_sentinel_keys(monkeypatch) -> None:
    """The sentinel in every *_API_KEY variable: the usual ones and any already set."""
    for var in {*KEY_VARS, *(k for k in os.environ if k.endswith("_API_KEY"))}:
        monkeypatch.setenv(var, SENTINEL)


def seed_data(root: Path) -> Path:
    """A data dir with the five seeds ingested (fake embeddings, on-disk Chroma); returns it."""
    data = root / "data"
    svc = Parley(Settings(data_dir=data, embedding_backend="fake", llm_backend="fake"),
                 embedder=FakeEmbeddings())
    report = svc.ingest([SEEDS])
    assert report.added == 5 and not report.skipped
    return data


def copy_data(template: Path, dest: Path) -> Path:
    """A private copy of a seeded data dir."""
    shutil.copytree(template, dest)
    return dest


def snapshot(data: Path) -> dict:
    """What the stores hold: article record bytes, and every chunk (id, source, hash, text)."""
    arts = data / "articles"
    records = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted(arts.glob("*.json")) if not p.name.startswith(".")} if arts.is_dir() else {}
    db = data / "chroma" / "chroma.sqlite3"
    if not db.is_file() or db.stat().st_size == 0:
        return {"records": records, "chunks": ("no chroma file" if not db.is_file() else "0-byte file")}
    # built without reading the environment: a case may have set a broken PARLEY_* variable
    settings = Settings.model_construct(data_dir=data, chroma_url=None, collection="parley")
    store = ChunkStore(settings, model_name=FakeEmbeddings().name, dim=FakeEmbeddings().dim,
                       check=False)
    chunks = sorted((c.id, c.source, c.doc_hash, c.text) for c in store.all_chunks())
    return {"records": records, "chunks": chunks}


@dataclass
class Run:
    """One CLI run: exit code, stdout, stderr and what was logged meanwhile."""

    rc: int
    out: str
    err: str
    log: str

    @property
    def lines(self) -> list[str]:
        """The stderr lines a user reads, without the ingest progress lines."""
        return [x for x in self.err.splitlines() if x.strip() and not PROGRESS.match(x)]

    def one_line(self, pattern: str, rc: int = 1) -> str:
        """Assert exactly one message line on stderr matching `pattern`, the exit code, no secret."""
        assert self.rc == rc, (self.rc, self.out, self.err)
        assert len(self.lines) == 1, self.lines
        assert re.search(pattern, self.lines[0]), self.lines[0]
        assert "Traceback" not in self.err + self.out
        self.no_secret()
        return self.lines[0]

    def no_secret(self) -> None:
        """The sentinel key is nowhere: not in output, errors or the log."""
        for text in (self.out, self.err, self.log):
            assert SENTINEL not in text


def run_cli(argv: list[str], capsys, caplog) -> Run:
    """Run `parley ARGV` in this process; return what a user would see."""
    caplog.clear()
    try:
        rc = main(argv)
    except SystemExit as e:  # argparse usage errors
        rc = int(e.code or 0)
    out, err = capsys.readouterr()
    return Run(rc, out, err, caplog.text)


def error_line(r: Run, pattern: str) -> str:
    """The run failed with exactly one `parley: error:` line matching pattern (a draft may precede)."""
    errors = [x for x in r.lines if x.startswith("parley: error:")]
    assert r.rc == 1 and len(errors) == 1, (r.rc, r.lines)
    assert all(x.startswith(("parley: error:", "draft:")) for x in r.lines), r.lines
    assert "Traceback" not in r.err + r.out
    r.no_secret()
    assert re.search(pattern, errors[0]), errors[0]
    return errors[0]
