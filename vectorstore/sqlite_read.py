"""One locked SQLite read with one-line errors, for Parley's SQLite files (analysis, lexical index)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from parley.core.errors import StoreError


def fetch_all(db: sqlite3.Connection, lock: AbstractContextManager[Any], sql: str,
              params: Sequence[Any], what: str) -> list[tuple]:
    """Rows of one query run under `lock`; an SQLite error becomes a StoreError naming `what`."""
    with lock:
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.Error as e:
            raise StoreError(f"{what}: {e}") from e
