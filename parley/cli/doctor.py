"""`parley doctor`: check that the chunk store and the article store agree; `--repair` mends them."""

from __future__ import annotations

import argparse
import json
from typing import Any

from parley.core.errors import StoreError
from parley.core.settings import Settings
from vectorstore.docstore import DocStore
from vectorstore.embeddings import make_embedder
from vectorstore.health import Problem, blank_chroma_file, diagnose, repair
from vectorstore.store import ChunkStore


def _add_doctor(sub: Any) -> None:
    p = sub.add_parser("doctor", help="check the stores agree; --repair mends what it can")
    p.add_argument("--repair", action="store_true",
                   help="rebuild missing chunks from the article store, drop leftover chunks")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.set_defaults(func=cmd_doctor)


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    """Report disagreements (exit 1 while any remain); with --repair, fix them first."""
    docstore = DocStore(settings.articles_dir)
    blank = blank_chroma_file(settings)
    if blank is not None and not args.repair:
        n = sum(1 for _ in docstore.scan())
        print(f"the Chroma file {blank} is empty (0 bytes) while the article store holds {n} "
              "records: run `parley doctor --repair` to rebuild the chunks from the article store")
        return 1
    if blank is not None:
        blank.unlink()  # 0 bytes: nothing to keep; Chroma makes a new store in its place
    embedder = make_embedder(settings)
    store = ChunkStore.open(settings, embedder, check=False)
    problems = diagnose(store, docstore)
    fixed: list[Problem] = []
    if args.repair and problems:
        repair(problems, settings, store, docstore, embedder, on_step=fixed.append)
        problems = diagnose(store, docstore)
    if args.json:
        print(json.dumps({"repaired": [p.model_dump() for p in fixed],
                          "problems": [p.model_dump() for p in problems]}, indent=2))
    else:
        for p in fixed:
            print(f"repaired {p.line()}")
        for p in problems:
            print(p.line())
        n = sum(1 for _ in docstore.scan())
        state = "they agree" if not problems else f"{len(problems)} problems"
        hint = "" if not problems or args.repair else "; run `parley doctor --repair`"
        print(f"{n} article records, {store.count()} chunks in {store.where}: {state}{hint}")
    if problems and args.repair:
        raise StoreError(f"{len(problems)} problems remain after repair: {problems[0].line()}")
    return 1 if problems else 0
