"""The stance column of the eval: the shipped path, cell by cell, cached.

Statements are chosen exactly as the brief chooses them (`chains.stance_select.select_statements`
over the article's ledger), under the variant's `policies.stance`; the stance chain is the
shipped `chains.stance.StanceChain` with the variant's prompt. A cell's key holds the exact
statements sent and the policy, so an edit to either re-runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig

from chains.choice import ChoiceRequest, ChoiceResult, ChoiceScorer
from chains.stance import StanceChain, StancePolicy
from chains.stance_select import select_statements
from evals.cache import EvalCache, cell_key
from evals.fixtures import StanceFixture
from parley.actors.registry import ActorRegistry
from parley.core.schema import Article, Quote, SourceSpan, Stance, StatementStance, content_hash
from parley.ledger.build import extract_quotes, spoken_by
from prompts import PromptTemplate


class CachedChoices(ChoiceScorer):
    """A ChoiceScorer whose answers live in the eval cache, keyed by model and exact prompt.

    Variants that differ only in the stance policy (topic filter, cues, temperature) then cost
    no model time: the statements' scores are shared, only the aggregation differs.
    """

    def __init__(self, model: BaseChatModel, cache: EvalCache, model_label: str):
        super().__init__(model)
        self.cache = cache
        self.model_label = model_label

    def invoke(self, input: ChoiceRequest, config: RunnableConfig | None = None,
               **kwargs: Any) -> ChoiceResult:
        key = cell_key({"step": "choice", "model": self.model_label, "options": input.options,
                        "messages": [str(m.content) for m in input.messages],
                        "content_free": [str(m.content) for m in input.content_free or []]})
        hit = self.cache.get(key)
        if hit is not None:
            return ChoiceResult.model_validate(hit)
        res = super().invoke(input, config, **kwargs)
        self.cache.put(key, "choice", res.model_dump())
        return res


@dataclass
class StanceResult:
    variant: str
    item: StanceFixture
    stance: Stance | None  # None when the stance step could not run (see note)
    statements: list[SourceSpan]
    cached: bool
    note: str | None = None
    labelled: list[StatementStance] = field(default_factory=list)  # per statement


class StanceCells:
    """Per (actor, article): the ledger's statements for the actor; per variant: one chain."""

    def __init__(self, settings: Any, articles: dict[str, Article],
                 embed: Callable[[list[str]], list[list[float]]] | None):
        self.articles = articles
        self.embed = embed
        self.unavailable: str | None = None
        self._quotes: dict[str, list[Quote]] = {}
        self._chains: dict[str, StanceChain] = {}
        try:
            self.registry = ActorRegistry.load(settings)
        except Exception as e:  # a broken actors file: say so, run the rest of the eval
            self.unavailable = f"{type(e).__name__}: {e}".splitlines()[0][:160]

    def statements(self, item: StanceFixture, policy: StancePolicy
                   ) -> tuple[str | None, list[SourceSpan], list[float], str | None]:
        """(registry name, statements, their relevance, note); name None when the item cannot run."""
        if self.unavailable:
            return None, [], [], f"actor registry unavailable: {self.unavailable}"
        match = self.registry.lookup(item.actor)
        if match is None:
            return None, [], [], f"actor {item.actor!r} is not in the actor registry"
        art = self.articles.get(item.source)
        if art is None:
            return None, [], [], f"{item.source} is not in the corpus"
        if art.doc_id not in self._quotes:
            self._quotes[art.doc_id] = extract_quotes(art, self.registry)
        mine = spoken_by(self._quotes[art.doc_id], self.registry, match)
        spans, rel = select_statements(mine, item.topic, self.embed, policy)
        return (match.member or match.actor).name, spans, rel, None

    def cell(self, variant: str, policy: StancePolicy, prompt: PromptTemplate,
             key_base: dict[str, Any], item: StanceFixture, cache: EvalCache,
             model: Callable[[], BaseChatModel]) -> tuple[StanceResult, bool]:
        """One cell, from the cache when its key is there; (result, whether the model ran)."""
        name, spans, rel, note = self.statements(item, policy)
        if name is None:
            return StanceResult(variant, item, None, [], cached=False, note=note), False
        key = cell_key({**key_base, "item": content_hash(item.model_dump_json()), "actor": name,
                        "statements": [s.model_dump() for s in spans],
                        "policy": policy.model_dump()})
        hit = cache.get(key)
        if hit is not None:
            labelled = [StatementStance.model_validate(x) for x in hit.get("labelled", [])]
            return StanceResult(variant, item, Stance.model_validate(hit["stance"]), spans, True,
                                note, labelled), False
        chain = self._chains.get(variant)
        if chain is None:  # one chain per variant: the content-free prior is scored once per shape
            m = model()
            chain = self._chains[variant] = StanceChain(
                m, prompt=prompt, policy=policy, scorer=CachedChoices(m, cache, key_base["model"]))
        art = self.articles.get(item.source)
        labelled = chain.label_statements(name, item.topic, spans, rel)
        stance = chain.aggregate(name, item.topic, labelled, source=item.source,
                                 date=art.meta.date if art else None)
        cache.put(key, "stance", {"stance": stance.model_dump(mode="json"),
                                  "labelled": [s.model_dump(mode="json") for s in labelled],
                                  "variant": variant, "item": item.id})
        return StanceResult(variant, item, stance, spans, cached=False, note=note,
                            labelled=labelled), True
