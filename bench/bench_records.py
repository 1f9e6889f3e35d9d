"""Reading every article record, as the page does on each interaction and ingest does per run.

    python -m bench.bench_records --articles 20000 [--reps 5] [--no-save]

Baseline, measured in the same run: a fresh `DocStore` reading the folder (parses every record:
what `all()` cost on every call before it kept what it parsed). Against it: `all()` again once
the folder has settled (nothing re-read), and `all()` after one more record was written (the
folder listed again, one record parsed). Records come from generated articles (bench.corpus).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from bench.corpus import write_articles
from bench.report import BENCH, machine, median_seconds, save_section
from vectorstore.docstore import DocStore
from vectorstore.loader import read_article


def settle(folder: Path) -> None:
    """Date the folder's last write 10 s back, as if the page were opened a little later."""
    t = time.time() - 10
    os.utime(folder, (t, t))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=20_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--no-save", action="store_true")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="parley-bench-records-") as tmp:
        src, recs = Path(tmp) / "src", Path(tmp) / "records"
        paths = write_articles(src, a.articles + 1)
        ds = DocStore(recs)
        for p in paths[:-1]:
            ds.put(read_article(p, max_bytes=10_000_000), chunks=1)
        mb = sum(f.stat().st_size for f in recs.iterdir()) / 1e6
        settle(recs)
        cold = median_seconds(lambda: DocStore(recs).all(), a.reps)
        ds.all()
        warm = median_seconds(ds.all, a.reps)
        extra = read_article(paths[-1], max_bytes=10_000_000)

        def one_more() -> None:
            ds.put(extra, chunks=1)
            settle(recs)
            assert len(ds.all()) == a.articles + 1
        after_write = median_seconds(one_more, a.reps)
    rows = [
        ("every record parsed (fresh DocStore: the old `all()`)", cold, 1.0),
        ("`all()` again, folder unchanged", warm, warm / cold),
        ("`all()` after one record rewritten (list + 1 parse)", after_write, after_write / cold),
    ]
    table = "\n".join(f"| {name} | {s * 1000:.1f} ms | {r:.3f} |" for name, s, r in rows)
    md = (f"`python -m bench.bench_records --articles {a.articles} --reps {a.reps}` — {machine()}, "
          f"{a.articles:,} records, {mb:.0f} MB.\n\n"
          f"| read | median | vs baseline |\n|---|---|---|\n{table}\n")
    print(md)
    if not a.no_save:
        save_section("records", md, BENCH / "RESULTS-records.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
