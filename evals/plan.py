"""What `parley eval` runs: prompt variants (`evals/variants/*.yaml`), item suites, item selection.

A variant is data: a name, the prompt file per step (`qa`, `stance`), a few model-setting
overrides and the number of passages `k`. Only settings that change the model's output may be
overridden: the corpus (chunking, embeddings) is shared by every variant of a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chains.abstain import AnswerPolicy
from chains.stance import StancePolicy
from evals.fixtures import QAFixture, StanceFixture
from parley.core.errors import ParleyError
from parley.core.settings import Settings
from parley.core.yamlfile import first_error, read_model, read_yaml
from prompts import PromptError, PromptTemplate, load_prompt

REPO = Path(__file__).resolve().parent.parent
VARIANTS_DIR = Path(__file__).resolve().parent / "variants"
SUITES_FILE = Path(__file__).resolve().parent / "baseline" / "suites.yaml"
# the shipped Q&A (evidence-first answers) first: the reference column and the CI baseline
DEFAULT_VARIANTS = ("qa-evidence", "qa-default")
# settings a variant may change: they shape the model's output, not the shared corpus
VARIANT_SETTINGS = frozenset(
    {"llm_backend", "local_model", "local_model_path", "openai_model", "openai_base_url",
     "max_tokens", "temperature", "n_ctx", "answer_mode", "answer_line"}
)


class EvalError(ParleyError):
    """A variant, suite, baseline or selection for `parley eval` is unusable."""


class Variant(BaseModel):
    """One column of the eval matrix."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    prompts: dict[str, str] = {"qa": "prompts/qa.yaml", "stance": "prompts/stance.yaml"}
    settings: dict[str, Any] = {}
    # per step, overrides of that step's typed policy (e.g. stance: chains.stance.StancePolicy)
    policies: dict[str, dict[str, Any]] = {}
    k: int = Field(4, ge=1, le=20)
    path: str = ""

    def prompt(self, step: str) -> PromptTemplate:
        """The prompt template this variant uses for a step (`qa` or `stance`)."""
        ref = self.prompts.get(step, f"prompts/{step}.yaml")
        p = Path(ref)
        if not p.is_absolute() and not p.exists() and (REPO / p).exists():
            p = REPO / p  # paths in variant files are relative to the repository
        try:
            return load_prompt(p if p.suffix in (".yaml", ".yml") else ref)
        except PromptError as e:
            raise EvalError(f"{self.path or self.name}: prompts.{step}: {e}") from None

    def stance_policy(self) -> StancePolicy:
        """The stance policy with this variant's overrides (`policies.stance`)."""
        try:
            return StancePolicy(**self.policies.get("stance", {}))
        except ValidationError as e:
            raise EvalError(f"{self.path or self.name}: policies.stance: {first_error(e)}") from None

    def qa_policy(self) -> AnswerPolicy:
        """The Q&A policy with this variant's overrides (`policies.qa`: abstain/evidence/citation)."""
        try:
            return AnswerPolicy(**self.policies.get("qa", {}))
        except ValidationError as e:
            raise EvalError(f"{self.path or self.name}: policies.qa: {first_error(e)}") from None

    def apply(self, base: Settings) -> Settings:
        """The base settings with this variant's overrides on top."""
        return Settings(**{**base.model_dump(), **self.settings})


def load_variant(ref: str | Path) -> Variant:
    """Load a variant by name (`qa-terse` → evals/variants/qa-terse.yaml) or file path."""
    p = Path(ref)
    if p.suffix not in (".yaml", ".yml"):
        p = VARIANTS_DIR / f"{ref}.yaml"
    known = ", ".join(sorted(f.stem for f in VARIANTS_DIR.glob("*.yaml")))
    v = read_model(p, Variant, EvalError, missing=f"no such variant; known: {known}",
                   expected="name, prompts, settings, k")
    bad = sorted(set(v.settings) - VARIANT_SETTINGS)
    if bad:
        raise EvalError(f"{p}: settings {bad} cannot vary per variant; allowed: {sorted(VARIANT_SETTINGS)}")
    for step in v.prompts:
        v.prompt(step)  # fail before any model call on a bad prompt file
    v.stance_policy()  # and on a bad policy override
    v.qa_policy()
    return v


def load_variants(refs: Sequence[str | Path] | None) -> list[Variant]:
    """Load variants in order (default: DEFAULT_VARIANTS, the shipped path first); names must be distinct."""
    out = [load_variant(r) for r in (refs or DEFAULT_VARIANTS)]
    names = [v.name for v in out]
    if len(set(names)) != len(names):
        raise EvalError(f"variant names must be distinct, got {names}")
    return out


def load_suite(name: str, path: Path = SUITES_FILE) -> dict[str, list[str]]:
    """Item ids per fixture set for a named suite (e.g. `ci`)."""
    data = read_yaml(path, EvalError, missing="suites file not found") or {}
    suite = data.get(name)
    if not isinstance(suite, dict):
        raise EvalError(f"{path}: no suite {name!r}; known: {sorted(data)}")
    return {k: list(v or []) for k, v in suite.items()}


def select(
    items: Sequence[QAFixture | StanceFixture],
    *,
    ids: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[Any]:
    """Filter fixture items by id and/or tag (any of), keeping file order, then cap at `limit`."""
    out = list(items)
    if ids:
        # unknown ids are fine here (another fixture set may have them): the caller checks the union
        out = [i for i in out if i.id in set(ids)]
    if tags:
        out = [i for i in out if set(i.tags) & set(tags)]
    if limit is not None:
        out = spread(out, limit)
    return out


def spread(items: list[Any], limit: int) -> list[Any]:
    """Up to `limit` items taken evenly across the list (a mix of seeds and kinds, not the first N)."""
    if limit >= len(items):
        return items
    if limit <= 0:
        return []
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]
