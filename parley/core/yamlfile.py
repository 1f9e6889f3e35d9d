"""Reading the YAML data files users edit (prompts, variants, fixtures) with one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path, error: type[Exception], *, missing: str) -> Any:
    """Parse a YAML file; a missing file or bad YAML raises `error` naming the file (and line)."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: {missing}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise error(f"{path}:{where} invalid YAML ({getattr(e, 'problem', None) or e.__class__.__name__})") from None


def first_error(err: ValidationError) -> str:
    """The first validation problem as `field.path: message (+N more)`."""
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    msg = first["msg"].removeprefix("Value error, ")
    more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{loc}: {msg}{more}" if loc else f"{msg}{more}"


def read_model(path: Path, model: type[M], error: type[Exception], *, missing: str,
               expected: str) -> M:
    """Parse a YAML mapping into `model` (given `path=str(path)`); any problem raises `error` in one line."""
    raw = read_yaml(path, error, missing=missing)
    if not isinstance(raw, dict):
        raise error(f"{path}: expected a mapping with {expected}")
    try:
        return model(**raw, path=str(path))
    except ValidationError as e:
        raise error(f"{path}: {first_error(e)}") from None
