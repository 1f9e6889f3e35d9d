"""The model-free part of evidence-first answers, swept over every Q&A fixture in seconds.

    python -m evals.evidence_sweep [--out evals/reports/issue10/evidence-sweep.md]

For each setting of the evidence policy (sentences shown) and the abstain policy's entity rule
(off / passages / evidence scope), it reports the fact recall of the evidence shown before any
model call (the answer text is the evidence sentences) and how the rules alone would abstain.
It is what set `EvidencePolicy.max_evidence` and `AbstainPolicy.entity_scope`: no model runs,
so nothing here can be tuned on the model's luck.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from chains.abstain import AbstainPolicy, check_entities, check_kind, check_retrieval
from chains.answer_kind import ledger_said
from chains.citations import CachedEmbed, verify_passages
from chains.evidence import EvidencePolicy, passages_from_documents, select_evidence
from evals.fixtures import FIXTURES_DIR, load_qa
from evals.metrics import fact_recall
from evals.runner import SEEDS_DIR
from parley.core.settings import Settings
from parley.service import Parley


def _rows(parley: Parley, items: list, k: int) -> list[dict]:
    """Retrieve once per item, as the chain does (the retriever interface, stale spans dropped)."""
    out = []
    for item in items:
        docs = parley.retriever.invoke(item.question)
        passages = verify_passages(passages_from_documents(docs)[:k], parley.article_text)
        out.append({"item": item, "passages": passages,
                    "embed": CachedEmbed(parley.embedder.embed_documents)})
    return out


def sweep(rows: list[dict]) -> list[str]:
    """Markdown lines: one row per (sentences shown, entity rule scope)."""
    lines = ["| evidence sentences | entity rule | fact recall (answerable) | abstained: answerable "
             "(false) | abstained: unanswerable (correct) |", "|---|---|---|---|---|"]
    n_ans = sum(r["item"].answerable for r in rows)
    n_un = len(rows) - n_ans
    for max_ev in (1, 2, 3):
        ev_policy = EvidencePolicy(max_evidence=max_ev)
        evid = []
        for r in rows:
            _, ev = select_evidence(r["item"].question, r["passages"], r["embed"], ev_policy)
            evid.append(ev)
        for scope in ("off", "passages", "evidence"):
            pol = AbstainPolicy(entity_rule=scope != "off",
                                entity_scope="passages" if scope == "off" else scope)
            recall, false_abs, true_abs = [], 0, 0
            for r, ev in zip(rows, evid, strict=True):
                item, texts = r["item"], [p.chunk.text for p in r["passages"]]
                d = check_retrieval(item.question, texts, pol)
                if not d.abstain:
                    d = check_entities(item.question, [c.text for c in ev],
                                       texts, pol, [p.chunk.date for p in r["passages"]])
                if item.answerable:
                    false_abs += d.abstain
                    recall.append(0.0 if d.abstain else fact_recall(" ".join(c.text for c in ev),
                                                                    item.facts))
                else:
                    true_abs += d.abstain
            lines.append(f"| {max_ev} | {scope} | {sum(recall) / max(len(recall), 1):.3f} | "
                         f"{false_abs}/{n_ans} | {true_abs}/{n_un} |")
    return lines


def kind_rows(rows: list[dict], parley: Parley) -> list[str]:
    """Markdown lines: what the answer-kind rule adds to the entity rule (passages scope)."""
    lines = ["| rules | abstained: answerable (false) | abstained: unanswerable (correct) | "
             "items the answer-kind rule abstains on |", "|---|---|---|---|"]
    settings = [("retrieval + entities", AbstainPolicy(kind_rule=False))]
    for head, time, about in (("noun", 0.0, 0.0), ("phrase", 0.0, 0.0), ("noun", 0.5, 0.0),
                              ("phrase", 0.5, 0.0), ("phrase", 0.5, 0.5)):
        settings.append((f"+ answer kind (head {head}, time share {time}, about share {about})",
                         AbstainPolicy(kind_head=head, kind_time_share=time,
                                       kind_about_share=about)))
    for name, pol in settings:
        false_abs = true_abs = 0
        hits = []
        for r in rows:
            item, ps = r["item"], r["passages"]
            texts = [p.chunk.text for p in ps]
            d = check_retrieval(item.question, texts, pol)
            if not d.abstain:
                d = check_entities(item.question, texts, texts, pol, [p.chunk.date for p in ps])
            if not d.abstain:
                d = check_kind(item.question, texts, pol,
                               ledger_said(parley.registry, parley.stored_quotes, ps))
                if d.abstain:
                    hits.append(f"{item.id} ({'answerable' if item.answerable else 'unanswerable'})")
            false_abs += d.abstain and item.answerable
            true_abs += d.abstain and not item.answerable
        n_ans = sum(r["item"].answerable for r in rows)
        lines.append(f"| {name} | {false_abs}/{n_ans} | {true_abs}/{len(rows) - n_ans} | "
                     f"{', '.join(hits) or '-'} |")
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("-k", type=int, default=4)
    args = ap.parse_args(argv)
    data = Path(tempfile.mkdtemp(prefix="parley-sweep-"))
    parley = Parley(Settings(data_dir=data))
    parley.ingest([SEEDS_DIR])
    items = load_qa(FIXTURES_DIR / "qa.yaml")
    lines = [f"Evidence sweep over {len(items)} Q&A fixtures (no model; k={args.k}; "
             "recall counts an abstention as 0).", ""]
    rows = _rows(parley, items, args.k)
    lines += [*sweep(rows), "", "Answer-kind rule (chains/answer_kind.py) on top of the entity rule "
              "(passages scope), model-free:", "", *kind_rows(rows, parley)]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("# Evidence sweep\n\nCommand: `python -m evals.evidence_sweep --out "
                            f"{args.out}`\n\n{text}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
