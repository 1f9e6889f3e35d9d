"""`parley brief ACTOR`, `parley analyse` and `parley actors`: briefs, analysis, the registry."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from chains.analysis import Progress
from parley.cli.actors import cmd_actors
from parley.core.settings import Settings
from parley.render.markdown import brief_markdown
from parley.service import Parley


class ProgressPrinter:
    """Progress on stderr: one live line on a terminal, else a line every `every` seconds."""

    def __init__(self, stream: TextIO | None = None, every: float = 5.0):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every = every
        self.last = -1e9

    def __call__(self, p: Progress) -> None:
        if p.total <= p.cached:
            return  # everything was cached: nothing worth a line
        now = time.monotonic()
        if self.tty:
            self.stream.write("\r" + p.line().ljust(78) + ("\n" if p.finished else ""))
        elif p.finished or now - self.last >= self.every:
            self.stream.write(p.line() + "\n")
            self.last = now
        self.stream.flush()


def _add_brief(sub: Any) -> None:
    p = sub.add_parser("brief", help="a cited position brief for one actor")
    p.add_argument("actor", help="registry id, name or alias (e.g. Russia, 'United States', Peskov)")
    p.add_argument("--topic", default=None, help="default: negotiations between the parties")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the brief as JSON")
    fmt.add_argument("--markdown", action="store_true", help="print the brief as Markdown")
    p.add_argument("-o", "--output", type=Path, default=None, help="write to this file instead")
    p.set_defaults(func=cmd_brief)


def cmd_brief(args: argparse.Namespace, settings: Settings) -> int:
    """Build the brief and print it (Markdown by default for people, JSON for machines)."""
    brief = Parley(settings).brief(args.actor, args.topic, progress=ProgressPrinter())
    out = brief.model_dump_json(indent=2) if args.json else brief_markdown(brief)
    if args.output:
        args.output.write_text(out, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(out)
    return 0


def _add_analyse(sub: Any) -> None:
    p = sub.add_parser("analyse", help="work out, once, the ledger and per-statement stance "
                       "every default brief reads (resumable: Ctrl-C keeps what is done)")
    p.add_argument("--topic", default=None, help="default: negotiations between the parties")
    p.set_defaults(func=cmd_analyse)


def analyse_corpus(svc: Parley, topic: str | None = None) -> Progress:
    """Ledger for new articles, then the stance cache, with progress on stderr."""
    n = svc.analyse_ledger()
    counts = svc.analysis.counts()
    print(f"ledger: {n} articles analysed now; {counts['articles']} articles, "
          f"{counts['quotes']} ledger entries stored", file=sys.stderr)
    started = time.monotonic()
    prog = svc.fill_stance(topic, ProgressPrinter())
    worked = prog.done - prog.cached
    print(f"stance: {worked} article/actor pairs labelled in {time.monotonic() - started:.1f} s, "
          f"{prog.cached} already cached", file=sys.stderr)
    return prog


def cmd_analyse(args: argparse.Namespace, settings: Settings) -> int:
    """Fill the analysis store: ledger per article, stance per statement (model time)."""
    analyse_corpus(Parley(settings), args.topic)
    return 0


def _add_actors(sub: Any) -> None:
    p = sub.add_parser("actors", help="list known actors and names in the corpus not yet mapped")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.add_argument("--limit", type=int, default=30, help="how many unknown names to list")
    p.set_defaults(func=cmd_actors)
