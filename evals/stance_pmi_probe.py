"""Experiment: stance by the likelihood of worded positions (PMI), not by a letter.

    PARLEY_N_THREADS=2 python -m evals.stance_pmi_probe [MODEL.gguf] [REPORT.json]

Small models bind answer letters poorly (Robinson & Wingate, 2022); scoring the answer's own
words as a continuation, with the same words' likelihood after a content-free statement
subtracted (domain-conditional PMI, Holtzman et al., 2021), asks the model to do only what it
was trained for. For every stance item with statements in a committed report, each statement
is followed by "... Summary: ACTOR" and each label's position sentence ("supports TOPIC.",
"opposes TOPIC.", ...) is scored. Prints per-item scores and accuracies beside the report's.

Result (2026-12-02, the 51 items of stance-67-own-words that have statements, statements as that
report chose them, not shipped):
- 0.5B: 0.314 (mean PMI per item; 0.314 by statement votes) vs 0.373 for the shipped letters on
  the same items; open vs opposed alone 0.531 (32 items) vs 0.344.
- 1.5B (data/models/qwen2.5-1.5b.gguf): 0.392 vs 0.373; open/opposed/conditional 0.512 vs
  0.415 (41 items); open vs opposed 0.594 vs 0.344. ~2.5x the 0.5B's time.
Worded positions read a little more of the statement than letters do, but neither packaged model
comes near the targets: +1 item of 67 for the 1.5B at 2.5x the cost.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from pathlib import Path

import numpy as np

LABELS = ("open", "opposed", "conditional", "noncommittal")
HYPS = {
    "open": " supports {topic}.",
    "opposed": " opposes {topic}.",
    "conditional": " supports {topic} only if its conditions are met.",
    "noncommittal": " does not take a clear position on {topic}.",
}
PREFIX = 'News article excerpt: "{s}"\n\nIn short, on {topic}, {actor}'


class Scorer:
    def __init__(self, path: str):
        import llama_cpp  # an optional extra: only this experiment needs it here
        self.llm = llama_cpp.Llama(model_path=path, n_ctx=1024, n_threads=2, logits_all=True,
                                   verbose=False)

    def tok(self, text: str, bos: bool) -> list[int]:
        return self.llm.tokenize(text.encode(), add_bos=bos, special=False)

    def scores(self, prefix: str, conts: list[str]) -> list[float]:
        """Sum of log P(cont tokens | prefix) for each continuation (prefix evaluated once)."""
        llm = self.llm
        p = self.tok(prefix, True)
        llm.reset()
        llm.eval(p)
        out = []
        for c in conts:
            full = self.tok(prefix + c, True)
            k = 0
            while k < min(len(p), len(full)) and p[k] == full[k]:
                k += 1
            llm.n_tokens = k
            llm.eval(full[k:])
            total = 0.0
            for pos in range(k, len(full)):
                row = np.asarray(llm.scores[pos - 1], dtype=np.float64)
                m = row.max()
                total += row[full[pos]] - (m + math.log(np.exp(row - m).sum()))
            out.append(total)
        return out


def main(model: str, report: Path) -> None:
    items = [i for i in json.loads(report.read_text())["stance_items"]["stance-default"]
             if i["statement_labels"]]
    sc = Scorer(model)
    rows = []
    for it in items:
        hyps = [HYPS[lab].format(topic=it["topic"]) for lab in LABELS]
        null = sc.scores(PREFIX.format(s="N/A", topic=it["topic"], actor=it["actor"]), hyps)
        per = []
        for st in it["statement_labels"][:6]:
            s = sc.scores(PREFIX.format(s=st["text"], topic=it["topic"], actor=it["actor"]), hyps)
            per.append([a - b for a, b in zip(s, null, strict=True)])
        mean = [statistics.mean(x[j] for x in per) for j in range(len(LABELS))]
        votes = [sum(1 for x in per if max(range(len(LABELS)), key=x.__getitem__) == j)
                 for j in range(len(LABELS))]
        rows.append((it, mean, votes))
        print(it["item"], it["gold"], it["pred"], [round(v, 2) for v in mean], votes, flush=True)
    n = len(rows)

    def acc(pick) -> float:
        return sum(pick(r) == r[0]["gold"] for r in rows) / n
    print(f"{n} items with statements")
    print("shipped", round(sum(r[0]["pred"] == r[0]["gold"] for r in rows) / n, 3))
    print("pmi mean", round(acc(lambda r: LABELS[int(np.argmax(r[1]))]), 3))
    mu = np.mean([r[1] for r in rows], axis=0)
    print("pmi mean, centred per label", round(acc(lambda r: LABELS[int(np.argmax(np.array(r[1]) - mu))]), 3))
    print("pmi votes", round(acc(lambda r: LABELS[int(np.argmax(r[2]))]), 3))
    for sub in (("open", "opposed"), ("open", "opposed", "conditional")):
        idx = [LABELS.index(x) for x in sub]
        rs = [r for r in rows if r[0]["gold"] in sub]
        a = sum(sub[int(np.argmax([r[1][i] for i in idx]))] == r[0]["gold"] for r in rs) / len(rs)
        print(f"restricted to gold in {sub}: pmi {a:.3f} over {len(rs)}; shipped "
              f"{sum(r[0]['pred'] == r[0]['gold'] for r in rs) / len(rs):.3f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data/models/qwen2.5-0.5b.gguf",
         Path(sys.argv[2] if len(sys.argv) > 2 else "evals/reports/stance-67-own-words/eval.json"))
