"""Which statements the stance step reads: ONE function, used by the brief and by the eval.

An actor's statements in one article are the distinct sentences that carry its ledger entries
(its quotes, reported speech, its officials' and bodies' statements). When there are more than
the policy allows, the most on-topic ones are kept (embedding cosine with the topic, else word
overlap), in text order. With `topic_filter` "embedding" or "both", statements under the
policy's `min_relevance` are dropped first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from chains.stance import StancePolicy
from parley.core.schema import Quote, SourceSpan
from parley.text.words import content_tokens

EmbedFn = Callable[[list[str]], list[list[float]]]


def statements_for(quotes: Sequence[Quote]) -> list[SourceSpan]:
    """The distinct sentences carrying an actor's ledger entries, in text order."""
    seen: dict[tuple[str, int, int], SourceSpan] = {}
    for q in quotes:
        s = q.sentence
        seen.setdefault((s.source, s.start, s.end), SourceSpan(source=s.source, start=s.start,
                                                               end=s.end, text=s.text))
    return sorted(seen.values(), key=lambda s: (s.source, s.start))


def relevance(spans: Sequence[SourceSpan], topic: str, embed: EmbedFn | None) -> list[float]:
    """How much each statement is about the topic (embedding cosine, else word overlap)."""
    if not spans:
        return []
    if embed is not None:
        v = np.asarray(embed([topic] + [s.text for s in spans]), dtype=np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True) + 1e-9
        return [float(x) for x in v[1:] @ v[0]]
    t = set(content_tokens(topic))
    return [len(t & set(content_tokens(s.text))) / (len(t) or 1) for s in spans]


def select_statements(quotes: Sequence[Quote], topic: str, embed: EmbedFn | None,
                      policy: StancePolicy | None = None) -> tuple[list[SourceSpan], list[float]]:
    """An actor's statements in one article for the stance step, and their relevance to the topic.

    `quotes` are the actor's ledger entries in that article. Returns (spans in text order,
    relevance of each); both empty when the actor says nothing (on the topic).
    """
    policy = policy or StancePolicy()
    spans = statements_for(quotes)
    if not spans:
        return [], []
    rel = relevance(spans, topic, embed)
    idx = list(range(len(spans)))
    if policy.embedding_filter:
        idx = [i for i in idx if rel[i] >= policy.min_relevance]
    keep = sorted(sorted(idx, key=lambda i: -rel[i])[: policy.max_statements])
    return [spans[i] for i in keep], [rel[i] for i in keep]
