"""`parley brief ACTOR` and `parley actors`: position briefs and the actor registry."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from parley.core.settings import Settings


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
    from parley.render.markdown import brief_markdown
    from parley.service import Parley

    brief = Parley(settings).brief(args.actor, args.topic)
    out = brief.model_dump_json(indent=2) if args.json else brief_markdown(brief)
    if args.output:
        args.output.write_text(out, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(out)
    return 0


def _add_actors(sub: Any) -> None:
    from parley.cli.actors import cmd_actors

    p = sub.add_parser("actors", help="list known actors and names in the corpus not yet mapped")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.add_argument("--limit", type=int, default=30, help="how many unknown names to list")
    p.set_defaults(func=cmd_actors)
