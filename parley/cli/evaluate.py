"""`parley eval` (prompt variants × fixtures, cached, reported, gated) and `parley stance-score`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from evals import gate
from evals.fixtures import FIXTURES_DIR, load_qa, load_stance
from evals.plan import REPO, EvalError, load_suite, load_variants, select
from evals.report import terminal_table, write_reports
from evals.runner import SEEDS_DIR, run_matrix
from evals.scoring import summarize
from evals.stance_score import (
    DEFAULT_MAP,
    DEFAULT_PRED_MAP,
    extras,
    parse_map,
    render,
    score_csv,
)
from parley.core.settings import Settings


def _add_eval(sub: Any) -> None:
    p = sub.add_parser("eval", help="run prompt variants over the eval fixtures and compare them")
    p.add_argument("--variants", nargs="+", metavar="V",
                   help="variant names in evals/variants/ or YAML files (default: qa-evidence qa-default)")
    p.add_argument("--fixtures", choices=["qa", "stance", "all"], default="all")
    p.add_argument("--suite", help="a named item subset from evals/baseline/suites.yaml (e.g. ci)")
    p.add_argument("--items", nargs="+", metavar="ID", help="only these item ids")
    p.add_argument("--tags", nargs="+", metavar="T", help="only items with any of these tags")
    p.add_argument("--limit", type=int, help="at most N items per fixture set, spread over the file")
    p.add_argument("--corpus", type=Path, help="directory to ingest first (default: seeds/)")
    p.add_argument("--report", type=Path, metavar="DIR",
                   help="write eval.json + eval.html here (default: PARLEY_DATA_DIR/eval_reports)")
    p.add_argument("--check", action="store_true",
                   help="exit 1 when a metric falls below baseline - tolerance")
    p.add_argument("--baseline", nargs="+", type=Path, metavar="FILE",
                   help="baseline file(s) (default: evals/baseline/<set>[.<suite>].json)")
    p.add_argument("--update-baseline", action="store_true",
                   help="store the first variant's metrics as the baseline")
    p.add_argument("--json", action="store_true", help="print the full summary as JSON")
    p.set_defaults(func=cmd_eval)


def _select(args: argparse.Namespace, corpus: Path | None) -> tuple[list, list]:
    suite = load_suite(args.suite) if args.suite else None
    picked: dict[str, list] = {"qa": [], "stance": []}
    for fs, loader in (("qa", load_qa), ("stance", load_stance)):
        if args.fixtures not in (fs, "all"):
            continue
        items = loader(FIXTURES_DIR / f"{fs}.yaml", corpus_dir=corpus)
        if suite is not None:
            items = select(items, ids=suite.get(fs, []))
        picked[fs] = select(items, ids=args.items, tags=args.tags, limit=args.limit)
    if args.items:
        found = {i.id for items in picked.values() for i in items}
        missing = [i for i in args.items if i not in found]
        if missing:
            raise EvalError(f"--items {missing} not found in the selected fixtures; check the ids")
    if not picked["qa"] and not picked["stance"]:
        raise EvalError("no fixture items selected: loosen --items/--tags/--suite/--limit")
    return picked["qa"], picked["stance"]


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Run the matrix, print the side-by-side table, write reports, update or check baselines."""
    if args.limit is not None and args.limit < 1:
        raise EvalError("--limit must be at least 1")
    if args.corpus is not None and not args.corpus.is_dir():
        raise EvalError(f"--corpus {args.corpus}: not a directory")
    variants = load_variants(args.variants)
    corpus = args.corpus or SEEDS_DIR
    qa_items, stance_items = _select(args, corpus if corpus == SEEDS_DIR else None)
    run = run_matrix(settings, variants, qa_items, stance_items, corpus_dir=corpus,
                     progress=not args.json)
    summary = summarize(run)
    paths = write_reports(summary, args.report or settings.data_dir / "eval_reports")

    items = {"qa": [i.id for i in qa_items], "stance": [i.id for i in stance_items]}
    sets = [fs for fs in ("qa", "stance") if items[fs]]
    given = {_baseline_set(p, sets): p for p in args.baseline or []}
    failures: list[str] = []
    for fs in sets:
        path = given.get(fs) or gate.baseline_path(fs, args.suite)
        if args.update_baseline:
            previous = gate.read_baseline(path) if path.is_file() else None
            gate.write_baseline(path, gate.make_baseline(fs, summary, variants[0].name, items[fs],
                                                         previous))
            print(f"baseline written: {_rel(path, REPO)}", file=sys.stderr)
        if args.check:
            base = gate.read_baseline(path)
            failures += gate.check(base, summary, items[fs], where=str(path))
            for note in gate.drift(base, summary):
                print(f"note: {note}", file=sys.stderr)

    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
    else:
        print(terminal_table(summary))
        print("reports: " + ", ".join(str(p) for p in paths))
    if args.check:
        for line in failures:
            print(f"REGRESSION {line}", file=sys.stderr)
        print(f"check: {'FAILED' if failures else 'passed'} ({len(failures)} regression(s))",
              file=sys.stderr)
    return 1 if failures else 0


def _baseline_set(path: Path, sets: list[str]) -> str:
    """Which fixture set a --baseline file is for: its content, else its name, else the only set."""
    if path.is_file():
        return str(gate.read_baseline(path)["fixture_set"])
    for fs in ("qa", "stance"):
        if path.name.startswith(fs):
            return fs
    if len(sets) == 1:
        return sets[0]
    raise EvalError(f"--baseline {path}: cannot tell its fixture set; name it qa*.json or stance*.json")


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def _add_stance_score(sub: Any) -> None:
    p = sub.add_parser("stance-score", help="score the stance step on a labelled CSV")
    p.add_argument("csv", type=Path)
    p.add_argument("--text-col", required=True)
    p.add_argument("--target-col", required=True)
    p.add_argument("--label-col", required=True)
    p.add_argument("--map", dest="label_map", default=None,
                   help="CSV label → ours, e.g. FAVOR=open,AGAINST=opposed,NONE=none (the default)")
    p.add_argument("--pred-map", default=None,
                   help="our prediction → the CSV's scale (default noncommittal=none)")
    p.add_argument("--encoding", default="utf-8")
    p.add_argument("--limit", type=int, help="score only the first N rows")
    p.add_argument("--json", action="store_true", help="print the report and rows as JSON")
    p.set_defaults(func=cmd_stance_score)


def cmd_stance_score(args: argparse.Namespace, settings: Settings) -> int:
    """Run the stance step on each CSV row; print accuracy, macro-F1 and per-class scores."""
    # lazy: chains.models loads langchain_openai and openai (~1-3 s); only this command needs it
    from chains.models import make_chat_model

    report, rows = score_csv(
        args.csv, args.text_col, args.target_col, args.label_col, make_chat_model(settings),
        label_map=parse_map(args.label_map, DEFAULT_MAP),
        pred_map=parse_map(args.pred_map, DEFAULT_PRED_MAP), encoding=args.encoding,
        limit=args.limit, progress=not args.json,
    )
    more = extras(rows)
    if args.json:
        print(json.dumps({"report": report.model_dump(), **more, "rows": rows}, indent=2,
                         ensure_ascii=False))
    else:
        print(render(report, more))
    return 0
