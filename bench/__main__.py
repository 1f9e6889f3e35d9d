"""The benchmarks, by name: `python -m bench` lists them; `python -m bench NAME` runs one.

    python -m bench                 # this menu
    python -m bench search          # quick sizes, results printed, not saved
    python -m bench search --full   # the sizes in RESULTS-scale.md, results saved there
    python -m bench search --sizes 5000   # any other arguments go to the bench itself

Quick defaults take a few minutes on a 2-core machine; `--full` runs take from half an hour
(search) to hours (server at 1M chunks). Run them under `nice`, one at a time.
"""

from __future__ import annotations

import importlib
import sys

# name: (module, quick arguments, full arguments, what it measures)
BENCHES: dict[str, tuple[str, list[str], list[str], str]] = {
    "ingest": ("bench.bench_ingest", ["--articles", "200", "--slices", "2", "--no-save"],
               ["--articles", "2000", "--slices", "4"],
               "generated articles: pipeline vs bare embedding model chunks/s, time until searchable"),
    "search": ("bench.bench_search", ["--sizes", "2000,10000", "--adds", "2", "--no-save"],
               ["--sizes", "10000,100000", "--adds", "5"],
               "hybrid search vs bare Chroma p95, search-process memory, one more article searchable"),
    "lexical": ("bench.bench_lexical", ["--sizes", "20000", "--no-save"],
                ["--sizes", "10000,100000"],
                "the lexical side alone: BM25 (tantivy) cost per corpus size"),
    "server": ("bench.bench_server", ["--sizes", "5000,20000", "--no-save"],
               ["--sizes", "100000,300000,1000000"],
               "hybrid search on a `chroma run` server as it fills; Chroma's $contains filter"),
    "sync": ("bench.bench_sync", ["--fill", "20000", "--scan-limit", "30", "--no-save"],
             ["--fill", "100000"],
             "an app host catching up with a store another host wrote to (per-source rows vs offset scan)"),
    "records": ("bench.bench_records", ["--articles", "2000", "--no-save"], ["--articles", "20000"],
                "reading every article record (the page, each interaction) vs parsing them all"),
    "ask": ("bench.bench_ask", [], [], "the embedded model answering (see RESULTS-ask.md)"),
    "llm": ("bench.bench_llm", [], [], "embedded model speed"),
    "answer": ("bench.bench_answer", [], [], "evidence-first answers"),
    "brief": ("bench.bench_brief", [], [], "briefs with the embedded model"),
    "brief-scale": ("bench.bench_brief_scale", [], [], "briefs over a large corpus"),
}


def menu() -> str:
    """The list of benches."""
    rows = [f"  {name:<12} {what}" for name, (_, _, _, what) in BENCHES.items()]
    return __doc__ + "\nBenches:\n" + "\n".join(rows)


def main(argv: list[str]) -> int:
    """Run the named bench with quick (or --full) arguments, or print the menu."""
    if not argv or argv[0] in ("-h", "--help", "list"):
        print(menu())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in BENCHES:
        print(f"unknown bench {name!r}\n\n{menu()}", file=sys.stderr)
        return 2
    module, quick, full, _ = BENCHES[name]
    args = full + [a for a in rest if a != "--full"] if "--full" in rest else (rest or quick)
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        print(f"bench {name}: {e}", file=sys.stderr)
        return 2
    sys.argv = [module, *args]
    mod.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
