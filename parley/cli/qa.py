"""`parley ask`: stream an answer in the terminal, then its verified citations beneath."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from parley.core.schema import Answer
from parley.core.settings import Settings


def _add_ask(sub: Any) -> None:
    p = sub.add_parser("ask", help="answer a question with citations to the articles")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the structured answer as JSON")
    p.add_argument("--prompt", default="qa", help="prompt name or file (default: prompts/qa.yaml)")
    p.add_argument("-k", type=int, default=None, help="passages to retrieve (default 4)")
    p.set_defaults(func=cmd_ask)


def render_answer(ans: Answer) -> str:
    """Human-readable answer with numbered sources (the same data --json prints)."""
    lines = [ans.answer, ""]
    if ans.abstained:
        lines.append(f"(abstained: {ans.abstain_reason})")
        for p in ans.passages[:3]:
            c = p.chunk
            lines.append(f"  nearest: {c.source}:{c.start}-{c.end}  {' '.join(c.text.split())[:110]}…")
        return "\n".join(lines)
    lines.append("Sources:")
    for c in ans.citations:
        lines.append(f"  [{c.n}] {c.source}:{c.start}-{c.end}  “{' '.join(c.text.split())}”")
    dropped = [s.text for s in ans.sentences if not s.supported]
    if dropped:
        lines.append("Unsupported sentences left out: " + " | ".join(dropped))
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Stream the draft answer, then print the cited answer (or JSON)."""
    from parley.service import Parley

    parley = Parley(settings)
    chain = parley.qa_chain(args.prompt, k=args.k)
    final: Answer | None = None
    streaming = not args.json
    # the model's draft streams to stderr (dimmed on a terminal); the verified, cited answer
    # follows on stdout, so `parley ask … > answer.txt` keeps only what was checked
    dim, reset = ("\x1b[2m", "\x1b[0m") if sys.stderr.isatty() else ("", "")
    drafted = False
    try:
        for ev in chain.stream(args.question):
            if ev.type == "token" and streaming:
                prefix = "" if drafted else f"{dim}draft: "
                print(prefix + (ev.text or ""), end="", flush=True, file=sys.stderr)
                drafted = True
            elif ev.type == "answer":
                final = ev.answer
    finally:
        if drafted:  # end the draft line (and the dimming) before anything else is printed
            print(reset, file=sys.stderr)
    assert final is not None
    print(final.model_dump_json(indent=2) if args.json else render_answer(final))
    return 0
