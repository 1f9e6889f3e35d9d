"""Chroma `where` filters evaluated in Python or as SQL, so the BM25 side honours the same filter as the dense side."""

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


_SQL_OPS = {"$eq": "=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


def where_sql(where: dict[str, Any] | None, columns: dict[str, str]) -> tuple[str, list[Any]]:
    """The same filter as SQL over `columns` (key -> SQL expression), with matches_where's rules.

    An absent field (NULL) never equals or compares true, and always passes $ne / $nin.
    Keys without a column are absent fields. Returns ("", []) for no filter.
    """
    if not where:
        return "", []
    parts, params = [], []
    for key, cond in where.items():
        if key in ("$and", "$or"):
            subs = [where_sql(w, columns) for w in cond]
            joined = f" {key[1:].upper()} ".join(f"({s})" for s, _ in subs if s)
            parts.append(f"({joined})" if joined else ("1" if key == "$and" else "0"))
            params += [p for _, ps in subs for p in ps]
            continue
        col = columns.get(key, "NULL")
        for op, arg in (cond if isinstance(cond, dict) else {"$eq": cond}).items():
            if op in _SQL_OPS:
                parts.append(f"{col} {_SQL_OPS[op]} ?")
                params.append(arg)
            elif op == "$ne":
                parts.append(f"({col} IS NULL OR {col} != ?)")
                params.append(arg)
            elif op in ("$in", "$nin") and not arg:
                parts.append("0" if op == "$in" else "1")
            elif op in ("$in", "$nin"):
                marks = ",".join("?" * len(arg))
                parts.append(f"{col} IN ({marks})" if op == "$in"
                             else f"({col} IS NULL OR {col} NOT IN ({marks}))")
                params += list(arg)
            else:
                raise StoreError(f"unsupported filter operator {op} in where={cond}")
    return " AND ".join(parts), params
