"""Shared bench helpers: percentiles, machine line, and replacing one section of a RESULTS file."""

from __future__ import annotations

import os
import platform
import re
import statistics
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
QUERIES = [
    "What did Zakharova say about negotiations with the United States?",
    "Peskov comment on the Wall Street Journal report",
    "Who did Jake Sullivan speak with?",
    "Ryabkov unilateral concessions",
    "weapons delivered to Kyiv",
    "NATO troop withdrawal from Eastern Europe",
    "security talks on January 10",
    "written reply to US proposals",
    "UN Security Council session on Ukraine",
    "electricity shortfall in the capital",
    "sanctions on Moscow",
    "megaphone diplomacy war hysteria",
]


def corpus_queries(pool_sentences: list[str], n: int, seed: int = 11) -> list[str]:
    """n queries of two to four content words taken from generated sentences (realistic postings)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        words = [w.strip(".,;:“”\"'’") for w in pool_sentences[int(rng.integers(len(pool_sentences)))].split()]
        words = [w for w in words if len(w) > 3]
        k = min(len(words), int(rng.integers(2, 5)))
        out.append(" ".join(rng.choice(words, k, replace=False)) if k else "talks")
    return out


def pct(xs: list[float], p: float) -> float:
    """Percentile of seconds, in milliseconds."""
    return float(np.percentile(np.asarray(xs) * 1000, p))


def machine() -> str:
    """One line: CPU count, load, Python, date."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.machine()}, {os.cpu_count()} CPUs shared with other work (load average "
            f"{load:.1f} at the end), Python {platform.python_version()}, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")


def rss_mb(pid: int) -> float:
    """Resident memory of a process, MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def du_mb(path: Path) -> float:
    """Disk use of a file or folder, MB."""
    p = Path(path)
    files = [p] if p.is_file() else [f for f in p.rglob("*") if f.is_file()]
    return sum(f.stat().st_size for f in files) / 2**20


def save_section(name: str, markdown: str, file: Path = BENCH / "RESULTS-scale.md") -> None:
    """Replace the section `name` of a results file (other sections stay)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = f"{start}\n{markdown.strip()}\n{end}"
    old = file.read_text(encoding="utf-8") if file.exists() else "# Scale benchmarks\n"
    pat = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    new = pat.sub(lambda _: section, old) if pat.search(old) else old.rstrip() + "\n\n" + section + "\n"
    file.write_text(new, encoding="utf-8")


def median_seconds(fn, reps: int) -> float:
    """Median wall seconds of `reps` calls of fn."""
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)
