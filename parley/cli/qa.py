"""`parley ask`: the articles' own sentences first (before the model), then the checked answer."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from parley.core.limits import check_question
from parley.core.schema import Answer, Citation
from parley.core.settings import Settings
from parley.service import Parley


def _add_ask(sub: Any) -> None:
    p = sub.add_parser("ask", help="answer a question with the articles' own sentences, cited")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the structured answer as JSON")
    p.add_argument("--mode", choices=["evidence", "synthesis"], default=None,
                   help="evidence = the articles' sentences, chosen by the model; synthesis = "
                        "model-written prose (default: PARLEY_ANSWER_MODE)")
    p.add_argument("--prompt", default="qa",
                   help="synthesis prompt name or file (default: prompts/qa.yaml)")
    p.add_argument("-k", type=int, default=None, help="passages to retrieve (default 4)")
    p.set_defaults(func=cmd_ask)


def _flat(text: str) -> str:
    return " ".join(text.split())


def render_evidence(evidence: Sequence[Citation], seconds: float | None = None) -> str:
    """The evidence sentences, numbered, with where each one is in its article."""
    head = "Evidence" + (f" ({seconds:.2f} s, before the model):" if seconds is not None else ":")
    lines = [head]
    for c in evidence:
        lines.append(f"  [{c.n}] “{_flat(c.text)}”")
        lines.append(f"      {c.source}:{c.start}-{c.end}")
    return "\n".join(lines)


def render_answer(ans: Answer, *, evidence_shown: bool = False) -> str:
    """Human-readable answer with numbered sources (the same data --json prints)."""
    if ans.abstained:
        lines = [ans.answer, f"(abstained: {ans.abstain_reason})"]
        for p in ans.passages[:3]:
            c = p.chunk
            lines.append(f"  nearest: {c.source}:{c.start}-{c.end}  {_flat(c.text)[:110]}…")
        return "\n".join(lines)
    if ans.mode == "evidence":
        lines = []
        if ans.line:
            refs = next((s.citations for s in ans.sentences if s.text == ans.line), [])
            lines.append("Answer: " + ans.line + "".join(f" [{n}]" for n in refs))
        elif ans.line_check:
            lines.append(f"(no one-line answer: the model's line failed the check: {ans.line_check})")
        if ans.answerability is not None:
            lines.append(f"(the model's calibrated answerability: {ans.answerability:.2f})")
        lines.append(render_evidence(ans.citations) if not evidence_shown else
                     "Evidence, as the model ranked it: " + " ".join(
                         f"[{c.n}] {c.source}:{c.start}-{c.end}" for c in ans.citations))
        return "\n".join(lines)
    lines = [ans.answer, "", "Sources:"]
    for c in ans.citations:
        lines.append(f"  [{c.n}] {c.source}:{c.start}-{c.end}  “{_flat(c.text)}”")
    dropped = [s.text for s in ans.sentences if not s.supported]
    if dropped:
        lines.append("Unsupported sentences left out: " + " | ".join(dropped))
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Print the evidence as soon as it is ranked, stream the model's draft, then the answer."""
    question = check_question(args.question, settings.max_question_chars)  # before any model
    parley = Parley(settings)
    chain = parley.qa_chain(args.prompt, k=args.k, mode=args.mode)
    final: Answer | None = None
    streaming = not args.json
    # evidence goes to stdout at once (it is verbatim article text); the model's draft streams
    # to stderr (dimmed on a terminal); the checked answer follows on stdout
    dim, reset = ("\x1b[2m", "\x1b[0m") if sys.stderr.isatty() else ("", "")
    drafted = shown = False
    try:
        for ev in chain.stream(question):
            if ev.type == "evidence" and streaming and ev.evidence:
                print(render_evidence(ev.evidence, ev.seconds), flush=True)
                shown = True
            elif ev.type == "token" and streaming:
                prefix = "" if drafted else f"{dim}draft: "
                print(prefix + (ev.text or ""), end="", flush=True, file=sys.stderr)
                drafted = True
            elif ev.type == "answer":
                final = ev.answer
    finally:
        if drafted:  # end the draft line (and the dimming) before anything else is printed
            print(reset, file=sys.stderr)
    assert final is not None
    print(final.model_dump_json(indent=2) if args.json else render_answer(final, evidence_shown=shown))
    return 0
