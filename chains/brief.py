"""Per-actor position briefs, read from what ingest stored: stance per article, overall, over time.

Nothing is rescanned: the ledger and mentions come from the analysis store (written at ingest),
and per-statement stance from its cache (filled in the background after ingest, or here on first
need, with progress). Over a large corpus the brief reads the articles most relevant to the actor
and topic (retrieval, then recency), up to the policy's limit, and says how many it read and how
many it left out. The model only labels statements (chains.stance); the summary is the actor's
distinct positions, each its verbatim statement (chains.positions). Overall stance and shifts come
from dated articles; undated ones are listed apart, never given a date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from chains.analysis import ProgressFn, StanceCache, StanceJob
from chains.positions import PositionPolicy, group_positions
from chains.stance_select import select_statements
from parley.actors.model import Actor
from parley.actors.registry import Match
from parley.core.errors import ParleyError
from parley.core.schema import (
    ArticleAnalysis,
    Brief,
    BriefLine,
    Coverage,
    Quote,
    Shift,
    SourceSpan,
    Stance,
    StatementStance,
    TimelineEntry,
    content_hash,
)
from parley.ledger.build import spoken_by
from vectorstore.analysis import AnalysisStore

DEFAULT_TOPIC = "negotiations between the parties"
EmbedFn = Callable[[list[str]], list[list[float]]]


def _who(match: Match) -> Actor:
    """Whose brief: the actor, or its member (an official's or body's own words) under an id of
    its own (`<actor>/<member>`), so cached selections and labels never mix the two."""
    if match.member is None:
        return match.actor
    m = match.member
    return Actor(id=f"{match.actor.id}/{m.name}", name=m.name,
                 kind="person" if m.kind == "person" else "organisation", aliases=m.aliases)


class BriefPolicy(BaseModel):
    """The brief's limits, each with where its value comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Articles read per brief (each costs up to StancePolicy.max_statements model calls the
    # first time). Not measured as a quality knob: it bounds a first brief with the embedded
    # model to minutes (bench/RESULTS-brief.md has the per-article cost). Relevant articles
    # beyond it are counted in Coverage.left_out, never dropped silently.
    max_articles: int = 40
    # Passages retrieval returns to rank articles by relevance (then recency): enough to
    # reach past `max_articles` articles at ~5 chunks per article. Not measured.
    retrieval_k: int = 200
    # Positions shown as the summary lines (all of them are in Brief.positions). Was the
    # model summary's [:4]; raised because positions are deduplicated. Not measured.
    summary_positions: int = 6
    # Evidence spans on the overall stance. Was [:4] in _overall. Not measured.
    overall_evidence: int = 4
    # Opposite labels (open vs opposed) in dated articles this many days apart or less are a
    # contradiction, not a shift. Was the 7-day window in _shifts. Not measured: a reading of
    # "the same week" (the seeds have no pair this close).
    contradiction_days: int = 7
    positions: PositionPolicy = PositionPolicy()


class BriefChain:
    """Build a Brief for one actor from the analysis store and the cached stance step."""

    def __init__(self, stance: StanceCache, registry: Any, store: AnalysisStore, *,
                 embed: EmbedFn | None = None, embed_name: str = "", retriever: Any = None,
                 policy: BriefPolicy | None = None, model_name: str = ""):
        self.stance = stance
        self.registry = registry
        self.store = store
        self.embed = embed
        self.embed_name = embed_name  # keys the cached statement selection
        self.retriever = retriever
        self.policy = policy or BriefPolicy()
        self.model_name = model_name or stance.model_name

    # --- which articles -----------------------------------------------------------------------
    def _rank(self, name: str, topic: str, docs: Sequence[str],
              heads: dict[str, ArticleAnalysis], *, retrieve: bool = True) -> list[str]:
        """Articles by relevance to actor + topic (retrieval rank), then recency; undated last."""
        if not retrieve or len(docs) <= self.policy.max_articles or self.retriever is None:
            hit: dict[str, int] = {}
        else:
            # a function that opens the retriever: opening the store costs seconds, and a brief
            # that reads every relevant article never needs it
            retriever = self.retriever() if callable(self.retriever) else self.retriever
            passages = retriever.search(f"{name} {topic}", self.policy.retrieval_k)
            hit = {}
            for p in passages:
                hit.setdefault(p.chunk.source, len(hit))
        far = len(hit) + 1

        def order(d: str) -> tuple:
            date = heads[d].date if d in heads else None
            return (hit.get(d, far), date is None, -(date or dt.date.min).toordinal(), d)

        return sorted(docs, key=order)

    def jobs(self, actor: str, topic: str | None = None) -> tuple[Any, list[StanceJob], dict]:
        """(actor, the stance jobs a brief needs, what it read): no model call."""
        topic = topic or DEFAULT_TOPIC
        match = self.registry.lookup(actor)
        if match is None:
            raise ParleyError(f"unknown actor '{actor}': add it (or an alias) to "
                              "PARLEY_DATA_DIR/actors.yaml, or run `parley actors` to see names")
        found = _who(match)
        heads = self.store.headers()
        by_source: dict[str, list[Quote]] = defaultdict(list)
        for q in spoken_by(self.store.quotes_of(match.actor.id), self.registry, match):
            by_source[q.source].append(q)
        ranked = self._rank(found.name, topic, list(by_source), heads)
        read = ranked[: self.policy.max_articles]
        jobs = []
        for doc in read:
            head = heads.get(doc)
            spans, rel = self._select(by_source[doc], found.id, topic, head)
            jobs.append(StanceJob(doc_id=doc, content_hash=head.content_hash if head else "",
                                  actor=found.id, actor_name=found.name, topic=topic,
                                  date=head.date if head else None, statements=spans, relevance=rel))
        naming = self.store.naming(found.id)  # a member's own mentions under `<actor>/<member>`
        others = self._rank(found.name, topic, [d for d in naming if d not in by_source], heads,
                            retrieve=False)  # listed for the reader only: most recent first
        seen = {"heads": heads, "quotes": by_source, "relevant": len(ranked), "others": others}
        return found, jobs, seen

    def _select(self, quotes: list[Quote], who: str, topic: str,
                head: ArticleAnalysis | None) -> tuple[list[SourceSpan], list[float]]:
        """The statements the stance step reads (chains.stance_select), cached: embedding them
        is most of an analysed brief's time otherwise."""
        policy = self.stance.chain.policy
        if head is None:
            return select_statements(quotes, topic, self.embed, policy)
        key = content_hash(head.content_hash, head.version, who,
                           " ".join(topic.lower().split()), self.embed_name,
                           policy.model_dump_json(), n=32)
        cached = self.store.selection(key)
        if cached is None:
            cached = select_statements(quotes, topic, self.embed, policy)
            self.store.put_selection(key, head.doc_id, *cached)
        return cached

    # --- the brief ----------------------------------------------------------------------------
    def run(self, actor: str, topic: str | None = None, *,
            progress: ProgressFn | None = None) -> Brief:
        """The brief for `actor` (a registry id, name or alias) on `topic`."""
        topic = topic or DEFAULT_TOPIC
        found, jobs, seen = self.jobs(actor, topic)
        heads: dict[str, ArticleAnalysis] = seen["heads"]
        labelled = self.stance.label(jobs, progress, what=f"stance of {found.name}")
        chain = self.stance.chain
        per_article: list[Stance] = []
        labels: dict[tuple[str, int, int], StatementStance] = {}
        for job, lab in zip(jobs, labelled, strict=True):
            per_article.append(chain.aggregate(found.name, topic, lab, source=job.doc_id, date=job.date))
            labels.update({(s.span.source, s.span.start, s.span.end): s for s in lab})
        placed = [(j, s, lab) for j, s, lab in zip(jobs, per_article, labelled, strict=True) if s.label]
        timeline, undated = self._timeline(placed, heads)
        read_docs = [j.doc_id for j in jobs]
        placed_docs = {j.doc_id for j, _, _ in placed}
        outlets = {d: h.outlet for d, h in heads.items()}
        quotes = [q for d in read_docs if d in placed_docs for q in seen["quotes"][d]]
        positions, disagreements = group_positions(
            [q for q in quotes if (q.sentence.source, q.sentence.start, q.sentence.end) in labels],
            labels, outlets, self.policy.positions)
        return Brief(
            actor=found.name, topic=topic, stance=self._overall(found.name, topic, placed),
            per_article=[s for _, s, _ in placed],
            summary=[BriefLine(text=p.text, citations=p.sources)
                     for p in positions[: self.policy.summary_positions]],
            positions=positions, disagreements=disagreements,
            quotes=sorted((q for q in quotes if q.kind == "direct"),
                          key=lambda q: (q.date is None, str(q.date), q.source, q.start)),
            timeline=timeline, undated=undated, shifts=self._shifts(timeline),
            coverage=self._coverage(jobs, placed, seen, heads), model=self.model_name,
        )

    def _overall(self, name: str, topic: str, placed: list) -> Stance:
        """Overall stance from the dated articles' statements (undated ones only when none is)."""
        dated = [(j, s, lab) for j, s, lab in placed if j.date is not None]
        use, basis = (dated, "dated") if dated else (placed, "undated")
        if not use:
            return Stance(actor=name, topic=topic, source=None, label=None,
                          rationale="no position found in the articles read")
        statements = [x for _, _, lab in use for x in lab]
        st = self.stance.chain.aggregate(name, topic, statements)
        agree = sum(1 for _, s, _ in use if s.label == st.label)
        note = (f"{agree} of {len(use)} {basis} articles with a position say {st.label}; "
                f"from {len(statements)} statements")
        if basis == "undated":
            note += " (no dated article has a position)"
        return st.model_copy(update={"evidence": st.evidence[: self.policy.overall_evidence],
                                     "rationale": note})

    @staticmethod
    def _timeline(placed: list, heads: dict[str, ArticleAnalysis]):
        dated, undated = [], []
        for job, st, _ in placed:
            head = heads.get(job.doc_id)
            entry = TimelineEntry(source=job.doc_id, date=job.date, stance=st,
                                  outlet=head.outlet if head else None,
                                  title=head.title if head else None)
            (dated if job.date else undated).append(entry)
        dated.sort(key=lambda e: (e.date, e.source))
        return dated, undated

    def _shifts(self, timeline: list[TimelineEntry]) -> list[Shift]:
        out = []
        for a, b in zip(timeline, timeline[1:], strict=False):
            la, lb = a.stance.label, b.stance.label
            if la and lb and la != lb:
                close = abs((b.date - a.date).days) <= self.policy.contradiction_days
                kind = "contradiction" if close and {la, lb} == {"open", "opposed"} else "shift"
                out.append(Shift(before=a.source, after=b.source, from_label=la, to_label=lb,
                                 kind=kind, note=f"{la} on {a.date} → {lb} on {b.date}"))
        return out

    def _coverage(self, jobs: list[StanceJob], placed: list, seen: dict,
                  heads: dict[str, ArticleAnalysis]) -> Coverage:
        used = [j.doc_id for j, _, _ in placed]
        named = [heads[d].outlet for d in used if d in heads and heads[d].outlet]
        return Coverage(
            articles=len(used), outlets=len(set(named)), sources=used,
            total_articles=len(heads), unknown_outlets=len(used) - len(named),
            relevant=seen["relevant"], read=len(jobs), left_out=seen["relevant"] - len(jobs),
            no_position=len(jobs) - len(used), others_only=len(seen["others"]),
            others_only_sources=seen["others"][: self.policy.max_articles],
        )
