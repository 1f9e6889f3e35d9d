"""`parley ask`: stream an answer in the terminal, then its verified citations beneath."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from parley.schema import Answer
from parley.settings import Settings


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
    for ev in chain.stream(args.question):
        if ev.type == "token" and streaming:
            print(ev.text, end="", flush=True, file=sys.stderr)
        elif ev.type == "answer":
            final = ev.answer
    assert final is not None
    if args.json:
        print(final.model_dump_json(indent=2))
    else:
        print("", file=sys.stderr)
        print(render_answer(final))
    return 0
