"""Is a one-line answer checkable against its evidence? Mechanical rules, no model.

A line is kept above the evidence only when:

* every name (capitalised word), number, month or weekday in it occurs verbatim in the evidence;
* every quoted phrase in it occurs verbatim in the evidence;
* every content word is in the evidence or the question (generic verbs like "said" aside);
* it says something the question does not (not a restatement);
* it is finished (ends like a sentence: a line cut at the token limit is not checked);
* its words follow the evidence's order: each pair of consecutive words occurs in one
  evidence sentence, in the same order, close together (≤ 4 words apart), with no negation
  ("not", "failed", "never" …) between them that the line leaves out — "Russia demanded NATO not
  expand east and halt diplomatic efforts" fails against "… demand that NATO not expand further
  east, but it also failed to halt diplomatic efforts" (the evidence has "failed" between
  "east" and "halt");
* a negation in the line occurs in the evidence too.

Anything else: the evidence stands alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from parley.core.schema import Citation
from parley.text.words import STOPWORDS, fold, in_pool, stem, tokens, word_set

NEGATIONS = frozenset("""not no never neither nor without cannot nothing none nobody fail failed
    fails failing refuse refused refuses reject rejected rejects deny denied denies unlikely
    impossible""".split())
# verbs that carry no information of their own in an answer ("X spoke with …")
GENERIC = word_set("""spoke speak talk talked held hold met meet made make took
    take gave give went go came come reported report described describe called call stated state
    asked ask""")
_QUOTE = re.compile(r"[\"“«]([^\"”»]{3,})[\"”»]")
_CAPWORD = re.compile(r"(?<![\w'’])[A-Z][\w'’-]*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CALENDAR = frozenset("""january february march april may june july august september october
    november december monday tuesday wednesday thursday friday saturday sunday""".split())
MAX_GAP = 4
_FINISHED = re.compile(r"[.!?…][\"'”’)\]]*\s*$")


def check_tokens(text: str) -> list[str]:
    """Stemmed content tokens in order, every negation kept as "not"."""
    out = []
    for t in tokens(text):
        if t in NEGATIONS or t.endswith(("n't", "n’t")):
            out.append("not")
        elif t not in STOPWORDS and (len(t) > 1 or t.isdigit()):
            out.append(stem(t))
    return out


def _norm(text: str) -> str:
    return " ".join(fold(w) for w in re.findall(r"[\w'’]+", text))


def _in_order(a: str, b: str, seqs: Sequence[list[str]]) -> bool:
    """True when some evidence sentence has a then b, ≤ MAX_GAP apart, no negation between."""
    for seq in seqs:
        for i, t in enumerate(seq):
            if t != a:
                continue
            for j in range(i + 1, min(len(seq), i + MAX_GAP + 2)):
                if seq[j] == b:
                    return True
                if seq[j] == "not" and b != "not":
                    break
    return False


def check_line(line: str, evidence: Sequence[str], question: str) -> str | None:
    """Why the line cannot be checked against the evidence, or None when it can."""
    if not line.strip() or len(line.split()) > 40:
        return "empty or longer than one short sentence"
    if not _FINISHED.search(line):
        return "unfinished (cut off at the token limit)"
    ev_norm = " " + " ".join(_norm(e) for e in evidence) + " "
    ev_words = set(ev_norm.split())
    for m in _QUOTE.finditer(line):
        if f" {_norm(m.group(1))} " not in ev_norm:
            return f"quoted phrase not in the evidence: {m.group(1)!r}"
    for m in _CAPWORD.finditer(line):
        for part in re.split(r"[-‐‑–]", m.group()):
            word = fold(part)
            if not word or (m.start() == 0 and word in STOPWORDS):
                continue
            if word not in ev_words and word not in STOPWORDS:
                return f"name not in the evidence: {m.group()!r}"
    for num in _NUMBER.findall(line):
        if f" {_norm(num)} " not in ev_norm:
            return f"number not in the evidence: {num!r}"
    for w in tokens(line):
        if w in _CALENDAR and w not in ev_words:
            return f"date not in the evidence: {w!r}"
    seqs = [check_tokens(e) for e in evidence]
    pool = {t for s in seqs for t in s}
    q = set(check_tokens(question))
    toks = check_tokens(line)
    if "not" in toks and "not" not in pool:
        return "a negation the evidence lacks"
    for t in toks:
        if t not in pool and t not in q and t not in GENERIC and not in_pool(t, pool):
            return f"a word the evidence lacks: {t!r}"
    new = [t for t in toks if (t not in q or t == "not") and t not in GENERIC]
    if not [t for t in new if t != "not"]:
        return "it only restates the question"
    # the order check runs over every word the evidence has, the question's words included:
    # "Russia demanded NATO guarantees" fails against "guarantees that Ukraine will never join NATO"
    seq = [t for t in toks if t in pool]
    for a, b in zip(seq, seq[1:], strict=False):
        if not _in_order(a, b, seqs):
            return f"its words do not follow the evidence ({a!r} … {b!r})"
    return None


def line_citations(line: str, evidence: Sequence[Citation]) -> list[int]:
    """The evidence a line rests on: the best-covering sentence, a second if it adds words."""
    toks = set(check_tokens(line))
    cover = sorted(((len(toks & set(check_tokens(c.text))), c) for c in evidence), key=lambda x: -x[0])
    if not cover or cover[0][0] == 0:
        return []
    first = cover[0][1]
    out = [first.n]
    rest = toks - set(check_tokens(first.text))
    for n_hit, c in cover[1:]:
        if n_hit and rest & set(check_tokens(c.text)):
            out.append(c.n)
            break
    return out
