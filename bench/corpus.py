"""Realistic generated news articles for benchmarks (no data set needed, deterministic by seed).

Sentences keep the shape of the seed articles' sentences (their stopwords, punctuation, length
and capitalisation) with the content words redrawn:
- common words from the MiniLM tokenizer's whole-word vocabulary (~21k English words, listed in
  frequency order), drawn with a Zipf law, so the vocabulary grows with the corpus as real text
  does (Heaps' law) and the embedding model sees ordinary English word pieces;
- capitalised words from a Zipf-ranked list of the seeds' names plus generated surnames and
  places, some in two spellings (Zakharova/Zajarova style), so spelling variants occur.
Article lengths are log-normal around 2,300 characters (the mean of the 2,467 real news articles
in issue 12: 5.7 MB), with a headline and a dated sidecar like the seeds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from parley.text.sentences import split_sentences
from parley.text.words import STOPWORDS

REPO = Path(__file__).resolve().parent.parent
TOKENIZER = REPO / "vectorstore" / "assets" / "minilm" / "tokenizer.json"
MEAN_CHARS, SIGMA = 2300, 0.55  # log-normal article length: mean 2.3 kB, most 0.8-5 kB
_TOKEN = re.compile(r"\w+|[^\w\s]+|\s+")
_SYLLABLES = ("ka ri so ve ma lo nu pe ta ri ko va dz ch sh an el or in us ov ev sk ba de gu "
              "mi ra to za le no pa ry vi ho ne sa ku").split()
_SUFFIXES = ["ov", "ova", "enko", "ski", "son", "er", "ez", "ani", "in", "ia", "burg", "ville"]


def _vocab_words() -> list[str]:
    vocab = json.loads(TOKENIZER.read_text(encoding="utf-8"))["model"]["vocab"]
    words = [w for w, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
    return [w for w in words if w.isascii() and w.isalpha() and len(w) >= 2 and w not in STOPWORDS]


def _zipf_cdf(n: int, s: float = 1.07, q: float = 2.7) -> np.ndarray:
    w = 1.0 / (np.arange(n) + q) ** s
    return np.cumsum(w) / w.sum()


class ArticleGenerator:
    """Deterministic realistic articles: `article(i)` is always the same text for the same seed."""

    def __init__(self, seed: int = 1, n_names: int = 20_000):
        rng = np.random.default_rng(seed)
        self.seed = seed
        self.words = _vocab_words()
        self.word_cdf = _zipf_cdf(len(self.words))
        seeds_text = [p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt"))]
        self.templates = [
            _TOKEN.findall(" ".join(t[a:b].split()))
            for t in seeds_text for a, b in split_sentences(t) if 40 < b - a < 400
        ]
        seed_names = sorted({w for t in seeds_text for w in re.findall(r"\b[A-Z][a-z]{3,}\b", t)})
        made = []
        for _ in range(n_names):
            k = int(rng.integers(2, 4))
            base = "".join(rng.choice(_SYLLABLES, k))
            made.append((base + str(rng.choice(_SUFFIXES))).capitalize())
        names = seed_names + made
        for i in range(0, len(names), 9):  # every ninth name also spelled another way
            n = names[i]
            names.append(n.replace("kh", "j").replace("v", "w", 1) if len(n) > 5 else n + "a")
        self.names = names
        self.name_cdf = _zipf_cdf(len(names), s=1.0, q=10)

    def _draw(self, rng: np.random.Generator, cdf: np.ndarray, pool: list[str], n: int) -> list[str]:
        idx = np.searchsorted(cdf, rng.random(n))
        return [pool[min(i, len(pool) - 1)] for i in idx]

    def sentence(self, rng: np.random.Generator) -> str:
        """One sentence: a seed sentence's shape with its content words redrawn."""
        toks = self.templates[int(rng.integers(len(self.templates)))]
        content = [i for i, t in enumerate(toks)
                   if len(t) > 2 and t[:1].isalpha() and t.lower() not in STOPWORDS]
        words = self._draw(rng, self.word_cdf, self.words, len(content))
        names = self._draw(rng, self.name_cdf, self.names, len(content))
        out = list(toks)
        for j, i in enumerate(content):
            if toks[i][:1].isupper() and i > 0:
                out[i] = names[j] if rng.random() < 0.7 else words[j].capitalize()
            else:
                out[i] = words[j].capitalize() if i == 0 else words[j]
        return "".join(out)

    def text(self, rng: np.random.Generator, chars: int) -> str:
        """Paragraphs of two to four sentences until about `chars` characters."""
        paras, size = [], 0
        while size < chars:
            p = " ".join(self.sentence(rng) for _ in range(int(rng.integers(2, 5))))
            paras.append(p)
            size += len(p) + 2
        return "\n\n".join(paras)

    def article(self, i: int) -> tuple[str, str, dict]:
        """(file name, text, sidecar meta) of article i."""
        rng = np.random.default_rng([self.seed, i])
        chars = int(np.clip(rng.lognormal(np.log(MEAN_CHARS) - SIGMA**2 / 2, SIGMA), 400, 20_000))
        title = " ".join(self.sentence(rng).split()[:12]).rstrip(",;:")
        day = np.datetime64("2021-01-01") + int(rng.integers(0, 1460))
        body = self.text(rng, chars - 250)  # paragraphs overshoot by half of one on average
        return f"{i:06d}_bench.txt", f"{title}\n\n\n{body}\n", {"date": str(day)}

    def chunk_texts(self, start: int, n: int, chars: int = 800) -> Iterator[str]:
        """n chunk-sized texts (for filling stores without chunking articles)."""
        for i in range(start, start + n):
            yield self.text(np.random.default_rng([self.seed, 1_000_000_000 + i]), chars)[: chars + 200]


def write_articles(root: Path, n: int, seed: int = 1, start: int = 0) -> list[Path]:
    """Write articles start..start+n-1 (text + .meta.json sidecar) under root; return the texts' paths."""
    gen = ArticleGenerator(seed)
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        name, text, meta = gen.article(i)
        (root / name).write_text(text, encoding="utf-8")
        (root / name.replace(".txt", ".meta.json")).write_text(
            json.dumps({"source": name, **meta}), encoding="utf-8")
        paths.append(root / name)
    return paths
