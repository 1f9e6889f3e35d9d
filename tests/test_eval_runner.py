"""The eval matrix: variants × items on a real on-disk Chroma, cache hits, diffs, the CI gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from choice_helpers import logprob_model
from llm_helpers import require_llama_cpp

from chains.stance_select import select_statements
from evals import gate, runner
from evals.fixtures import FIXTURES_DIR, load_qa, load_stance
from evals.plan import EvalError, load_suite, load_variant, load_variants, select, spread
from evals.runner import run_matrix
from evals.scoring import summarize
from parley.actors.registry import ActorRegistry
from parley.cli import main
from parley.ledger.build import extract_quotes
from tests.eval_helpers import QA_IDS, Factory, fake_settings
from vectorstore.embeddings import FakeEmbeddings

REPO = Path(__file__).resolve().parent.parent


def _qa(ids=QA_IDS):
    return select(load_qa(FIXTURES_DIR / "qa.yaml"), ids=ids)


def _broken_variant(tmp_path: Path) -> Path:
    p = tmp_path / "broken.yaml"
    # synthesis with today's abstain rules, as qa-default: the scripted model writes prose only
    p.write_text("name: broken\nprompts: {qa: prompts/qa_terse.yaml}\n"
                 "settings: {max_tokens: 50, answer_mode: synthesis}\n"
                 "policies: {qa: {abstain: {entity_rule: false, use_answerability: false}}}\n")
    return p


def test_matrix_runs_every_cell_then_serves_all_from_cache(seeds_dir):
    variants = load_variants(["qa-default", "qa-terse"])
    first = Factory()
    run = run_matrix(fake_settings(), variants, _qa(), [], corpus_dir=seeds_dir, model_factory=first)
    assert [(r.variant, r.item.id) for r in run.qa] == [(v.name, i) for v in variants for i in QA_IDS]
    assert run.cells_run == 6 and run.cache_hits == 0 and first.calls > 0
    good = {r.item.id: r.answer for r in run.qa if r.variant == "qa-default"}
    assert not good["qa-000-sullivan-condition"].abstained
    assert good["qa-absent-lavrov-call"].abstained
    # usage metadata from the model is recorded on the answer
    assert good["qa-000-sullivan-condition"].prompt_tokens > 0

    again = Factory()
    rerun = run_matrix(fake_settings(), variants, _qa(), [], corpus_dir=seeds_dir, model_factory=again)
    assert again.calls == 0 and again.models == []  # the model is not even built
    assert rerun.cache_hits == 6 and rerun.cells_run == 0 and all(r.cached for r in rerun.qa)
    assert [r.answer for r in rerun.qa] == [r.answer for r in run.qa]
    assert rerun.corpus_hash == run.corpus_hash


def test_changed_item_or_prompt_reruns_only_those_cells(seeds_dir, tmp_path):
    v = load_variants(["qa-default"])
    run_matrix(fake_settings(), v, _qa(), [], corpus_dir=seeds_dir, model_factory=Factory())
    items = _qa()
    edited = [items[0].model_copy(update={"question": items[0].question + " Briefly."}), *items[1:]]
    f = Factory()
    run = run_matrix(fake_settings(), v, edited, [], corpus_dir=seeds_dir, model_factory=f)
    assert run.cells_run == 1 and run.cache_hits == 2
    other = run_matrix(fake_settings(), [load_variant(_broken_variant(tmp_path))], items, [],
                       corpus_dir=seeds_dir, model_factory=Factory())
    assert other.cells_run == 3


def test_edited_chain_code_makes_cells_stale(seeds_dir, monkeypatch):
    v = load_variants(["qa-default"])
    run_matrix(fake_settings(), v, _qa(), [], corpus_dir=seeds_dir, model_factory=Factory())
    real = runner.code_digest
    monkeypatch.setattr(runner, "code_digest", lambda step: real(step) + ("x" if step == "qa" else ""))
    run = run_matrix(fake_settings(), v, _qa(), [], corpus_dir=seeds_dir, model_factory=Factory())
    assert run.cells_run == 3 and run.cache_hits == 0


def test_metrics_recomputed_and_diff_finds_the_broken_variant(seeds_dir, tmp_path):
    variants = [load_variant("qa-default"), load_variant(_broken_variant(tmp_path))]
    run = run_matrix(fake_settings(), variants, _qa(), [], corpus_dir=seeds_dir,
                     model_factory=Factory(broken_max_tokens=50))
    s = summarize(run)
    good, broken = (v["qa"] for v in s["variants"])
    assert good["fact_recall"] == 1.0 and good["abstention_accuracy"] == 1.0
    assert good["span_validity"] == 1.0 and good["recall_at_k"] == 1.0
    assert broken["fact_recall"] == 0.0 and broken["false_abstention_rate"] == 1.0
    changes = {c["item"]: c["kind"] for c in s["qa_diffs"]["broken"]}
    assert changes == {"qa-000-sullivan-condition": "broke", "qa-000-weapons": "broke"}
    assert good["by_tag"]["quote"]["n"] == 1 and good["latency_p95_s"] >= good["latency_p50_s"]


def test_stance_cells_use_the_ledger_statements_and_skip_the_model_without_any(seeds_dir):
    def conditional(prompt: str) -> dict[str, float]:  # "B" over a flat content-free prior
        return {k: 0.2 for k in "ABCDE"} if '"N/A"' in prompt else {"A": .1, "B": .6, "C": .1, "D": .1, "E": .1}

    models = []

    def factory(settings):
        models.append(logprob_model(conditional))
        return models[-1]

    items = select(load_stance(FIXTURES_DIR / "stance.yaml"), ids=["st-000-us-neg", "st-004-ukraine-neg"])
    run = run_matrix(fake_settings(), load_variants(["qa-default"]), [], items,
                     corpus_dir=seeds_dir, model_factory=factory)
    us, ua = run.stance
    assert any("stop attacking Ukrainian cities" in s.text for s in us.statements)
    assert us.stance.label == "conditional" and us.stance.evidence
    assert 0 < us.stance.confidence < 1 and len(us.labelled) == len(us.statements)
    assert ua.statements == [] and ua.stance.label is None
    # the actor without statements never reaches the model: one call per statement + the prior
    assert len(models) == 1 and len(models[0].calls) == len(us.statements) + 1
    # the eval reads exactly the statements the brief reads: the one shared selection
    art = run.articles[us.item.source]
    registry = ActorRegistry.load(fake_settings())
    mine = [q for q in extract_quotes(art, registry) if q.actor == "united-states"]
    assert us.statements == select_statements(mine, us.item.topic, FakeEmbeddings().embed_documents)[0]
    st = summarize(run)["variants"][0]["stance"]
    assert st["accuracy"] == 1.0 and st["report"]["confusion"]
    assert st["ece_n"] == 1 and st["majority_accuracy"] == 0.5
    again = run_matrix(fake_settings(), load_variants(["qa-default"]), [], items,
                       corpus_dir=seeds_dir, model_factory=factory)
    assert again.cache_hits == 2 and len(models) == 1 and again.stance[0].labelled == us.labelled


def test_a_policy_only_variant_reuses_the_statement_scores(seeds_dir, tmp_path):
    models = []

    def factory(settings):
        models.append(logprob_model({"A": .1, "B": .6, "C": .1, "D": .1, "E": .1}))
        return models[-1]

    cues = tmp_path / "cues.yaml"
    cues.write_text("name: cues\npolicies: {stance: {cue_weight: 0.5, temperature: 2.0}}\n")
    items = select(load_stance(FIXTURES_DIR / "stance.yaml"), ids=["st-000-us-neg"])
    run = run_matrix(fake_settings(), [load_variant("qa-default"), load_variant(cues)], [], items,
                     corpus_dir=seeds_dir, model_factory=factory)
    base, cued = run.stance
    assert run.cells_run == 2 and sum(len(m.calls) for m in models) == len(base.statements) + 1
    assert cued.stance.probabilities != base.stance.probabilities  # same scores, another aggregation
    with pytest.raises(EvalError, match="policies.stance"):
        bad = tmp_path / "bad.yaml"
        bad.write_text("name: bad\npolicies: {stance: {cue_weigth: 0.5}}\n")
        load_variant(bad)


def test_gate_passes_on_the_baseline_and_fails_on_a_regression(seeds_dir, tmp_path):
    variants = load_variants(["qa-default"])
    good = summarize(run_matrix(fake_settings(), variants, _qa(), [], corpus_dir=seeds_dir,
                                model_factory=Factory()))
    base = gate.make_baseline("qa", good, "qa-default", QA_IDS)
    assert gate.check(base, good, QA_IDS) == []
    # the same variant answering nothing, in another data dir (so nothing comes from the cache)
    bad = summarize(run_matrix(fake_settings(data_dir=tmp_path / "other"), variants, _qa(), [],
                               corpus_dir=seeds_dir, model_factory=Factory(script={})))
    lines = gate.check(base, bad, QA_IDS)
    assert any(line.startswith("qa qa-default: fact_recall 0.000 vs baseline 1.000") for line in lines)
    with pytest.raises(EvalError, match="measured on 3 qa items"):
        gate.check(base, good, QA_IDS[:2])
    assert gate.drift(base, good) == []
    moved = {**base, "prompts": {**base["prompts"], "qa": "0" * 16}, "corpus_hash": "x"}
    notes = gate.drift(moved, good)
    assert any("prompt qa changed" in n for n in notes) and any("corpus changed" in n for n in notes)


def test_cli_update_baseline_then_check_exit_codes(seeds_dir, tmp_path, monkeypatch, capsys):
    factory = Factory()
    monkeypatch.setattr("chains.models.make_chat_model", factory)
    monkeypatch.setenv("PARLEY_LLM_BACKEND", "fake")
    monkeypatch.setenv("PARLEY_EMBEDDING_BACKEND", "fake")
    baseline = tmp_path / "qa.json"
    args = ["eval", "--fixtures", "qa", "--items", *QA_IDS, "--variants", "qa-default",
            "--report", str(tmp_path / "rep"), "--baseline", str(baseline)]
    assert main([*args, "--update-baseline"]) == 0
    stored = json.loads(baseline.read_text())
    assert stored["variant"] == "qa-default" and stored["metrics"]["fact_recall"] == 1.0
    assert stored["tolerances"]["fact_recall"] > 0 and sorted(stored["items"]) == sorted(QA_IDS)
    assert main([*args, "--check"]) == 0
    assert "check: passed" in capsys.readouterr().err

    monkeypatch.setattr("chains.models.make_chat_model", Factory(script={}))
    monkeypatch.setenv("PARLEY_DATA_DIR", str(tmp_path / "fresh"))
    assert main([*args, "--check"]) == 1
    err = capsys.readouterr().err
    assert "REGRESSION qa qa-default: fact_recall" in err and "check: FAILED" in err


def test_cli_errors_are_one_line(monkeypatch, capsys):
    monkeypatch.setenv("PARLEY_LLM_BACKEND", "fake")
    assert main(["eval", "--variants", "nope"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("parley: error:") and "qa-default" in err and "\n" not in err
    assert main(["eval", "--items", "qa-nope"]) == 1
    assert "qa-nope" in capsys.readouterr().err


def test_variant_files_are_validated(tmp_path):
    p = tmp_path / "v.yaml"
    p.write_text("name: v\nsettings: {chunk_size: 300}\n")
    with pytest.raises(EvalError, match="cannot vary per variant"):
        load_variant(p)
    p.write_text("name: v\nprompts: {qa: prompts/missing.yaml}\n")
    with pytest.raises(EvalError, match="prompts.qa"):
        load_variant(p)
    v = load_variant("qa-terse")
    assert v.prompt("qa").name == "qa_terse" and v.apply(fake_settings()).max_tokens == 96


def test_spread_and_suite_selection():
    assert spread(list(range(10)), 3) == [0, 3, 6]
    assert spread([1, 2], 5) == [1, 2]
    ci = load_suite("ci")
    qa = select(load_qa(FIXTURES_DIR / "qa.yaml"), ids=ci["qa"])
    assert len(qa) == len(ci["qa"]) == 6 and sum(not i.answerable for i in qa) == 2
    assert len(select(load_stance(FIXTURES_DIR / "stance.yaml"), ids=ci["stance"])) == 4


@pytest.mark.integration
@pytest.mark.llm
def test_ci_suite_passes_the_gate_with_the_real_model(local_gguf, monkeypatch, capsys):
    """The documented CI command, on the embedded Qwen 0.5B and the ONNX embedder."""
    require_llama_cpp()
    monkeypatch.setenv("PARLEY_N_THREADS", "1")  # see tests/llm_helpers.local_settings
    code = main(["eval", "--suite", "ci", "--fixtures", "all", "--check"])
    captured = capsys.readouterr()
    assert "check: passed" in captured.err, captured.err[-2000:]
    assert code == 0
    # the default pair: the shipped evidence-first path beside today's prose answers
    assert "qa-evidence" in captured.out and "qa-default" in captured.out
    for fs in ("qa", "stance"):
        base = json.loads((REPO / "evals" / "baseline" / f"{fs}.ci.json").read_text())
        assert base["model"].startswith("qwen2.5-0.5b") and base["variant"] == "qa-evidence"

