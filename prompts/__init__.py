"""Prompt templates are data: `prompts/*.yaml`, loaded and validated before any model call.

Each file holds `name`, `description`, `system`, `prompt` and `variables` (the exact set of
`{placeholders}` the template uses). A typo in a file fails fast, naming the file.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel, ConfigDict

from parley.core.schema import content_hash
from parley.core.yamlfile import read_model

PROMPTS_DIR = Path(__file__).resolve().parent


class PromptError(ValueError):
    """A prompt file is missing, malformed, or used with the wrong variables."""


class PromptTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    system: str = ""
    prompt: str
    variables: list[str]
    path: str = ""

    def placeholders(self) -> set[str]:
        found: set[str] = set()
        for text in (self.system, self.prompt):
            for _, field, _, _ in string.Formatter().parse(text):
                if field is not None:
                    found.add(field)
        return found

    def render(self, **values: object) -> tuple[str, str]:
        """Return (system, user) with every declared variable filled; missing ones raise."""
        missing = set(self.variables) - set(values)
        if missing:
            raise PromptError(f"{self.path}: missing variables {sorted(missing)}")
        extra = set(values) - set(self.variables)
        if extra:
            raise PromptError(f"{self.path}: unexpected variables {sorted(extra)}")
        return self.system.format(**values), self.prompt.format(**values)

    def chat_prompt(self) -> ChatPromptTemplate:
        """This template as a LangChain ChatPromptTemplate (system + human messages)."""
        msgs = ([("system", self.system)] if self.system else []) + [("human", self.prompt)]
        return ChatPromptTemplate.from_messages(msgs)

    @property
    def digest(self) -> str:
        return content_hash(self.system, self.prompt)


def load_prompt_file(path: Path) -> PromptTemplate:
    """Load and validate one prompt file."""
    tpl = read_model(path, PromptTemplate, PromptError, missing="prompt file not found",
                     expected="name/system/prompt/variables")
    try:
        used = tpl.placeholders()
    except ValueError as e:
        raise PromptError(f"{path}: bad placeholder syntax ({e})") from None
    declared = set(tpl.variables)
    if used != declared:
        raise PromptError(
            f"{path}: placeholders {sorted(used)} do not match declared variables {sorted(declared)}"
        )
    return tpl


@lru_cache(maxsize=64)
def _load_cached(path: str, mtime: float) -> PromptTemplate:
    return load_prompt_file(Path(path))


def load_prompt(name_or_path: str | Path) -> PromptTemplate:
    """Load a prompt by name (`qa` → prompts/qa.yaml) or by an explicit file path."""
    p = Path(name_or_path)
    if p.suffix not in (".yaml", ".yml"):
        p = PROMPTS_DIR / f"{name_or_path}.yaml"
    if not p.exists():
        raise PromptError(f"{p}: prompt file not found")
    return _load_cached(str(p.resolve()), p.stat().st_mtime)


def validate_all(directory: Path = PROMPTS_DIR) -> list[PromptTemplate]:
    """Load every prompt file in a directory; raise on the first bad one."""
    return [load_prompt_file(p) for p in sorted(directory.glob("*.yaml"))]
