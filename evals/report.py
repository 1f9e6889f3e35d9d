"""Eval reports from a run summary (`evals/scoring.summarize`): terminal table, JSON, HTML.

The HTML file is self-contained (inline CSS and SVG, no scripts, no external assets): variants
side by side, a bar chart, stance confusion matrices, and per-item diffs with the answers.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from html import escape
from pathlib import Path
from typing import Any

QA_ROWS = [("n", "items"), ("fact_recall", "fact recall"), ("recall_at_k", "retrieval recall@k"),
           ("mrr", "MRR"), ("abstention_accuracy", "abstention accuracy"),
           ("false_abstention_rate", "false abstention rate"),
           ("missed_abstention_rate", "missed abstention rate"),
           ("citation_precision", "citation precision"), ("citation_recall", "citation recall"),
           ("span_validity", "span validity"), ("boilerplate_leakage", "boilerplate leakage"),
           ("forbidden_rate", "forbidden-claim rate"), ("line_rate", "one-line answer shown"),
           ("evidence_p50_s", "time to evidence p50 (s)"),
           ("latency_p50_s", "latency p50 (s)"), ("latency_p95_s", "latency p95 (s)"),
           ("prompt_tokens", "prompt tokens (mean)"), ("completion_tokens", "completion tokens (mean)")]
STANCE_ROWS = [("n", "items"), ("scored", "scored"), ("accuracy", "accuracy"),
               ("macro_f1", "macro-F1"), ("accuracy_unambiguous", "accuracy (no ambiguous)"),
               ("macro_f1_unambiguous", "macro-F1 (no ambiguous)"),
               ("majority_label", "majority label"), ("majority_accuracy", "majority-label accuracy"),
               ("majority_macro_f1", "majority-label macro-F1"), ("ece_n", "items with a confidence"),
               ("ece", "ECE (10 bins)"), ("mean_confidence", "mean confidence"),
               ("fitted_temperature", "fitted temperature"), ("ece_fitted", "ECE at fitted T"),
               ("ece_fitted_cv", "ECE at fitted T (5-fold)")]
CHART = ["fact_recall", "recall_at_k", "abstention_accuracy", "citation_precision",
         "citation_recall"]
COLORS = ["#3b6ea5", "#d08c2b", "#4e9a5b", "#a33e5c", "#6b5aa5"]


def fmt(v: Any) -> str:
    """A metric value for display (— for undefined)."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


def _rows(summary: dict[str, Any], step: str, spec: list[tuple[str, str]]) -> list[list[str]]:
    return [[label, *[fmt(v.get(step, {}).get(key)) for v in summary["variants"]]]
            for key, label in spec]


def terminal_table(summary: dict[str, Any]) -> str:
    """Variants side by side, one metric per line, plus broke/fixed counts."""
    names = [v["name"] for v in summary["variants"]]
    lines: list[str] = []
    for step, spec in (("qa", QA_ROWS), ("stance", STANCE_ROWS)):
        if not any(step in v for v in summary["variants"]):
            continue
        rows = [[step.upper() if step == "qa" else "Stance", *names], *_rows(summary, step, spec)]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for j, r in enumerate(rows):
            lines.append("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                                   for i, c in enumerate(r)))
            if j == 0:
                lines.append("  ".join("-" * w for w in widths))
        lines.append("")
    for v in summary["variants"]:
        cal = v.get("stance", {}).get("calibration")
        if cal:  # the reliability table: only the bins that hold items
            lines.append(f"stance reliability {v['name']} (bin: items, mean confidence, accuracy): "
                         + "; ".join(f"{b['lo']:.1f}-{b['hi']:.1f}: {b['n']}, {fmt(b['confidence'])}, "
                                     f"{fmt(b['accuracy'])}" for b in cal["bins"] if b["n"]))
    for step in ("qa", "stance"):
        for name, changes in summary.get(f"{step}_diffs", {}).items():
            broke = [c["item"] for c in changes if c["kind"] == "broke"]
            fixed = [c["item"] for c in changes if c["kind"] == "fixed"]
            lines.append(f"{step} {name} vs {summary['reference']}: broke {len(broke)} "
                         f"{broke[:6]}, fixed {len(fixed)} {fixed[:6]}")
    cache = summary.get("cache", {})
    lines.append(f"cells: {cache.get('run', 0)} run, {cache.get('hits', 0)} from cache; "
                 f"corpus {summary['corpus_hash']}")
    lines += [f"note: {n}" for n in summary.get("notes", [])]
    return "\n".join(lines)


def write_json(summary: dict[str, Any], path: Path) -> Path:
    """Write the summary as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n",
                    encoding="utf-8")
    return path


_NUM = re.compile(r"^(—|-?[\d.]+( / .*)?)$")  # right-align numbers (and "x / y (n=..)" cells)
CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;
vertical-align:top;text-align:left}th{background:#f4f4f4}td.n{text-align:right;
font-variant-numeric:tabular-nums}.broke{background:#fde8e8}.fixed{background:#e6f4ea}
.changed{background:#fff6dd}.ans{max-width:480px;white-space:pre-wrap}.muted{color:#777}
.tag{font-size:11px;background:#eef;border-radius:3px;padding:0 4px;margin-right:2px}
details{margin:4px 0}summary{cursor:pointer}"""


def _table(head: list[str], rows: list[list[str]], cls: list[str] | None = None) -> str:
    out = ["<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    for i, r in enumerate(rows):
        c = f' class="{cls[i]}"' if cls and cls[i] else ""
        out.append(f"<tr{c}>" + "".join(
            f'<td class="n">{escape(x)}</td>' if j and _NUM.match(x) else f"<td>{escape(x)}</td>"
            for j, x in enumerate(r)) + "</tr>")
    return "".join(out) + "</table>"


def _chart(summary: dict[str, Any]) -> str:
    """Grouped horizontal bars: one group per metric, one bar per variant (values in [0, 1])."""
    vs = [v for v in summary["variants"] if "qa" in v]
    if not vs:
        return ""
    bar, gap, left, width = 14, 10, 190, 360
    h = len(CHART) * (len(vs) * bar + gap) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 80}" height="{h}" '
             'role="img" aria-label="metrics by variant">']
    y = 4
    for m in CHART:
        parts.append(f'<text x="0" y="{y + bar}" font-size="12">{escape(m.replace("_", " "))}</text>')
        for i, v in enumerate(vs):
            val = v["qa"].get(m)
            w = 0 if val is None else max(1, round(width * float(val)))
            parts.append(f'<rect x="{left}" y="{y}" width="{w}" height="{bar - 2}" '
                         f'fill="{COLORS[i % len(COLORS)]}"/>')
            parts.append(f'<text x="{left + w + 4}" y="{y + bar - 3}" font-size="11">{fmt(val)}</text>')
            y += bar
        y += gap
    for i, v in enumerate(vs):
        parts.append(f'<rect x="{left + i * 150}" y="{y + 4}" width="10" height="10" '
                     f'fill="{COLORS[i % len(COLORS)]}"/><text x="{left + i * 150 + 14}" '
                     f'y="{y + 13}" font-size="12">{escape(v["name"])}</text>')
    return "".join(parts) + "</svg>"


def _confusion(rep: dict[str, Any] | None, title: str) -> str:
    if not rep:
        return f"<p class='muted'>{escape(title)}: nothing scored</p>"
    labels = rep["labels"]
    rows = [[f"gold {g}", *[str(x) for x in rep["confusion"][i]]] for i, g in enumerate(labels)]
    per = [[c["label"], fmt(c["precision"]), fmt(c["recall"]), fmt(c["f1"]), str(c["support"])]
           for c in rep["per_class"]]
    return (f"<h4>{escape(title)}</h4>" + _table(["", *[f"pred {lb}" for lb in labels]], rows)
            + _table(["class", "P", "R", "F1", "support"], per))


def _reliability(cal: dict[str, Any] | None) -> str:
    """The reliability table: per confidence bin, items, mean confidence and accuracy."""
    if not cal:
        return "<p class='muted'>reliability: no item with a confidence</p>"
    rows = [[f"{b['lo']:.1f}–{b['hi']:.1f}", str(b["n"]), fmt(b["confidence"]), fmt(b["accuracy"])]
            for b in cal["bins"]]
    return (f"<h4>reliability (ECE {fmt(cal['ece'])}, n={cal['n']})</h4>"
            + _table(["confidence bin", "items", "mean confidence", "accuracy"], rows))


def _qa_cell(row: dict[str, Any]) -> str:
    bits = [f"fact {fmt(row['fact_recall'])}", f"abstained {fmt(row['abstained'])}",
            f"cit P/R {fmt(row['citation_precision'])}/{fmt(row['citation_recall'])}"]
    cites = "<br>".join(escape(c) for c in row["citations"])
    return (f"<div class='ans'>{escape(row['answer'])}</div><div class='muted'>"
            f"{escape(' · '.join(bits))}</div><div class='muted'>{cites}</div>")


def _diff_section(summary: dict[str, Any], step: str) -> str:
    out = []
    for name, changes in summary.get(f"{step}_diffs", {}).items():
        out.append(f"<h3>{escape(name)} vs {escape(summary['reference'])}: "
                   f"{sum(c['kind'] == 'broke' for c in changes)} broke, "
                   f"{sum(c['kind'] == 'fixed' for c in changes)} fixed</h3>")
        if not changes:
            out.append("<p class='muted'>no item changed</p>")
            continue
        rows = []
        for c in changes:
            b, a = c["before"], c["after"]
            if step == "qa":
                rows.append(f"<tr class='{c['kind']}'><td>{escape(c['kind'])}</td><td>"
                            f"<b>{escape(c['item'])}</b><br>{escape(b['question'])}</td>"
                            f"<td>{_qa_cell(b)}</td><td>{_qa_cell(a)}</td></tr>")
            else:
                rows.append(f"<tr class='{c['kind']}'><td>{escape(c['kind'])}</td><td>"
                            f"<b>{escape(c['item'])}</b><br>{escape(b['actor'])} on "
                            f"{escape(b['topic'])} (gold {escape(b['gold'])})</td>"
                            f"<td>{escape(fmt(b['pred']))}</td><td>{escape(fmt(a['pred']))}</td></tr>")
        out.append(f"<table><tr><th></th><th>item</th><th>{escape(summary['reference'])}</th>"
                   f"<th>{escape(name)}</th></tr>{''.join(rows)}</table>")
    return "".join(out)


def _items_section(summary: dict[str, Any]) -> str:
    names = [v["name"] for v in summary["variants"]]
    by = {n: {r["item"]: r for r in summary["qa_items"].get(n, [])} for n in names}
    ids = [r["item"] for r in summary["qa_items"].get(names[0], [])]
    out = []
    for i in ids:
        first = by[names[0]][i]
        tags = "".join(f"<span class='tag'>{escape(t)}</span>" for t in first["tags"])
        cells = "".join(f"<td>{_qa_cell(by[n][i])}</td>" for n in names if i in by[n])
        out.append(f"<tr><td><b>{escape(i)}</b> {tags}<br>{escape(first['question'])}"
                   f"{'' if first['answerable'] else ' <i>(unanswerable)</i>'}</td>{cells}</tr>")
    head = "".join(f"<th>{escape(n)}</th>" for n in names)
    return f"<details><summary>all {len(ids)} Q&amp;A items</summary><table><tr><th>item</th>{head}</tr>{''.join(out)}</table></details>"


def _stance_items(summary: dict[str, Any]) -> str:
    names = [v["name"] for v in summary["variants"]]
    by = {n: {r["item"]: r for r in summary["stance_items"].get(n, [])} for n in names}
    rows = []
    for r in summary["stance_items"].get(names[0], []):
        cells = []
        for n in names:
            x = by[n].get(r["item"])
            if x is None:
                cells.append("<td></td>")
                continue
            ok = "fixed" if x["correct"] else ("broke" if x["correct"] is False else "")
            ev = "<br>".join(f"“{escape(e[:160])}”" for e in x["evidence"][:2])
            # each statement's own reading: label (none: off the topic) and its probability
            per = "<br>".join(f"{escape(fmt(s['label'] or 'none'))} {fmt(s['confidence'])}: "
                              f"{escape(s['text'][:90])}" for s in x.get("statement_labels", []))
            cells.append(f"<td class='{ok}'><b>{escape(fmt(x['pred']))}</b> {fmt(x['confidence'])} "
                         f"<span class='muted'>{escape(x['rationale'] or '')}</span><br>{ev}"
                         f"<div class='muted'>{per}</div></td>")
        tags = "".join(f"<span class='tag'>{escape(t)}</span>" for t in r["tags"])
        rows.append(f"<tr><td><b>{escape(r['item'])}</b> {tags}<br>{escape(r['actor'])} on "
                    f"{escape(r['topic'])}<br>gold <b>{escape(r['gold'])}</b>, "
                    f"{r['statements']} statement(s)</td>{''.join(cells)}</tr>")
    head = "".join(f"<th>{escape(n)}</th>" for n in names)
    return (f"<details><summary>all {len(rows)} stance items (green: right, red: wrong)</summary>"
            f"<table><tr><th>item</th>{head}</tr>{''.join(rows)}</table></details>")


def render_html(summary: dict[str, Any], title: str = "Parley eval") -> str:
    """The whole report as one self-contained HTML page."""
    names = [v["name"] for v in summary["variants"]]
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    body = [f"<h1>{escape(title)}</h1><p class='muted'>{when} · corpus {summary['corpus_hash']} · "
            f"reference {escape(summary['reference'])}</p>"]
    body.append(_table(["variant", "model", "k", "prompt digests", "description"],
                       [[v["name"], v["model"], str(v["k"]),
                         ", ".join(f"{s}:{d}" for s, d in v["prompts"].items()), v["description"]]
                        for v in summary["variants"]]))
    if any("qa" in v for v in summary["variants"]):
        body += ["<h2>Q&amp;A</h2>", _table(["metric", *names], _rows(summary, "qa", QA_ROWS)),
                 _chart(summary), "<h3>By tag (fact recall / abstention accuracy)</h3>"]
        tags = sorted({t for v in summary["variants"] for t in v.get("qa", {}).get("by_tag", {})})
        body.append(_table(["tag", *names], [[t, *[
            "{} / {} (n={})".format(fmt(bt.get("fact_recall")), fmt(bt.get("abstention_accuracy")),
                                    bt.get("n")) if (bt := v["qa"]["by_tag"].get(t)) else "—"
            for v in summary["variants"]]] for t in tags]))
        body += ["<h2>Q&amp;A items that changed</h2>", _diff_section(summary, "qa"),
                 _items_section(summary)]
    if any("stance" in v for v in summary["variants"]):
        body += ["<h2>Stance</h2>", _table(["metric", *names], _rows(summary, "stance", STANCE_ROWS))]
        for v in summary["variants"]:
            st = v.get("stance", {})
            body.append(f"<h3>{escape(v['name'])}</h3>" + _confusion(st.get("report"), "all items")
                        + _confusion(st.get("report_unambiguous"), "without ambiguous items")
                        + _reliability(st.get("calibration")))
        body += ["<h2>Stance items that changed</h2>", _diff_section(summary, "stance"),
                 _stance_items(summary)]
    if summary.get("notes"):
        body.append("<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in summary["notes"]) + "</ul>")
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}"
            f"</title><style>{CSS}</style></head><body>{''.join(body)}</body></html>\n")


def write_reports(summary: dict[str, Any], directory: Path, stem: str = "eval") -> list[Path]:
    """Write `<stem>.json` and `<stem>.html` into directory; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    html = directory / f"{stem}.html"
    html.write_text(render_html(summary), encoding="utf-8")
    return [write_json(summary, directory / f"{stem}.json"), html]
