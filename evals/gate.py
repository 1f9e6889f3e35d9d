"""Baselines and the CI gate: store a variant's aggregates with tolerances; fail when one drops.

A baseline file (`evals/baseline/<fixture-set>[.<suite>].json`) records the item ids it was
measured on, the variant, the model, the metrics and, per gated metric, a tolerance and a
direction. `check` compares the same variant over the same items: a higher-is-better metric
fails when it is below baseline − tolerance (lower-is-better: above baseline + tolerance).
Tolerances edited by hand in the file survive `--update-baseline`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.plan import EvalError
from evals.scoring import QA_GATED, STANCE_GATED

BASELINE_DIR = Path(__file__).resolve().parent / "baseline"


@dataclass(frozen=True)
class GatePolicy:
    """Tolerances a new baseline gets (a baseline file's own, edited by hand, win).

    A small model at temperature 0 is near-deterministic, but llama.cpp builds and thread counts
    can flip a token; on the 6-item CI suite one flipped item moves a mean by ~0.17 (1/6), so the
    default tolerance lets one item flip and catches two. Not measured as a flip rate: a question.
    """

    default: float = 0.2
    per_metric: dict[str, float] = field(default_factory=lambda: {
        "span_validity": 0.0,  # a span that does not reproduce the article is a bug, never noise
        "boilerplate_leakage": 0.1,
    })


GATE = GatePolicy()


def baseline_path(fixture_set: str, suite: str | None, directory: Path = BASELINE_DIR) -> Path:
    """Where the baseline of a fixture set (and suite) lives."""
    return directory / (f"{fixture_set}.{suite}.json" if suite else f"{fixture_set}.json")


def _gated(fixture_set: str) -> dict[str, int]:
    return QA_GATED if fixture_set == "qa" else STANCE_GATED


def make_baseline(fixture_set: str, summary: dict[str, Any], variant: str, items: list[str],
                  previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """A baseline record for one fixture set from a run summary."""
    entry = next((v for v in summary["variants"] if v["name"] == variant), None)
    if entry is None or fixture_set not in entry:
        raise EvalError(f"variant {variant!r} has no {fixture_set} results to store as a baseline")
    agg = entry[fixture_set]
    old_tol = (previous or {}).get("tolerances", {})
    gated = _gated(fixture_set)
    metrics = {m: agg.get(m) for m in gated}
    return {
        "fixture_set": fixture_set, "variant": variant, "model": entry["model"],
        "prompts": entry["prompts"], "corpus_hash": summary["corpus_hash"], "items": sorted(items),
        "metrics": metrics,
        "tolerances": {m: old_tol.get(m, GATE.per_metric.get(m, GATE.default)) for m in gated},
        "direction": {m: "higher" if d > 0 else "lower" for m, d in gated.items()},
        "note": "`parley eval --check` fails when a metric is worse than metrics ± tolerances; "
                "edit tolerances here (they survive --update-baseline)",
    }


def write_baseline(path: Path, record: dict[str, Any]) -> None:
    """Write a baseline file (pretty, stable key order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def read_baseline(path: Path) -> dict[str, Any]:
    """Read a baseline file, or EvalError saying how to create it."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvalError(f"no baseline at {path}: run `parley eval ... --update-baseline` first") from None
    except json.JSONDecodeError as e:
        raise EvalError(f"{path}: not valid JSON (line {e.lineno}); fix or regenerate it") from None
    if not isinstance(data, dict) or "metrics" not in data or "fixture_set" not in data:
        raise EvalError(f"{path}: not a baseline file (needs fixture_set and metrics)")
    return data


def check(baseline: dict[str, Any], summary: dict[str, Any], items: list[str],
          where: str = "baseline") -> list[str]:
    """Regressions as one line each (empty: the gate passes)."""
    fs, variant = baseline["fixture_set"], baseline["variant"]
    if sorted(items) != sorted(baseline.get("items", [])):
        raise EvalError(
            f"{where}: measured on {len(baseline.get('items', []))} {fs} items, this run has "
            f"{len(items)}: run the same items (the same --suite) or --update-baseline")
    entry = next((v for v in summary["variants"] if v["name"] == variant), None)
    if entry is None:
        raise EvalError(f"{where}: baseline variant {variant!r} is not in this run; add --variants {variant}")
    agg = entry.get(fs) or {}
    out = []
    for m, base in baseline["metrics"].items():
        now = agg.get(m)
        if base is None or now is None:
            continue  # not measurable on these items (e.g. no citations at all)
        tol = float(baseline.get("tolerances", {}).get(m, GATE.default))
        higher = baseline.get("direction", {}).get(m, "higher") == "higher"
        drop = (base - now) if higher else (now - base)
        if drop > tol + 1e-9:
            out.append(f"{fs} {variant}: {m} {now:.3f} vs baseline {base:.3f} "
                       f"({'fell' if higher else 'rose'} by {drop:.3f} > tolerance {tol:.3f})")
    return out


def drift(baseline: dict[str, Any], summary: dict[str, Any]) -> list[str]:
    """What changed since the baseline was taken (prompt digests, model, corpus): context, not failures."""
    entry = next((v for v in summary["variants"] if v["name"] == baseline["variant"]), None)
    if entry is None:
        return []
    out = []
    for step, digest in (baseline.get("prompts") or {}).items():
        now = entry["prompts"].get(step)
        if now != digest:
            out.append(f"{baseline['fixture_set']}: prompt {step} changed since the baseline ({digest} → {now})")
    if baseline.get("model") != entry["model"]:
        out.append(f"{baseline['fixture_set']}: baseline model {baseline.get('model')!r}, now {entry['model']!r}")
    if baseline.get("corpus_hash") != summary["corpus_hash"]:
        out.append(f"{baseline['fixture_set']}: corpus changed since the baseline")
    return out
