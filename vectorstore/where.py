"""Chroma `where` filters evaluated in Python, so the BM25 side honours the same filter as the dense side."""

from __future__ import annotations

from typing import Any

from parley.core.errors import StoreError


def matches_where(meta: dict[str, Any], where: dict[str, Any] | None) -> bool:
    """Evaluate a Chroma `where` filter ($eq/$ne/$in/$nin/$gt/$gte/$lt/$lte, $and/$or) in Python."""
    if not where:
        return True
    for key, cond in where.items():
        if key == "$and":
            ok = all(matches_where(meta, w) for w in cond)
        elif key == "$or":
            ok = any(matches_where(meta, w) for w in cond)
        else:
            ok = _test(meta.get(key), cond if isinstance(cond, dict) else {"$eq": cond})
        if not ok:
            return False
    return True


def _test(value: Any, cond: dict[str, Any]) -> bool:
    for op, arg in cond.items():
        if op == "$eq":
            ok = value == arg
        elif op == "$ne":
            ok = value != arg
        elif op == "$in":
            ok = value in arg
        elif op == "$nin":
            ok = value not in arg
        elif value is None:
            ok = False
        elif op in ("$gt", "$gte", "$lt", "$lte"):
            ok = {"$gt": value > arg, "$gte": value >= arg, "$lt": value < arg, "$lte": value <= arg}[op]
        else:
            raise StoreError(f"unsupported filter operator {op} in where={cond}")
        if not ok:
            return False
    return True
