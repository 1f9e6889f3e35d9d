"""Locked SQLite reads with one-line errors, for Parley's SQLite files (analysis, lexical index)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from parley.core.errors import StoreError

SQL_VARS = 500  # values per IN (...) list


def read_in(read: Callable[..., list[tuple]], sql: str, keys: Sequence[Any]) -> list[tuple]:
    """The rows of `sql` for `keys`, whose `{marks}` takes their placeholders, SQL_VARS at a time."""
    rows: list[tuple] = []
    for b in range(0, len(keys), SQL_VARS):
        part = list(keys[b : b + SQL_VARS])
        rows += read(sql.replace("{marks}", ",".join("?" * len(part))), part)
    return rows


def fetch_all(db: sqlite3.Connection, lock: AbstractContextManager[Any], sql: str,
              params: Sequence[Any], what: str) -> list[tuple]:
    """Rows of one query run under `lock`; an SQLite error becomes a StoreError naming `what`."""
    with lock:
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.Error as e:
            raise StoreError(f"{what}: {e}") from e
