"""Gold data for prompt evals: Q&A and stance fixtures (YAML) and outside stance datasets (CSV).

The formats and the labelling guidelines are documented in `evals/fixtures/README.md`.
Every loader fails with one `FixtureError` line naming the file, the item id and what to fix.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from parley.core.errors import ParleyError
from parley.core.schema import StanceLabel
from parley.core.yamlfile import first_error, read_yaml

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"

# Our stance labels plus "none" (the article gives no position; `Stance.label is None`).
GoldStanceLabel = Literal["open", "conditional", "opposed", "noncommittal", "none"]
STANCE_LABELS: tuple[str, ...] = ("open", "conditional", "opposed", "noncommittal", "none")

# A closed vocabulary so a typo in a tag cannot silently drop an item from a per-tag report.
QA_TAGS = frozenset(
    {
        "spelling-variant",  # the question spells a name/place differently from the text
        "multi-doc",  # the gold answer needs two or more articles
        "date",
        "numeric",
        "quote",  # the answer is (part of) a direct quotation
        "anonymous-source",  # the speaker is unnamed in the text
        "undated",  # touches the article that carries no date
        "derived",  # the answer is inferred from the text, not stated in it
        "absent",  # plausible question the seeds cannot answer
        "boilerplate",  # web boilerplate near the answer could mislead retrieval
        "who",  # asks who said/did something: the fact is a person's name
        "multi-part",  # asks two or more things, one fact per part
        "negation",  # the answer sentence has a negation/contrast a careless answer turns around
        "near-miss",  # unanswerable, but names what the corpus mentions (no number/date/speaker/name)
    }
)
STANCE_TAGS = frozenset({"ambiguous", "reported", "other-topic", "no-position"})


class FixtureError(ParleyError):
    """A fixture file is missing, malformed or inconsistent with the corpus."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_tags(tags: list[str], known: frozenset[str]) -> list[str]:
    unknown = sorted(set(tags) - known)
    if unknown:
        raise ValueError(f"unknown tag(s) {unknown}; known: {sorted(known)}")
    return tags


class QAFixture(_Strict):
    """One gold question: the facts a correct answer must state and where they are."""

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    # each fact: accepted phrasings, matched case/accent-insensitively (any one suffices)
    facts: list[list[str]] = []
    # indices into `facts` whose phrasings legitimately do not occur in the sources
    # (another spelling, or a value derived from the text); `notes` must say why
    variant_facts: list[int] = []
    # claims a correct answer must not make (a negation or contrast turned around); each:
    # phrasings of one wrong claim, matched like facts; none may occur in any seed
    forbidden: list[list[str]] = []
    sources: list[str] = []  # expected source file names (for unanswerable items: the near-misses)
    answerable: bool = True
    tags: list[str] = []
    notes: str = Field(min_length=1)

    @field_validator("facts", "forbidden")
    @classmethod
    def _phrasings_nonempty(cls, groups: list[list[str]]) -> list[list[str]]:
        for i, group in enumerate(groups):
            if not group or any(not p.strip() for p in group):
                raise ValueError(f"entry {i} needs at least one non-empty phrasing")
        return groups

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        return _known_tags(tags, QA_TAGS)

    @model_validator(mode="after")
    def _consistent(self) -> QAFixture:
        if self.answerable and not (self.facts and self.sources):
            raise ValueError("an answerable item needs facts and sources")
        if not self.answerable and self.facts:
            raise ValueError("an unanswerable item must not list facts")
        if not self.answerable and self.forbidden:
            raise ValueError("an unanswerable item must not list forbidden claims (abstention scores it)")
        bad = [i for i in self.variant_facts if not 0 <= i < len(self.facts)]
        if bad:
            raise ValueError(f"variant_facts {bad} out of range for {len(self.facts)} fact(s)")
        return self


class StanceFixture(_Strict):
    """One gold stance: an actor's position on a topic in one article."""

    id: str = Field(min_length=1)
    actor: str = Field(min_length=1)
    topic: str = Field(min_length=1)
    source: str = Field(min_length=1)
    label: GoldStanceLabel
    evidence: list[str] = []  # verbatim snippets of the source that decided the label
    tags: list[str] = []
    notes: str = Field(min_length=1)

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        return _known_tags(tags, STANCE_TAGS)

    @property
    def schema_label(self) -> StanceLabel | None:
        """The label as `parley.core.schema.Stance.label` spells it ("none" → None)."""
        return to_schema_label(self.label)


class StanceExample(_Strict):
    """A row of an outside stance dataset, with its label mapped to ours."""

    id: str
    text: str
    target: str
    label: GoldStanceLabel


def to_schema_label(label: str | None) -> StanceLabel | None:
    """Map a gold label to `Stance.label` ("none" → None)."""
    return None if label in (None, "none") else label  # type: ignore[return-value]


def from_schema_label(label: str | None) -> str:
    """Map `Stance.label` to a gold label (None → "none")."""
    return "none" if label is None else label


def _read_items(path: Path) -> list[Any]:
    """Read a fixture file's `items:` list, rejecting unknown top-level keys."""
    data = read_yaml(path, FixtureError, missing="file not found — pass an existing fixture file")
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise FixtureError(f"{path}: expected a mapping with an `items:` list")
    extra = sorted(set(data) - {"description", "items"})
    if extra:
        raise FixtureError(f"{path}: unknown top-level key(s) {extra}; allowed: description, items")
    return data["items"]


def _parse(path: Path, items: list[Any], model: type[_Strict]) -> list[Any]:
    out: list[Any] = []
    seen: set[str] = set()
    for i, raw in enumerate(items):
        item_id = raw.get("id", f"#{i}") if isinstance(raw, dict) else f"#{i}"
        try:
            parsed = model.model_validate(raw)
        except ValidationError as e:
            raise FixtureError(f"{path}: item {item_id}: {first_error(e)}") from None
        if parsed.id in seen:
            raise FixtureError(f"{path}: item {parsed.id}: duplicate id — ids must be unique")
        seen.add(parsed.id)
        out.append(parsed)
    return out


def _check_sources(path: Path, item_id: str, sources: list[str], corpus_dir: Path | None) -> None:
    if corpus_dir is None:
        return
    for s in sources:
        if not (Path(corpus_dir) / s).is_file():
            raise FixtureError(
                f"{path}: item {item_id}: source {s!r} not found in {corpus_dir} — fix the file name"
            )


def load_qa(path: str | Path, corpus_dir: str | Path | None = None) -> list[QAFixture]:
    """Load and validate Q&A fixtures; with corpus_dir, every source must be a file there."""
    path = Path(path)
    items: list[QAFixture] = _parse(path, _read_items(path), QAFixture)
    for it in items:
        _check_sources(path, it.id, it.sources, Path(corpus_dir) if corpus_dir else None)
    return items


def load_stance(path: str | Path, corpus_dir: str | Path | None = None) -> list[StanceFixture]:
    """Load and validate stance fixtures; with corpus_dir, every source must be a file there."""
    path = Path(path)
    items: list[StanceFixture] = _parse(path, _read_items(path), StanceFixture)
    for it in items:
        _check_sources(path, it.id, [it.source], Path(corpus_dir) if corpus_dir else None)
    return items


def load_stance_csv(
    path: str | Path,
    text_col: str,
    target_col: str,
    label_col: str,
    label_map: Mapping[str, str],
    *,
    encoding: str = "utf-8",
    skip_unmapped: bool = False,
) -> list[StanceExample]:
    """Load an outside stance dataset, mapping its labels (e.g. FAVOR/AGAINST/NONE) to ours."""
    path = Path(path)
    bad = sorted(v for v in label_map.values() if v not in STANCE_LABELS)
    if bad:
        raise FixtureError(f"{path}: label_map targets {bad} are not ours; use {list(STANCE_LABELS)}")
    try:
        with path.open(encoding=encoding, newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in (text_col, target_col, label_col) if c not in (reader.fieldnames or [])]
            if missing:
                raise FixtureError(
                    f"{path}: column(s) {missing} not in header {reader.fieldnames} — check the column names"
                )
            rows = list(reader)
    except FileNotFoundError:
        raise FixtureError(f"{path}: file not found — pass an existing CSV file") from None
    except UnicodeDecodeError:
        raise FixtureError(f"{path}: not {encoding} text — pass encoding= (e.g. latin-1)") from None
    out: list[StanceExample] = []
    for n, row in enumerate(rows, start=1):  # data rows (a quoted field may span lines)
        raw = (row[label_col] or "").strip()
        if raw not in label_map:
            if skip_unmapped:
                continue
            raise FixtureError(
                f"{path}: row {n}: label {raw!r} not in label_map — add it or pass skip_unmapped=True"
            )
        out.append(
            StanceExample(
                id=f"{path.name}:{n}",
                text=row[text_col] or "",
                target=row[target_col] or "",
                label=label_map[raw],  # type: ignore[arg-type]
            )
        )
    return out
