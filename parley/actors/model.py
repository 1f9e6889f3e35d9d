"""The actor registry's data: actors and members as pydantic models, read from YAML and merged."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from parley.core.errors import ParleyError

ActorKind = Literal["state", "alliance", "organisation", "person"]


class RegistryError(ParleyError):
    """An actors.yaml file is unreadable or malformed."""


class Member(BaseModel):
    """A person or body that speaks for an actor."""

    model_config = ConfigDict(extra="forbid")
    name: str
    kind: Literal["person", "body"] = "person"
    title: str | None = None
    aliases: list[str] = []


class Actor(BaseModel):
    """A state, alliance, organisation or person whose positions the ledger tracks."""

    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    kind: ActorKind
    aliases: list[str] = []
    members: list[Member] = []

    def member(self, name: str) -> Member | None:
        """The member called `name` (canonical name), if any."""
        return next((m for m in self.members if m.name == name), None)


class RegistryFile(BaseModel):
    """One actors.yaml: channels and actors."""

    model_config = ConfigDict(extra="forbid")
    channels: list[str] = []
    actors: list[Actor] = []


def parse_registry(data: Any, where: str) -> RegistryFile:
    """Validate parsed YAML, or RegistryError naming the entry."""
    if not isinstance(data, dict):
        raise RegistryError(f"{where}: expected a mapping with `actors:` (and `channels:`)")
    try:
        return RegistryFile.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise RegistryError(f"{where}: {loc}: {err['msg']}; fix the entry or remove it") from None


def read_registry(path: Path) -> RegistryFile:
    """Read and validate one actors.yaml, or RegistryError naming the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise RegistryError(f"cannot read actor registry {path}: {first}; fix or remove it") from None
    return parse_registry(data, str(path))


def merge_registries(base: RegistryFile, extra: RegistryFile) -> RegistryFile:
    """Merge `extra` over `base`: same-id actors gain aliases/members, scalars are replaced."""
    actors = {a.id: a.model_copy(deep=True) for a in base.actors}
    for a in extra.actors:
        old = actors.get(a.id)
        if old is None:
            actors[a.id] = a
            continue
        old.name, old.kind = a.name, a.kind
        old.aliases = list(dict.fromkeys(old.aliases + a.aliases))
        for m in a.members:
            mine = old.member(m.name)
            if mine is None:
                old.members.append(m)
            else:
                mine.kind, mine.title = m.kind, m.title or mine.title
                mine.aliases = list(dict.fromkeys(mine.aliases + m.aliases))
    return RegistryFile(channels=list(dict.fromkeys(base.channels + extra.channels)),
                 actors=list(actors.values()))
