"""The `parley` command line: one small function per subcommand.

Adding a subcommand: write `_add_NAME(sub)` that makes its parser and sets `func=cmd_NAME`,
write `cmd_NAME(args, settings) -> int`, and append `_add_NAME` to `SUBCOMMANDS`.
Errors users can act on (ParleyError) print one line to stderr and exit 1, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from parley.core.errors import IngestError, ParleyError
from parley.core.limits import check_question
from parley.core.secrets import mask_secrets
from parley.core.settings import Settings, get_settings
from vectorstore.docstore import DocStore
from vectorstore.embeddings import make_embedder
from vectorstore.ingest import ingest_paths
from vectorstore.retrieval import open_retriever
from vectorstore.store import ChunkStore


def _excerpt(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


# --- ingest -------------------------------------------------------------------------------


def _add_ingest(sub: Any) -> None:
    p = sub.add_parser("ingest", help="add articles (files or directories) to the store")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--analyse", action="store_true",
                   help="then label stance for every actor's default brief (model time; "
                        "otherwise it happens on the first brief or with `parley analyse`)")
    p.set_defaults(func=cmd_ingest)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Ingest files; print a summary (or JSON) and the skipped files."""
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        raise IngestError(f"no such file or directory: {', '.join(missing)}")
    docstore = DocStore(settings.articles_dir)
    docstore.ensure_writable()  # before anything is embedded or stored
    embedder = make_embedder(settings)
    store = ChunkStore.open(settings, embedder)
    report = ingest_paths(
        args.paths, settings, embedder, store, docstore,
        progress=not args.json,  # a bar on a terminal, else a line every few seconds
    )
    # searchable now; the ledger (rules, no model) is stored per article right after
    svc = Parley(settings, embedder=embedder, store=store)
    svc.analyse_ledger()
    if args.analyse:
        analyse_corpus(svc)
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        for file, reason in report.skipped:
            print(f"skipped {file}: {reason}", file=sys.stderr)
        print(f"{report.summary()} (store: {store.count()} chunks)")
    return 0 if report.files > len(report.skipped) or report.files == 0 else 1


# --- search -------------------------------------------------------------------------------


def _add_search(sub: Any) -> None:
    p = sub.add_parser("search", help="show the passages retrieval finds for a question")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=None, help="number of passages (default PARLEY_TOP_K)")
    p.add_argument("--json", action="store_true", help="print passages as JSON")
    p.set_defaults(func=cmd_search)


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    """Run hybrid retrieval and print a table (or JSON) of passages."""
    if args.k is not None and args.k < 1:
        raise ParleyError("-k must be at least 1")
    question = check_question(args.question, settings.max_question_chars, what="search text")
    retriever = open_retriever(settings)
    passages = retriever.search(question, args.k or settings.top_k)
    if args.json:
        rows = [
            {
                "rank": p.rank, "score": p.score, "source": p.chunk.source,
                "start": p.chunk.start, "end": p.chunk.end, "text": p.chunk.text,
                "title": p.chunk.title,
                "date": p.chunk.date.isoformat() if p.chunk.date else None,
            }
            for p in passages
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not passages:
        print("no passages: the store is empty; run `parley ingest PATH` first", file=sys.stderr)
        return 0
    print(f"{'rank':>4}  {'score':>7}  {'source':<28}  {'start-end':<11}  text")
    for p in passages:
        c = p.chunk
        print(
            f"{p.rank:>4}  {p.score:7.4f}  {_excerpt(c.source, 28):<28}  "
            f"{f'{c.start}-{c.end}':<11}  {_excerpt(c.text, 70)}"
        )
    return 0


# --- entry point ----------------------------------------------------------------------------

from parley.cli.brief import _add_actors, _add_analyse, _add_brief, analyse_corpus  # noqa: E402
from parley.cli.doctor import _add_doctor  # noqa: E402
from parley.cli.evaluate import _add_eval, _add_stance_score  # noqa: E402
from parley.cli.qa import _add_ask  # noqa: E402
from parley.service import Parley  # noqa: E402

SUBCOMMANDS: list[Callable[[Any], None]] = [_add_ingest, _add_search, _add_ask, _add_brief,
                                             _add_analyse, _add_actors, _add_eval,
                                             _add_stance_score, _add_doctor]


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="parley", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush into a closed pipe stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):  # stdout replaced by an object without a descriptor
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ParleyError as e:  # SettingsError: one line naming the variable
        print(f"parley: error: {e}", file=sys.stderr)
        return 1
    try:
        code = int(args.func(args, settings) or 0)
        sys.stdout.flush()  # a reader that went away shows here, inside these handlers
        return code
    except BrokenPipeError:  # `parley brief X | head`: the reader had enough; not an error to report
        _silence_stdout()
        return 141  # 128 + SIGPIPE, as a shell reports a command its pipe's reader left
    except ParleyError as e:
        print(f"parley: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # the file system refused (disk full, read-only, permissions): one line
        where = f"{e.filename}: " if e.filename else ""
        print(f"parley: error: {mask_secrets(where + (e.strerror or str(e)))}; check the path and "
              "that PARLEY_DATA_DIR is writable", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("parley: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
