"""The eval cache: raw model outputs (Answer / Stance JSON) per cell, keyed by everything that shapes them.

A cell is one (variant, fixture item). Its key hashes the prompt digest, the source of the chain
modules that run it, the model label, the settings that change the output, the item's content,
and the corpus hash (or, for stance, the exact statements sent). Metrics are never cached: they are recomputed from the raw output on
every run, so a fixed metric or a new one needs no re-run. One sqlite file under
`PARLEY_DATA_DIR/eval_cache/`; writes are committed per cell so an interrupted run keeps its work.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any


def cell_key(parts: dict[str, Any]) -> str:
    """A stable hash of a JSON-able mapping (key order does not matter)."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


class EvalCache:
    """Key → raw JSON record, in `<dir>/cells.sqlite`."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / "cells.sqlite"
        self._db = sqlite3.connect(self.path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS cells (key TEXT PRIMARY KEY, kind TEXT, record TEXT, "
            "created REAL)"
        )
        self._db.commit()

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored record for key, or None."""
        row = self._db.execute("SELECT record FROM cells WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, key: str, kind: str, record: dict[str, Any]) -> None:
        """Store (or replace) a record and commit at once."""
        self._db.execute(
            "INSERT OR REPLACE INTO cells (key, kind, record, created) VALUES (?, ?, ?, ?)",
            (key, kind, json.dumps(record, ensure_ascii=False), time.time()),
        )
        self._db.commit()

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM cells").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        self._db.close()
